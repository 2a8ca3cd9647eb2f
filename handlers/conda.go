package handlers

import (
	"context"
	"crypto/sha256"
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

// RepodataCache keeps built repodata per channel, subchannel and subdir. An
// entry is good while the channel's generation (stored in the database and
// bumped by every upload and delete) is unchanged, so every instance sharing
// the database notices a change on its next request.
type RepodataCache struct {
	mu      sync.RWMutex
	entries map[repoKey]*repoEntry
	build   sync.Mutex // one build at a time: a burst of misses builds once
	bytes   int        // JSON and zst bytes held
	max     int        // bound on bytes; past it, entries are dropped
}

type repoKey struct {
	channel, sub uint
	subdir       string
}

type repoEntry struct {
	gen     int64
	enc     conda.Encoded
	etag    string
	zstETag string
}

// NewRepodataCache returns an empty cache.
func NewRepodataCache() *RepodataCache {
	return &RepodataCache{entries: map[repoKey]*repoEntry{}, max: 96 << 20}
}

func (rc *RepodataCache) lookup(k repoKey, gen int64) *repoEntry {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	if e := rc.entries[k]; e != nil && e.gen == gen {
		return e
	}
	return nil
}

// Get returns the repodata for the place and subdir at the channel's
// generation gen, building it when missing or stale.
func (rc *RepodataCache) Get(ctx context.Context, store *models.Store, ch *models.Channel, subID uint, subdir string) (*repoEntry, error) {
	k := repoKey{ch.ID, subID, subdir}
	if e := rc.lookup(k, ch.Generation); e != nil {
		return e, nil
	}
	rc.build.Lock()
	defer rc.build.Unlock()
	if e := rc.lookup(k, ch.Generation); e != nil {
		return e, nil
	}
	e, err := BuildRepodata(ctx, store, ch.ID, subID, subdir)
	if err != nil {
		return nil, err
	}
	e.gen = ch.Generation // read before the rows: never newer than what was built
	rc.mu.Lock()
	rc.drop(k)
	for old := range rc.entries { // over the bound: drop arbitrary entries; rebuilding is cheap
		if rc.bytes+e.size() <= rc.max {
			break
		}
		rc.drop(old)
	}
	rc.entries[k] = e
	rc.bytes += e.size()
	rc.mu.Unlock()
	return e, nil
}

// drop removes one entry; the caller holds mu.
func (rc *RepodataCache) drop(k repoKey) {
	if e := rc.entries[k]; e != nil {
		rc.bytes -= e.size()
		delete(rc.entries, k)
	}
}

func (e *repoEntry) size() int { return len(e.enc.JSON) + len(e.enc.Zst) }

// Forget drops a channel's entries (after the channel is deleted).
func (rc *RepodataCache) Forget(channelID uint) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for k := range rc.entries {
		if k.channel == channelID {
			rc.drop(k)
		}
	}
}

// BuildRepodata reads a place's artifacts for subdir and encodes repodata.
func BuildRepodata(ctx context.Context, store *models.Store, channelID, subID uint, subdir string) (*repoEntry, error) {
	arts, err := store.Artifacts(ctx, channelID, models.ArtifactFilter{SubchannelID: subID, Subdir: subdir})
	if err != nil {
		return nil, err
	}
	files := make([]conda.File, len(arts))
	for i := range arts {
		files[i] = conda.File{Filename: arts[i].Filename, Record: arts[i].Record()}
	}
	enc, err := conda.Encode(conda.BuildRepodata(subdir, files))
	if err != nil {
		return nil, err
	}
	return &repoEntry{enc: enc, etag: etagOf(enc.JSON), zstETag: etagOf(enc.Zst)}, nil
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// Repo serves the conda channel protocol under /api/repo/:
// <channel>[/<sub>]/<subdir>/repodata.json(.zst) and
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
	var name, sub, subdir, file string
	switch len(parts) {
	case 3:
		name, subdir, file = parts[0], parts[1], parts[2]
	case 4:
		name, sub, subdir, file = parts[0], parts[1], parts[2], parts[3]
	default:
		return models.ErrNotFound
	}
	if name == "" || file == "" || !conda.IsSubdir(subdir) {
		return models.ErrNotFound
	}
	p, err := h.channelAt(c, name, sub, access.Read)
	if err != nil {
		return err // below read: 404, the same answer as a channel that does not exist
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	switch file {
	case "repodata.json", "current_repodata.json", "repodata.json.zst":
		e, err := h.Repodata.Get(c.Request().Context(), h.Store, p.Ch, p.SubID(), subdir)
		if err != nil {
			return err
		}
		if file != "repodata.json.zst" { // current_repodata may be the full repodata
			return serveBytes(c, "application/json", e.etag, e.enc.JSON)
		}
		return serveBytes(c, "application/zstd", e.zstETag, e.enc.Zst)
	}
	return h.download(c, p, subdir, file)
}

// serveBytes answers with body, or 304 when the client's ETag matches.
func serveBytes(c echo.Context, ctype, etag string, body []byte) error {
	hdr := c.Response().Header()
	hdr.Set("ETag", etag)
	if match := c.Request().Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	hdr.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	if c.Request().Method == http.MethodHead {
		hdr.Set(echo.HeaderContentType, ctype)
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, ctype, body)
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
