package mirrorrun

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"gatehouse/models"
	"gatehouse/models/conda"
)

// NewClient is the HTTP client mirrors fetch with: bounded connection,
// header and idle times, at most five redirects and only to http or https.
// Without allowPrivate it refuses to connect to loopback, private,
// link-local and other internal addresses, checked on the address really
// dialled (so a name that resolves inside, or a redirect there, is refused
// too).
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refuseInternal
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   4,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
			return errors.New("redirect to a scheme other than http or https")
		}
		return nil
	}}
}

// IsInternal reports whether err is a client's refusal to connect to an
// internal address (see NewClient).
func IsInternal(err error) bool { return errors.Is(err, errInternal) }

// errInternal is the refusal of an internal address.
var errInternal = errors.New("the upstream's address is internal (loopback, private or link-local); this server does not mirror from such addresses")

func refuseInternal(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsUnspecified() ||
		ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || netip.MustParsePrefix("100.64.0.0/10").Contains(ip) {
		return errInternal
	}
	return nil
}

// fetchError is a failure to fetch from upstream: the run fails.
type fetchError struct{ msg string }

func (e *fetchError) Error() string { return e.msg }

func fetchFault(what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text holds the URL, which may hold credentials
	}
	if errors.Is(err, errInternal) {
		return &fetchError{msg: fmt.Sprintf("%s: %s", what, errInternal)}
	}
	return &fetchError{msg: fmt.Sprintf("%s: %v", what, err)}
}

// get fetches u; cond adds If-None-Match and If-Modified-Since. The caller
// closes the body of a 200.
func (r *Runner) get(ctx context.Context, u, etag, modified string, st *stats) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "gatehouse-mirror/1")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if modified != "" {
		req.Header.Set("If-Modified-Since", modified)
	}
	st.requests++
	return r.Client.Do(req)
}

// fetchSmall reads a whole (index) body of at most max bytes.
func (r *Runner) fetchSmall(ctx context.Context, u, what, etag, modified string, max int64, st *stats) (body []byte, status int, newETag, newModified string, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.IndexTimeout)
	defer cancel()
	resp, err := r.get(ctx, u, etag, modified, st)
	if err != nil {
		return nil, 0, "", "", fetchFault(what, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		st.notModified++
		return nil, resp.StatusCode, etag, modified, nil
	case http.StatusNotFound:
		return nil, resp.StatusCode, "", "", nil
	default:
		return nil, resp.StatusCode, "", "", &fetchError{msg: fmt.Sprintf("%s: the upstream answered %s", what, resp.Status)}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, 0, "", "", fetchFault(what, err)
	}
	if int64(len(b)) > max {
		return nil, 0, "", "", &fetchError{msg: fmt.Sprintf("%s: larger than %d bytes", what, max)}
	}
	return b, resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), nil
}

// upstreamRecord is a package as the upstream lists it.
type upstreamRecord struct {
	Filename string
	URL      string
	Name     string
	Version  string
	Build    string
	Subdir   string
	License  string
	SHA256   string
	MD5      string
	Size     int64
}

// rawRepodata is repodata.json with what a mirror reads.
type rawRepodata struct {
	Info struct {
		BaseURL string `json:"base_url"`
	} `json:"info"`
	Packages      map[string]conda.Record `json:"packages"`
	PackagesConda map[string]conda.Record `json:"packages.conda"`
}

// parseRepodata reads repodata.json fetched from subdirURL.
func parseRepodata(b []byte, subdirURL string) ([]upstreamRecord, error) {
	var rd rawRepodata
	if err := json.Unmarshal(b, &rd); err != nil {
		return nil, &fetchError{msg: "repodata.json is not valid JSON"}
	}
	base, err := resolve(subdirURL+"/", rd.Info.BaseURL)
	if err != nil {
		return nil, &fetchError{msg: "repodata.json names a base_url that is not a URL"}
	}
	var out []upstreamRecord
	for _, m := range []map[string]conda.Record{rd.Packages, rd.PackagesConda} {
		for fn, rec := range m {
			out = append(out, fromRecord(fn, base, rec.Name, rec.Version, rec.Build, rec.Subdir, rec.License, rec.SHA256, rec.MD5, rec.Size))
		}
	}
	return out, nil
}

