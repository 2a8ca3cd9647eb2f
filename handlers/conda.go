package handlers

import (
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/blobs"
	"gatehouse/models/conda"
)

// Repo serves the conda channel protocol under /api/repo/:
// <channel>[/<sub>]/<subdir>/repodata.json(.zst), the CEP-16 shard index
// <channel>[/<sub>]/<subdir>/repodata_shards.msgpack.zst and its shards
// <channel>[/<sub>]/<subdir>/shards/<sha256>.msgpack.zst,
// <channel>[/<sub>]/channeldata.json, and
// <channel>[/<sub>]/<subdir>/<filename>. A channel the caller cannot read
// answers exactly like one that does not exist.
func (h *Handlers) Repo(c echo.Context) error {
	parts := strings.Split(c.Param("*"), "/")
	if c.Request().URL.RawPath != "" {
		// The router matched the path as sent: decode each segment once, so
		// "%2B" is "+", and an encoded "/" stays inside its segment.
		for i, part := range parts {
			dec, err := url.PathUnescape(part)
			if err != nil {
				return models.ErrNotFound
			}
			parts[i] = dec
		}
	}
	r, ok := parseRepoPath(parts)
	if !ok {
		return models.ErrNotFound
	}
	p, err := h.channelAt(c, r.name, r.sub, access.Read)
	if err != nil {
		return err // below read: 404, the same answer as a channel that does not exist
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	switch {
	case r.channeldata:
		return h.channeldata(c, p)
	case r.shard:
		return h.serveShard(c, p, r.subdir, r.file)
	}
	switch r.file {
	case "repodata.json", "current_repodata.json", "repodata.json.zst", conda.ShardIndexFile:
		return h.serveRepodata(c, p, r.subdir, r.file)
	}
	return h.download(c, p, r.subdir, r.file)
}

// repoPath is what a path under /api/repo/ names.
type repoPath struct {
	name, sub, subdir, file string
	shard, channeldata      bool
}

// parseRepoPath reads <channel>[/<sub>]/<subdir>/[shards/]<file> and
// <channel>[/<sub>]/channeldata.json. Subchannels cannot be named like
// subdirs, so the shapes never overlap.
func parseRepoPath(parts []string) (repoPath, bool) {
	var r repoPath
	n := len(parts)
	if n >= 2 && n <= 3 && parts[n-1] == "channeldata.json" {
		r.name, r.channeldata = parts[0], true
		if n == 3 {
			r.sub = parts[1]
		}
		return r, r.name != "" && (n == 2 || r.sub != "")
	}
	if n >= 4 && parts[n-2] == "shards" && conda.IsSubdir(parts[n-3]) {
		r.shard = true
		parts = append(parts[:n-2:n-2], parts[n-1])
		n--
	}
	switch n {
	case 3:
		r.name, r.subdir, r.file = parts[0], parts[1], parts[2]
	case 4:
		r.name, r.sub, r.subdir, r.file = parts[0], parts[1], parts[2], parts[3]
	default:
		return r, false
	}
	return r, r.name != "" && r.file != "" && conda.IsSubdir(r.subdir)
}

// serveRepodata answers repodata.json (gzip when the client takes it),
// repodata.json.zst and the shard index from the cache.
func (h *Handlers) serveRepodata(c echo.Context, p place, subdir, file string) error {
	e, slot, err := h.Repodata.Get(c.Request().Context(), h.Store, p.Ch, p.SubID(), subdir)
	if err != nil {
		return err
	}
	hdr := c.Response().Header()
	switch file {
	case conda.ShardIndexFile:
		hdr.Set("Cache-Control", cacheScope(p)+", max-age=60")
		return serveBytes(c, "application/octet-stream", e.indexETag, e.sub.Index)
	case "repodata.json.zst":
		if etagMatches(c.Request().Header.Get("If-None-Match"), e.zstETag) {
			return notModified(c, e.zstETag)
		}
		zst, err := e.zstd(h.Repodata, slot)
		if err != nil {
			return err
		}
		return serveBytes(c, "application/zstd", e.zstETag, zst)
	}
	// repodata.json; current_repodata.json may be the full repodata.
	hdr.Add("Vary", "Accept-Encoding")
	if acceptsGzip(c.Request().Header.Get("Accept-Encoding")) {
		if etagMatches(c.Request().Header.Get("If-None-Match"), e.gzipETag) {
			return notModified(c, e.gzipETag)
		}
		gz, err := e.gzip(h.Repodata, slot)
		if err != nil {
			return err
		}
		hdr.Set("Content-Encoding", "gzip")
		return serveBytes(c, "application/json", e.gzipETag, gz)
	}
	return serveParts(c, "application/json", e.jsonETag, e.sub.JSONParts())
}

// serveShard answers one CEP-16 shard by its sha256. Shards never change,
// so clients and caches keep them; a hash this subdir does not know (or a
// malformed one) is a 404 like any missing file.
func (h *Handlers) serveShard(c echo.Context, p place, subdir, file string) error {
	sum, ok := conda.ParseShardName(file)
	if !ok {
		return models.ErrNotFound
	}
	_, slot, err := h.Repodata.Get(c.Request().Context(), h.Store, p.Ch, p.SubID(), subdir)
	if err != nil {
		return err
	}
	body := slot.shard(sum)
	if body == nil {
		return models.ErrNotFound
	}
	c.Response().Header().Set("Cache-Control", cacheScope(p)+", max-age=31536000, immutable")
	return serveBytes(c, "application/octet-stream", `"`+hex.EncodeToString(sum[:])+`"`, body)
}

// cacheScope says whether shared caches may keep a channel's answers.
func cacheScope(p place) string {
	if p.Ch.Public {
		return "public"
	}
	return "private"
}

// serveBytes answers with body, or 304 when the client's ETag matches.
func serveBytes(c echo.Context, ctype, etag string, body []byte) error {
	return serveParts(c, ctype, etag, [][]byte{body})
}

// serveParts answers with the parts written in order (no copy into one
// buffer), or 304 when the client's ETag matches.
func serveParts(c echo.Context, ctype, etag string, parts [][]byte) error {
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return notModified(c, etag)
	}
	hdr := c.Response().Header()
	hdr.Set("ETag", etag)
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	hdr.Set(echo.HeaderContentLength, strconv.Itoa(n))
	hdr.Set(echo.HeaderContentType, ctype)
	c.Response().WriteHeader(http.StatusOK)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	for _, p := range parts {
		if _, err := c.Response().Write(p); err != nil {
			return nil // the client went away; nothing to tell it
		}
	}
	return nil
}

