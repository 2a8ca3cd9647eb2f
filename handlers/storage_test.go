package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/blobs/blobstest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// get sends a GET with extra headers and returns the response, body read.
func get(t testing.TB, c *handlertest.Client, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.S.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// Downloads answer conditional requests and ranges the same on every
// store: S3 objects are fetched only for what is sent.
func TestDownloadConditionalAndRange(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "dl", "public")
		pkg := condatest.Pkg{Name: "ranged", InfoFiles: []condatest.Entry{{Name: "info/blob", Body: bytes.Repeat([]byte("0123456789"), 5000)}}}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		want(t, uploadTo(t, adm, "dl", "", fn, file), http.StatusCreated)
		path := "/api/repo/dl/linux-64/" + fn
		anon := srv.Anonymous()

		res, body := get(t, anon, path, nil)
		etag, modified := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, file) || etag != `"`+sha(file)+`"` || modified == "" {
			t.Fatalf("plain download: %d, etag %q, last-modified %q", res.StatusCode, etag, modified)
		}
		if res, _ := get(t, anon, path, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-None-Match: %d", res.StatusCode)
		}
		if res, _ := get(t, anon, path, map[string]string{"If-Modified-Since": modified}); res.StatusCode != http.StatusNotModified {
			t.Errorf("If-Modified-Since: %d", res.StatusCode)
		}
		n := len(file)
		res, body = get(t, anon, path, map[string]string{"Range": "bytes=100-"})
		if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, file[100:]) {
			t.Errorf("open range: %d, %d bytes", res.StatusCode, len(body))
		}
		res, body = get(t, anon, path, map[string]string{"Range": "bytes=-10"})
		if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, file[n-10:]) || res.Header.Get("Content-Range") != "bytes "+strconv.Itoa(n-10)+"-"+strconv.Itoa(n-1)+"/"+strconv.Itoa(n) {
			t.Errorf("suffix range: %d %q", res.StatusCode, res.Header.Get("Content-Range"))
		}
		res, body = get(t, anon, path, map[string]string{"Range": "bytes=5-9", "If-Range": etag})
		if res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, file[5:10]) {
			t.Errorf("If-Range matching: %d", res.StatusCode)
		}
		res, body = get(t, anon, path, map[string]string{"Range": "bytes=5-9", "If-Range": `"stale"`})
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, file) {
			t.Errorf("If-Range stale: %d, %d bytes", res.StatusCode, len(body))
		}
		res, body = get(t, anon, path, map[string]string{"Range": "bytes=0-1,10-11"})
		if res.StatusCode != http.StatusPartialContent || !bytes.Contains(body, file[10:12]) || !strings.HasPrefix(res.Header.Get("Content-Type"), "multipart/byteranges") {
			t.Errorf("two ranges: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res, _ := get(t, anon, path, map[string]string{"Range": "bytes=" + strconv.Itoa(n+5) + "-"}); res.StatusCode != http.StatusRequestedRangeNotSatisfiable {
			t.Errorf("range past the end: %d", res.StatusCode)
		}
		head := anon.Do(http.MethodHead, path, nil, "", false)
		if head.StatusCode != http.StatusOK || head.Header.Get("Content-Length") != strconv.Itoa(n) {
			t.Errorf("HEAD: %d %v", head.StatusCode, head.Header)
		}
	})
}