func fromRecord(fn, base, name, version, build, subdir, license, sha, md5 string, size int64) upstreamRecord {
	return upstreamRecord{Filename: fn, URL: base + url.PathEscape(fn), Name: name, Version: version, Build: build,
		Subdir: subdir, License: license, SHA256: strings.ToLower(sha), MD5: strings.ToLower(md5), Size: size}
}

// resolve is ref against base, as a URL ending in "/" (empty ref: base).
func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	if ref == "" {
		return b.String(), nil
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	u := b.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", errors.New("not http or https")
	}
	s := u.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s, nil
}

// shardIndex is CEP-16's repodata_shards.msgpack.zst.
type shardIndex struct {
	Info struct {
		BaseURL       string `msgpack:"base_url"`
		ShardsBaseURL string `msgpack:"shards_base_url"`
	} `msgpack:"info"`
	Shards map[string][]byte `msgpack:"shards"`
}

// shardRecord is one record of a shard (sha256 and md5 as bytes).
type shardRecord struct {
	Name    string `msgpack:"name"`
	Version string `msgpack:"version"`
	Build   string `msgpack:"build"`
	Subdir  string `msgpack:"subdir"`
	License string `msgpack:"license"`
	SHA256  []byte `msgpack:"sha256"`
	MD5     []byte `msgpack:"md5"`
	Size    int64  `msgpack:"size"`
}

type shard struct {
	Packages      map[string]shardRecord `msgpack:"packages"`
	PackagesConda map[string]shardRecord `msgpack:"packages.conda"`
}

func unzstd(b []byte, max int64) ([]byte, error) {
	r, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(max)))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(out)) > max {
		return nil, errors.New("larger than allowed once decompressed")
	}
	return out, nil
}

func parseShardIndex(b []byte, max int64) (*shardIndex, error) {
	raw, err := unzstd(b, max)
	if err != nil {
		return nil, &fetchError{msg: "the shard index is not valid zstd: " + err.Error()}
	}
	var ix shardIndex
	if err := msgpack.Unmarshal(raw, &ix); err != nil {
		return nil, &fetchError{msg: "the shard index is not valid msgpack"}
	}
	for name, h := range ix.Shards {
		if len(h) != sha256.Size {
			return nil, &fetchError{msg: fmt.Sprintf("the shard index names a hash of %d bytes for %q", len(h), name)}
		}
	}
	return &ix, nil
}

// parseShard reads a shard whose bytes must hash to want.
func parseShard(b []byte, want string, base string, max int64) ([]upstreamRecord, error) {
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != want {
		return nil, &fetchError{msg: "a shard does not match the hash the shard index gives it"}
	}
	raw, err := unzstd(b, max)
	if err != nil {
		return nil, &fetchError{msg: "a shard is not valid zstd"}
	}
	var sh shard
	if err := msgpack.Unmarshal(raw, &sh); err != nil {
		return nil, &fetchError{msg: "a shard is not valid msgpack"}
	}
	var out []upstreamRecord
	for _, m := range []map[string]shardRecord{sh.Packages, sh.PackagesConda} {
		for fn, r := range m {
			out = append(out, fromRecord(fn, base, r.Name, r.Version, r.Build, r.Subdir, r.License, hexOf(r.SHA256), hexOf(r.MD5), r.Size))
		}
	}
	return out, nil
}

// hexOf reads a hash a shard holds as bytes, or (leniently) as hex text.
func hexOf(b []byte) string {
	if len(b) == 32 || len(b) == 16 {
		return hex.EncodeToString(b)
	}
	return string(b)
}

// redacted is a URL fit for messages.
func redacted(u string) string { return models.RedactURL(u) }
