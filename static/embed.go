// Package static embeds the built CSS, vendored htmx and our script, and
// serves them under content-hashed names so they can be cached forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed css/app.css js/*.js
var files embed.FS

// Assets maps logical names ("css/app.css") to hashed URLs and back.
type Assets struct {
	byName map[string]string // css/app.css -> /static/css/app.<hash>.css
	byURL  map[string]string // the reverse
}

// Load hashes every embedded file.
func Load() *Assets {
	a := &Assets{byName: map[string]string{}, byURL: map[string]string{}}
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
		return nil
	})
	return a
}

// URL is the cache-busted URL for a logical name.
func (a *Assets) URL(name string) string { return a.byName[name] }

// Handler serves hashed URLs with a year-long cache; unknown names are 404.
func (a *Assets) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := a.byURL[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeFileFS(w, r, files, name)
	})
}
