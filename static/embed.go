// Package static embeds the built CSS, vendored htmx and our script, and
// serves them under content-hashed names so they can be cached forever.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

//go:embed css/app.css js/*.js
var files embed.FS

// Assets maps logical names ("css/app.css") to hashed URLs and back, and
// holds each file gzipped once at start.
type Assets struct {
	byName map[string]string // css/app.css -> /static/css/app.<hash>.css
	byURL  map[string]string // the reverse
	gz     map[string][]byte // logical name -> gzip of the file
}

// Load hashes and gzips every embedded file.
func Load() *Assets {
	a := &Assets{byName: map[string]string{}, byURL: map[string]string{}, gz: map[string][]byte{}}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(p)
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		u := "/static/" + strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		a.byName[p] = u
		a.byURL[u] = p
		a.gz[p] = gzipped(b)
		return nil
	})
	return a
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// URL is the cache-busted URL for a logical name.
func (a *Assets) URL(name string) string { return a.byName[name] }

// Handler serves hashed URLs with a year-long cache, gzipped to clients
// that accept it; unknown names are 404.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := a.byURL[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Add("Vary", "Accept-Encoding")
		if gz := a.gz[name]; gz != nil && AcceptsGzip(r.Header.Get("Accept-Encoding")) {
			// Written whole: an immutable asset needs no ranges or revalidation.
			h.Set("Content-Encoding", "gzip")
			h.Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
			h.Set("Content-Length", strconv.Itoa(len(gz)))
			if r.Method != http.MethodHead {
				_, _ = w.Write(gz)
			}
			return
		}
		http.ServeFileFS(w, r, files, name)
	})
}

// AcceptsGzip reports whether an Accept-Encoding header admits gzip: named
// (or "*") with a quality above zero.
func AcceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				var err error
				if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
					q = 0
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			return q > 0
		case "*":
			star = q > 0
		}
	}
	return star
}
