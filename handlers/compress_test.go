package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
	"gatehouse/static"
)

func gunzip(t *testing.T, b string) string {
	t.Helper()
	r, err := gzip.NewReader(strings.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("broken gzip: %v", err)
	}
	return string(out)
}

// encoded fetches path with the given Accept-Encoding ("" sends none) and
// returns the response as sent, not decoded.
func encoded(c *handlertest.Client, method, path, accept string) *handlertest.Response {
	c.Header.Set("Accept-Encoding", accept)
	if accept == "" {
		c.Header.Set("Accept-Encoding", "identity")
	}
	return c.Do(method, path, nil, "", false)
}

// HTML, CSS, JS and JSON go out gzipped to clients that accept it, with
// Vary: Accept-Encoding; conda's files go out as they are.
func TestCompression(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			sink := &logSink{}
			srv := handlertest.StartOpts(t, modeltest.Open(t, b), handlertest.Config(t), handlertest.Options{Log: slog.New(slog.NewTextHandler(sink, nil))})
			admin := srv.AsAdmin()
			mustChannel(t, admin, "main", "public")
			pkg := condatest.Pkg{Name: "tool", Version: "1.0", Build: "0", Subdir: "noarch", Noarch: "generic"}
			file := condatest.Build(t, pkg, conda.TarBz2)
			want(t, uploadTo(t, admin, "main", "", pkg.Filename(conda.TarBz2), file), http.StatusCreated)

			page := encoded(admin, "GET", "/channels", "")
			assets := regexp.MustCompile(`/static/[^"]+\.(css|js)`).FindAllString(page.Body, -1)
			if len(assets) < 2 {
				t.Fatalf("no assets linked from the page: %v", assets)
			}
			compressed := map[string]string{"page": "/channels", "JSON": "/api/scopes", "not found page": "/channels/nothing-here"}
			for _, a := range assets {
				compressed[a] = a
			}
			for what, path := range compressed {
				plain := encoded(admin, "GET", path, "")
				gz := encoded(admin, "GET", path, "br;q=1.0, gzip;q=0.8")
				if plain.StatusCode != gz.StatusCode || plain.Header.Get("Content-Encoding") != "" {
					t.Fatalf("%s: %d %d %q", what, plain.StatusCode, gz.StatusCode, plain.Header.Get("Content-Encoding"))
				}
				if gz.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(gz.Header.Values("Vary"), ","), "Accept-Encoding") {
					t.Errorf("%s: Content-Encoding %q, Vary %q", what, gz.Header.Get("Content-Encoding"), gz.Header.Values("Vary"))
					continue
				}
				if !strings.Contains(strings.Join(plain.Header.Values("Vary"), ","), "Accept-Encoding") {
					t.Errorf("%s: no Vary: Accept-Encoding on the plain answer", what)
				}
				if len(gz.Body) >= len(plain.Body) {
					t.Errorf("%s: gzip %d bytes, plain %d", what, len(gz.Body), len(plain.Body))
				}
				// Pages carry a CSRF token, so two renders differ only there.
				if got := gunzip(t, gz.Body); strings.HasPrefix(path, "/static/") && got != plain.Body || len(got) < len(plain.Body)/2 {
					t.Errorf("%s: the gzip does not hold the answer (%d bytes, plain %d)", what, len(got), len(plain.Body))
				}
				// The request line counts the bytes sent, compressed.
				if f := sink.requestLine(t, gz.Header.Get("X-Request-Id")); f["bytes"] != itoa(uint(len(gz.Body))) {
					t.Errorf("%s: logged %s bytes, sent %d", what, f["bytes"], len(gz.Body))
				}
			}

			// Clients that refuse gzip, and HEAD requests, get it plain.
			for _, accept := range []string{"gzip;q=0", "br", "identity, *;q=0"} {
				if r := encoded(admin, "GET", "/channels", accept); r.Header.Get("Content-Encoding") != "" {
					t.Errorf("Accept-Encoding %q: got %q", accept, r.Header.Get("Content-Encoding"))
				}
			}
			if r := encoded(admin, "GET", assets[0], "*"); r.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf(`Accept-Encoding "*": got %q`, r.Header.Get("Content-Encoding"))
			}

			// Package files and zstd repodata go out as they are, ranges too.
			base := "/api/repo/main/noarch/"
			dl := encoded(srv.Anonymous(), "GET", base+pkg.Filename(conda.TarBz2), "gzip")
			if dl.StatusCode != 200 || dl.Header.Get("Content-Encoding") != "" || !bytes.Equal([]byte(dl.Body), file) {
				t.Errorf("package download: %d %q %d bytes", dl.StatusCode, dl.Header.Get("Content-Encoding"), len(dl.Body))
			}
			c := srv.Anonymous()
			c.Header.Set("Range", "bytes=10-19")
			if r := encoded(c, "GET", base+pkg.Filename(conda.TarBz2), "gzip"); r.StatusCode != 206 || r.Body != string(file[10:20]) || r.Header.Get("Content-Encoding") != "" {
				t.Errorf("range: %d %q", r.StatusCode, r.Header.Get("Content-Encoding"))
			}
			if r := encoded(srv.Anonymous(), "GET", base+"repodata.json.zst", "gzip"); r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "" {
				t.Errorf("repodata.json.zst: %d %q", r.StatusCode, r.Header.Get("Content-Encoding"))
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "x-gzip": true, "gzip, deflate, br": true, "br;q=1, gzip;q=0.5": true,
		"gzip;q=0": false, "gzip; q=0.0": false, "br": false, "*": true, "*;q=0": false, "gzip;q=0, *": false,
		"identity": false, "gzip;q=nonsense": false,
	} {
		if got := static.AcceptsGzip(h); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