// With GATEHOUSE_DOWNLOAD_REDIRECT a download is a redirect to a presigned
// URL valid at most 5 minutes, given only after the access check, and
// never carrying the token.
func TestDownloadRedirectToPresignedURL(t *testing.T) {
	for _, db := range modeltest.Backends(t) {
		t.Run(string(db), func(t *testing.T) {
			cfg := handlertest.WithBlobs(t, handlertest.Config(t), blobstest.S3)
			cfg.DownloadRedirect = true
			srv := handlertest.StartWith(t, modeltest.Open(t, db), cfg)
			adm := srv.AsAdmin()
			mustChannel(t, adm, "secret", "private")
			pkg := condatest.Pkg{Name: "redirected"}
			file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
			want(t, uploadTo(t, adm, "secret", "", fn, file), http.StatusCreated)
			tok := mustToken(t, srv.Store, handlertest.Admin, "ci", access.TokenGrant{Resources: []access.Resource{{Channel: "secret", Level: access.Read}}})
			path := "/api/repo/secret/linux-64/" + fn

			want(t, srv.Anonymous().Get(path), http.StatusNotFound) // no redirect before the access check
			res := srv.Anonymous().Get("/t/" + tok + path)
			want(t, res, http.StatusFound)
			loc := res.Header.Get("Location")
			u, err := url.Parse(loc)
			if err != nil || strings.Contains(loc, tok) || !strings.HasPrefix(loc, blobstest.Options(t).Endpoint) {
				t.Fatalf("Location %q", loc)
			}
			if exp, _ := strconv.Atoi(u.Query().Get("X-Amz-Expires")); exp <= 0 || exp > 300 {
				t.Errorf("presigned URL valid for %q seconds", u.Query().Get("X-Amz-Expires"))
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
			}
			dl, err := http.Get(loc)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(dl.Body)
			dl.Body.Close()
			if dl.StatusCode != http.StatusOK || !bytes.Equal(body, file) {
				t.Fatalf("following the redirect: %d, %d bytes", dl.StatusCode, len(body))
			}
			// HEAD cannot use a GET signature: it is answered here.
			head := srv.Anonymous().Do(http.MethodHead, "/t/"+tok+path, nil, "", false)
			if head.StatusCode != http.StatusOK || head.Header.Get("Content-Length") != strconv.Itoa(len(file)) {
				t.Errorf("HEAD: %d %v", head.StatusCode, head.Header)
			}
		})
	}
}

// The S3 server stops mid-traffic: uploads and downloads get a clear 503,
// never a 500 and never a row without its object; /readyz says why; and
// once the server is back everything works without restarting Gatehouse.
func TestStorageOutage(t *testing.T) {
	for _, db := range modeltest.Backends(t) {
		t.Run(string(db), func(t *testing.T) {
			s3srv := blobstest.StartServer(t)
			cfg := handlertest.Config(t)
			o := s3srv.Options
			o.Bucket = blobstest.NewBucket(t, o)
			cfg.Blobs, cfg.S3 = "s3://"+o.Bucket+"/gh", o
			srv := handlertest.StartWith(t, modeltest.Open(t, db), cfg)
			adm := srv.AsAdmin()
			mustChannel(t, adm, "busy", "public")
			seed := condatest.Pkg{Name: "seed"}
			seedFile := condatest.Build(t, seed, conda.Conda)
			want(t, uploadTo(t, adm, "busy", "", seed.Filename(conda.Conda), seedFile), http.StatusCreated)
			want(t, adm.Get("/readyz"), http.StatusOK)

			// Traffic: uploads of new packages and downloads, until told to stop.
			var stop atomic.Bool
			var mu sync.Mutex
			statuses := map[string]map[int]int{"upload": {}, "download": {}}
			note := func(kind string, status int) {
				mu.Lock()
				statuses[kind][status]++
				mu.Unlock()
			}
			var wg sync.WaitGroup
			for w := range 2 {
				wg.Add(2)
				go func() {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						p := condatest.Pkg{Name: "traffic" + strconv.Itoa(w) + "x" + strconv.Itoa(i)}
						note("upload", uploadTo(t, adm, "busy", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)).StatusCode)
					}
				}()
				go func() {
					defer wg.Done()
					for !stop.Load() {
						note("download", srv.Anonymous().Get("/api/repo/busy/linux-64/"+seed.Filename(conda.Conda)).StatusCode)
					}
				}()
			}
			time.Sleep(300 * time.Millisecond)
			s3srv.Stop()
			time.Sleep(1500 * time.Millisecond)

			// While it is down: clear 503s that say why, and readiness fails.
			p := condatest.Pkg{Name: "during"}
			up := uploadTo(t, adm, "busy", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda))
			want(t, up, http.StatusServiceUnavailable)
			if !strings.Contains(up.Body, `"storage_unavailable"`) || up.Header.Get("Retry-After") == "" {
				t.Errorf("upload during the outage: %s %v", up.Body, up.Header)
			}
			dl := srv.Anonymous().Get("/api/repo/busy/linux-64/" + seed.Filename(conda.Conda))
			want(t, dl, http.StatusServiceUnavailable)
			if !strings.Contains(dl.Body, "storage") {
				t.Errorf("download during the outage: %s", dl.Body)
			}
			ready := adm.Get("/readyz")
			want(t, ready, http.StatusServiceUnavailable)
			if !strings.Contains(ready.Body, "storage") {
				t.Errorf("/readyz does not say why: %s", ready.Body)
			}
			want(t, adm.Get("/api/repo/busy/linux-64/repodata.json"), http.StatusOK) // metadata needs no storage

			s3srv.Start()
			time.Sleep(300 * time.Millisecond)
			stop.Store(true)
			wg.Wait()
			for kind, m := range statuses {
				for status, n := range m {
					if status != http.StatusOK && status != http.StatusCreated && status != http.StatusServiceUnavailable {
						t.Errorf("%s answered %d %d times during the outage", kind, status, n)
					}
				}
				if m[http.StatusServiceUnavailable] == 0 {
					t.Errorf("no %s met the outage: %v", kind, m)
				}
			}
			t.Logf("statuses: %v", statuses)

			// Back: works again, and every row has its object.
			want(t, adm.Get("/readyz"), http.StatusOK)
			want(t, uploadTo(t, adm, "busy", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)), http.StatusCreated)
			res, body := get(t, srv.Anonymous(), "/api/repo/busy/linux-64/"+seed.Filename(conda.Conda), nil)
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, seedFile) {
				t.Fatalf("download after the outage: %d", res.StatusCode)
			}
			arts, err := srv.Store.Artifacts(t.Context(), 1, models.ArtifactFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range arts {
				if _, err := srv.Blobs.Stat(t.Context(), a.SHA256); err != nil {
					t.Errorf("%s is recorded without its object: %v", a.Filename, err)
				}
			}
		})
	}
}