func notModified(c echo.Context, etag string) error {
	c.Response().Header().Set("ETag", etag)
	return c.NoContent(http.StatusNotModified)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// download serves an artifact file with Range, conditional requests and
// HEAD; with S3 and DownloadRedirect, a GET is answered with a redirect to
// a short-lived presigned URL instead.
func (h *Handlers) download(c echo.Context, p place, subdir, file string) error {
	ctx := c.Request().Context()
	a, err := h.Store.Artifact(ctx, p.Ch.ID, p.SubID(), subdir, file)
	if err != nil {
		return err
	}
	if ps, ok := h.Blobs.(blobs.Presigner); ok && h.Cfg.DownloadRedirect && c.Request().Method == http.MethodGet {
		u, err := ps.PresignGet(ctx, a.SHA256, a.Filename, presignTTL)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.Redirect(http.StatusFound, u)
	}
	r, err := h.Blobs.Open(ctx, a.SHA256, a.Size)
	if err != nil {
		return h.missingBlob(c, p, a, err)
	}
	defer r.Close()
	hdr := c.Response().Header()
	hdr.Set(echo.HeaderContentType, "application/octet-stream")
	hdr.Set("ETag", `"`+a.SHA256+`"`)
	w := &readyWriter{ResponseWriter: c.Response(), raw: c.Response().Writer, ready: r.Ready, head: c.Request().Method == http.MethodHead}
	http.ServeContent(w, c.Request(), a.Filename, a.CreatedAt, r)
	if w.err != nil {
		for _, k := range []string{"Content-Length", "Content-Range", "Content-Type", "Accept-Ranges", "Last-Modified", "ETag"} {
			hdr.Del(k)
		}
		return h.missingBlob(c, p, a, w.err)
	}
	return nil
}

// presignTTL is how long a download redirect stays valid.
const presignTTL = 5 * time.Minute

// missingBlob answers a blob that could not be read: gone (a 404, and worth
// a log line: a row should never lack its file) or storage unavailable.
func (h *Handlers) missingBlob(c echo.Context, p place, a *models.Artifact, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		h.Log.Error("blobs: artifact without its file", "channel", p.Path(), "file", a.Filename, "sha256", a.SHA256)
		return models.ErrNotFound
	}
	return h.storageFault(c, err)
}

// readyWriter opens the blob (ready) just before a 200 or 206 status goes
// out, so a storage fault can still be answered with a clean error. The
// body bypasses Echo's writer (raw): files go out with sendfile, S3 objects
// in large chunks.
type readyWriter struct {
	http.ResponseWriter
	raw   http.ResponseWriter
	ready func() error
	head  bool
	err   error
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// ReadFrom is how http.ServeContent sends the body (after WriteHeader).
func (w *readyWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if lr, ok := src.(*io.LimitedReader); ok {
		if f, ok := lr.R.(interface{ OSFile() *os.File }); ok {
			if rf, ok := w.raw.(io.ReaderFrom); ok {
				return rf.ReadFrom(&io.LimitedReader{R: f.OSFile(), N: lr.N})
			}
		}
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	return io.CopyBuffer(writerOnly{w.raw}, src, *buf)
}

// writerOnly hides a writer's ReadFrom, so io.CopyBuffer uses the buffer.
type writerOnly struct{ io.Writer }

func (w *readyWriter) WriteHeader(code int) {
	if code < 300 && !w.head {
		if w.err = w.ready(); w.err != nil {
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *readyWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	return w.ResponseWriter.Write(b)
}