// Sweeping with no grace period at all, over and over, beside uploads of
// the same files into several channels and deletes: every recorded
// artifact keeps its file (an upload puts back, under the blob's lock, a
// blob collected between its put and its row).
func TestSweepBesideUploadsLosesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		channels := []string{"one", "two", "three"}
		for _, ch := range channels {
			mustChannel(t, adm, ch, "public")
		}
		var pkgs []condatest.Pkg
		var files [][]byte
		for i := range 4 {
			p := condatest.Pkg{Name: "swept" + strconv.Itoa(i)}
			pkgs, files = append(pkgs, p), append(files, condatest.Build(t, p, conda.Conda))
		}
		var stop atomic.Bool
		sweeps := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			for !stop.Load() {
				if _, err := srv.Store.Sweep(t.Context(), srv.Blobs, -time.Hour); err != nil {
					t.Errorf("sweep: %v", err)
					return
				}
				sweeps++
			}
		}()
		for round := range 4 {
			for _, ch := range channels {
				for i, p := range pkgs {
					want(t, uploadTo(t, adm, ch, "?overwrite=true", p.Filename(conda.Conda), files[i]), http.StatusCreated)
				}
			}
			gone := pkgs[round].Filename(conda.Conda)
			want(t, adm.Do(http.MethodDelete, "/api/channels/one/artifacts/linux-64/"+gone, nil, "", false), http.StatusNoContent)
		}
		stop.Store(true)
		<-done
		if sweeps < 2 {
			t.Fatalf("only %d sweeps ran beside the uploads", sweeps)
		}
		for _, ch := range channels {
			for i, p := range pkgs {
				res, body := get(t, srv.Anonymous(), "/api/repo/"+ch+"/linux-64/"+p.Filename(conda.Conda), nil)
				if ch == "one" && i == len(pkgs)-1 { // deleted in the last round
					want(t, &handlertest.Response{StatusCode: res.StatusCode}, http.StatusNotFound)
					continue
				}
				if res.StatusCode != http.StatusOK || !bytes.Equal(body, files[i]) {
					t.Errorf("%s/%s lost its file: %d", ch, p.Filename(conda.Conda), res.StatusCode)
				}
			}
		}
		t.Logf("%d sweeps", sweeps)
	})
}
