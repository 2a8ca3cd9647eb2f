package mirrorrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/mirrorrun"
	"gatehouse/models/modeltest"
	"gatehouse/models/policy"
)

// upstream is a real Gatehouse serving the public channel "up", behind a
// proxy that counts what a mirror asks for and can go away mid-run.
type upstream struct {
	srv   *handlertest.Server
	admin *handlertest.Client
	URL   string // the channel's URL, through the proxy
	mu    sync.Mutex
	hits  []hit
	// cut makes every package download stop after a few bytes.
	cut atomic.Bool
}

type hit struct {
	path   string
	status int
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func isPackage(p string) bool {
	return strings.HasSuffix(p, ".conda") || strings.HasSuffix(p, ".tar.bz2")
}

func startUpstream(t *testing.T, b modeltest.Backend) *upstream {
	t.Helper()
	u := &upstream{srv: handlertest.Start(t, b)}
	u.admin = u.srv.AsAdmin()
	target, _ := url.Parse(u.srv.URL)
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target) }}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.cut.Load() && isPackage(r.URL.Path) {
			u.record(r.URL.Path, -1)
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err == nil {
				buf.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\npartial")
				buf.Flush()
				conn.Close()
			}
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		rp.ServeHTTP(rec, r)
		u.record(r.URL.Path, rec.status)
	}))
	t.Cleanup(proxy.Close)
	res := u.admin.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "up", "privacy": "public"})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create channel: %d %s", res.StatusCode, res.Body)
	}
	u.URL = proxy.URL + "/api/repo/up"
	return u
}

func (u *upstream) record(p string, status int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.hits = append(u.hits, hit{p, status})
}

// take returns the requests seen since the last take.
func (u *upstream) take() []hit {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.hits
	u.hits = nil
	return out
}

func upload(t *testing.T, c *handlertest.Client, channel string, p condatest.Pkg, f conda.Format, overwrite bool) []byte {
	t.Helper()
	body := condatest.Build(t, p, f)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if overwrite {
		_ = mw.WriteField("overwrite", "true")
	}
	w, _ := mw.CreateFormFile("file", p.Defaults().Filename(f))
	w.Write(body)
	mw.Close()
	res := c.Do(http.MethodPost, "/api/channels/"+channel+"/artifacts", &buf, mw.FormDataContentType(), false)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload %s: %d %s", p.Defaults().Filename(f), res.StatusCode, res.Body)
	}
	return body
}

// downstream is the Gatehouse that mirrors, with a runner on its store.
type downstream struct {
	srv    *handlertest.Server
	admin  *handlertest.Client
	runner *mirrorrun.Runner
	ch     *models.Channel
}

func startDownstream(t *testing.T, b modeltest.Backend) *downstream {
	t.Helper()
	cfg := handlertest.Config(t)
	cfg.MirrorCheckInterval = -1
	d := &downstream{srv: handlertest.StartWith(t, modeltest.Open(t, b), cfg)}
	d.admin = d.srv.AsAdmin()
	d.runner = mirrorrun.New(d.srv.Store, d.srv.Blobs, mirrorrun.NewClient(true), cfg.MaxUpload, slog.New(slog.DiscardHandler))
	var err error
	if d.ch, err = d.srv.Store.CreateChannel(t.Context(), models.NewChannel{Name: "down"}); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *downstream) mirror(t *testing.T, sub *models.Subchannel, sp models.MirrorSpec) *models.Mirror {
	t.Helper()
	m, err := d.srv.Store.CreateMirror(t.Context(), d.ch, sub, sp)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// run runs m to the end and returns the recorded run.
func (d *downstream) run(t *testing.T, m *models.Mirror) *models.MirrorRun {
	t.Helper()
	fresh, err := d.srv.Store.MirrorByID(t.Context(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	run, done, err := d.runner.Start(t.Context(), fresh, "manual", mirrorrun.Who{ActorEmail: "test"})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	got, err := d.srv.Store.MirrorRunByID(t.Context(), m.ID, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// files lists the filenames a subdir serves (repodata.json, as conda reads it).
func (d *downstream) files(t *testing.T, path string) []string {
	t.Helper()
	res := d.admin.Get("/api/repo/" + path + "/repodata.json")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("repodata %s: %d %s", path, res.StatusCode, res.Body)
	}
	var rd conda.Repodata
	if err := json.Unmarshal([]byte(res.Body), &rd); err != nil {
		t.Fatal(err)
	}
	var out []string
	for fn := range rd.Packages {
		out = append(out, fn)
	}
	for fn := range rd.PackagesConda {
		out = append(out, fn)
	}
	sort.Strings(out)
	return out
}

func counts(r *models.MirrorRun) [4]int { return [4]int{r.Added, r.Removed, r.Unchanged, r.Refused} }

func wantRun(t *testing.T, r *models.MirrorRun, status string, c [4]int) {
	t.Helper()
	if r.Status != status || counts(r) != c {
		t.Fatalf("run: %s %v (error %q, refusals %s), want %s %v (added, removed, unchanged, refused)", r.Status, counts(r), r.Error, r.Refusals, status, c)
	}
}

var (
	alpha1 = condatest.Pkg{Name: "alpha", Version: "1.0", Subdir: "linux-64", License: "MIT"}
	alpha2 = condatest.Pkg{Name: "alpha", Version: "2.0", Subdir: "linux-64", License: "MIT"}
	beta   = condatest.Pkg{Name: "beta", Version: "1.0", Subdir: "noarch", Noarch: "generic", License: "GPL-3.0-only", Build: "0"}
	gamma  = condatest.Pkg{Name: "gamma", Version: "1.5", Subdir: "noarch", Noarch: "generic", License: "Apache-2.0", Build: "0"}
	tests  = condatest.Pkg{Name: "test-foo", Version: "1.0", Subdir: "noarch", Noarch: "generic", License: "MIT", Build: "0"}
)

func fn(p condatest.Pkg, f conda.Format) string { return p.Defaults().Filename(f) }

// TestMirrorFromGatehouse mirrors another Gatehouse (which offers CEP-16
// shards): a full run, an incremental one that asks only the shard index
// (304), a new version fetched with only its shard and file, a file whose
// bytes change upstream (refused, the old bytes still served), a package
// removed upstream, and an upstream that goes away mid-run (nothing
// served changes).
func TestMirrorFromGatehouse(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			up, down := startUpstream(t, b), startDownstream(t, b)
			upload(t, up.admin, "up", alpha1, conda.Conda, false)
			upload(t, up.admin, "up", alpha2, conda.Conda, false)
			betaBytes := upload(t, up.admin, "up", beta, conda.TarBz2, false)
			upload(t, up.admin, "up", gamma, conda.Conda, false)
			upload(t, up.admin, "up", tests, conda.Conda, false)
			m := down.mirror(t, nil, models.MirrorSpec{URL: up.URL, Subdirs: []string{"linux-64", "noarch"}, Exclude: []string{"test-*"}})

			// Full run: both shard indexes, a shard per name, every file.
			wantRun(t, down.run(t, m), models.RunOK, [4]int{4, 0, 0, 0})
			hits := up.take()
			if n := countHits(hits, isPackage); n != 4 {
				t.Errorf("full run downloaded %d files, want 4: %v", n, hits)
			}
			if got, want := down.files(t, "down/linux-64"), []string{fn(alpha1, conda.Conda), fn(alpha2, conda.Conda)}; !slices.Equal(got, want) {
				t.Errorf("linux-64 serves %v, want %v", got, want)
			}
			if got, want := down.files(t, "down/noarch"), []string{fn(beta, conda.TarBz2), fn(gamma, conda.Conda)}; !slices.Equal(got, want) {
				t.Errorf("noarch serves %v, want %v", got, want)
			}
			res := down.admin.Get("/api/repo/down/noarch/" + fn(beta, conda.TarBz2))
			if res.Body != string(betaBytes) {
				t.Fatalf("the mirrored file differs from upstream's (%d)", res.StatusCode)
			}
			var marked int64
			down.srv.Store.DB().Model(&models.Artifact{}).Where("mirror_id = ?", m.ID).Count(&marked)
			if marked != 4 {
				t.Errorf("%d artifacts are marked as the mirror's, want 4", marked)
			}

			// Nothing changed upstream: two conditional requests, both 304.
			r := down.run(t, m)
			wantRun(t, r, models.RunOK, [4]int{0, 0, 4, 0})
			hits = up.take()
			if len(hits) != 2 || hits[0].status != http.StatusNotModified || hits[1].status != http.StatusNotModified {
				t.Errorf("an unchanged upstream was asked %v, want two 304s", hits)
			}
			if r.Requests != 2 || r.NotModified != 2 {
				t.Errorf("the run counted %d requests, %d not modified; want 2, 2", r.Requests, r.NotModified)
			}

			// A new version: only alpha's shard and the one new file.
			alpha3 := condatest.Pkg{Name: "alpha", Version: "3.0", Subdir: "linux-64", License: "MIT"}
			upload(t, up.admin, "up", alpha3, conda.Conda, false)
			wantRun(t, down.run(t, m), models.RunOK, [4]int{1, 0, 4, 0})
			hits = up.take()
			shards := countHits(hits, func(p string) bool { return strings.Contains(p, "/shards/") })
			if shards != 1 || countHits(hits, isPackage) != 1 {
				t.Errorf("one new version fetched %d shards and %d files, want 1 and 1: %v", shards, countHits(hits, isPackage), hits)
			}

			// Upstream changes beta's bytes under the same name: refused,
			// reported, and the old file still served.
			changed := beta
			changed.Depends = []string{"something-else"}
			upload(t, up.admin, "up", changed, conda.TarBz2, true)
			r = down.run(t, m)
			wantRun(t, r, models.RunOK, [4]int{0, 0, 5, 1})
			if refs := r.RefusalList(); len(refs) != 1 || refs[0].Filename != fn(beta, conda.TarBz2) || !strings.Contains(refs[0].Reason, "changed this file's bytes") {
				t.Errorf("refusals %+v", refs)
			}
			if res := down.admin.Get("/api/repo/down/noarch/" + fn(beta, conda.TarBz2)); res.Body != string(betaBytes) {
				t.Error("the file already served was replaced")
			}
			// The refusal is reported again on the next run, though nothing moved.
			wantRun(t, down.run(t, m), models.RunOK, [4]int{0, 0, 5, 1})

			// Removed upstream: removed here.
			if res := up.admin.Do(http.MethodDelete, "/api/channels/up/artifacts/noarch/"+fn(gamma, conda.Conda), nil, "", false); res.StatusCode != http.StatusNoContent {
				t.Fatalf("delete upstream: %d %s", res.StatusCode, res.Body)
			}
			wantRun(t, down.run(t, m), models.RunOK, [4]int{0, 1, 4, 1})
			if got := down.files(t, "down/noarch"); slices.Contains(got, fn(gamma, conda.Conda)) {
				t.Errorf("gamma is still served: %v", got)
			}

			// The upstream goes away mid-run: nothing served changes.
			before64 := down.admin.Get("/api/repo/down/linux-64/repodata.json").Body
			beforeNo := down.admin.Get("/api/repo/down/noarch/repodata.json").Body
			upload(t, up.admin, "up", condatest.Pkg{Name: "delta", Version: "1.0", Subdir: "linux-64"}, conda.Conda, false)
			upload(t, up.admin, "up", condatest.Pkg{Name: "epsilon", Version: "1.0", Subdir: "noarch", Noarch: "generic", Build: "0"}, conda.Conda, false)
			up.take()
			up.cut.Store(true)
			r = down.run(t, m)
			if r.Status != models.RunFailed || r.Added != 0 || r.Removed != 0 || r.Error == "" {
				t.Fatalf("a run cut off mid-download: %+v", r)
			}
			if strings.Contains(r.Error, up.srv.URL) {
				t.Errorf("the error names the upstream: %s", r.Error)
			}
			if down.admin.Get("/api/repo/down/linux-64/repodata.json").Body != before64 || down.admin.Get("/api/repo/down/noarch/repodata.json").Body != beforeNo {
				t.Error("a failed run changed what is served")
			}
			// Back again: the failed run's state was not kept, so all is fetched.
			up.cut.Store(false)
			wantRun(t, down.run(t, m), models.RunOK, [4]int{2, 0, 4, 1})
		})
	}
}

func countHits(hits []hit, match func(string) bool) int {
	n := 0
	for _, h := range hits {
		if match(h.path) {
			n++
		}
	}
	return n
}

// TestMirrorFilters runs one filter of each kind against the same
// upstream, each mirror into its own subchannel.
func TestMirrorFilters(t *testing.T) {
	b := modeltest.Backends(t)[len(modeltest.Backends(t))-1]
	up, down := startUpstream(t, b), startDownstream(t, b)
	for _, p := range []condatest.Pkg{alpha1, alpha2, gamma, tests} {
		upload(t, up.admin, "up", p, conda.Conda, false)
	}
	upload(t, up.admin, "up", beta, conda.TarBz2, false)
	all := []string{"linux-64", "noarch"}
	vulnerable := policy.New(nil, func(name, version string) policy.Severity {
		if name == "alpha" && version == "1.0" {
			return policy.High
		}
		if name == "gamma" {
			return policy.Low
		}
		return policy.None
	})
	cases := []struct {
		name    string
		spec    models.MirrorSpec
		snap    *policy.Snapshot
		want    []string
		refused int
	}{
		{"include", models.MirrorSpec{Include: []string{"al*"}}, nil, []string{"alpha-1.0", "alpha-2.0"}, 0},
		{"exclude", models.MirrorSpec{Exclude: []string{"alpha", "test-*"}}, nil, []string{"beta-1.0", "gamma-1.5"}, 0},
		{"subdirs", models.MirrorSpec{Subdirs: []string{"noarch"}}, nil, []string{"beta-1.0", "gamma-1.5", "test-foo-1.0"}, 0},
		{"versions", models.MirrorSpec{Versions: ">=1.5,<2|==1.0", Include: []string{"alpha", "gamma"}}, nil, []string{"alpha-1.0", "gamma-1.5"}, 0},
		{"licenses", models.MirrorSpec{Licenses: []string{"Apache-2.0", "GPL-3.0-only"}}, nil, []string{"beta-1.0", "gamma-1.5"}, 0},
		{"severity", models.MirrorSpec{MaxSeverity: "medium", Include: []string{"alpha", "gamma"}}, vulnerable, []string{"alpha-2.0", "gamma-1.5"}, 0},
		{"blocked license", models.MirrorSpec{Include: []string{"beta", "gamma"}}, policy.New([]string{"GPL-3.0-only"}, nil), []string{"gamma-1.5"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sub, err := down.srv.Store.CreateSubchannel(t.Context(), down.ch, strings.ReplaceAll(c.name, " ", "-"))
			if err != nil {
				t.Fatal(err)
			}
			sp := c.spec
			sp.URL = up.URL
			if sp.Subdirs == nil {
				sp.Subdirs = all
			}
			m := down.mirror(t, sub, sp)
			down.runner.Snapshot = func(context.Context) (*policy.Snapshot, error) { return c.snap, nil }
			r := down.run(t, m)
			if r.Status != models.RunOK || r.Refused != c.refused {
				t.Fatalf("run %+v", r)
			}
			var got []string
			for _, sd := range all {
				for _, f := range down.files(t, "down/"+sub.Name+"/"+sd) {
					got = append(got, strings.TrimSuffix(strings.TrimSuffix(f, "-h1234_0.conda"), "-0.conda"))
				}
			}
			for i, g := range got {
				got[i] = strings.TrimSuffix(strings.TrimSuffix(g, "-0.tar.bz2"), "-0")
			}
			sort.Strings(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("mirrored %v, want %v", got, c.want)
			}
		})
	}
	// Changing a filter forgets the last run's state: what is now filtered
	// out is removed at once, though nothing changed upstream.
	m, err := down.srv.Store.MirrorsIn(t.Context(), down.ch.ID, mustSub(t, down, "include").ID)
	if err != nil || len(m) != 1 {
		t.Fatal(err)
	}
	sp := m[0].Spec()
	sp.Include = []string{"alpha"}
	sp.Versions = "2.*"
	if _, err := down.srv.Store.UpdateMirror(t.Context(), &m[0], sp); err != nil {
		t.Fatal(err)
	}
	down.runner.Snapshot = nil
	wantRun(t, down.run(t, &m[0]), models.RunOK, [4]int{0, 1, 1, 0})
}

func mustSub(t *testing.T, d *downstream, name string) *models.Subchannel {
	t.Helper()
	s, err := d.srv.Store.SubchannelByName(t.Context(), d.ch, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMirrorAsksTheServerPolicy: with the store's own policy, a blocked
// license is refused with the policy's words, and a package with a known
// CVE at or above the mirror's severity is left out.
func TestMirrorAsksTheServerPolicy(t *testing.T) {
	b := modeltest.Backends(t)[len(modeltest.Backends(t))-1]
	up, down := startUpstream(t, b), startDownstream(t, b)
	upload(t, up.admin, "up", alpha1, conda.Conda, false)
	upload(t, up.admin, "up", alpha2, conda.Conda, false)
	upload(t, up.admin, "up", beta, conda.TarBz2, false)
	s := down.srv.Store
	admin, err := s.UserByEmail(t.Context(), handlertest.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BlockLicense(t.Context(), "GPL-3.0-only", "copyleft", admin.ID); err != nil {
		t.Fatal(err)
	}
	recs, err := policy.ParseOSV([]byte(`{"id":"GHSA-a1","affected":[{"package":{"name":"alpha"},"versions":["1.0"]}],"database_specific":{"severity":"CRITICAL"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportVulnerabilities(t.Context(), recs, "test"); err != nil {
		t.Fatal(err)
	}
	m := down.mirror(t, nil, models.MirrorSpec{URL: up.URL, Subdirs: []string{"linux-64", "noarch"}, MaxSeverity: "high"})
	r := down.run(t, m)
	wantRun(t, r, models.RunOK, [4]int{1, 0, 0, 1})
	if refs := r.RefusalList(); refs[0].Filename != fn(beta, conda.TarBz2) || !strings.Contains(refs[0].Reason, "GPL-3.0-only") {
		t.Errorf("refusals %+v", refs)
	}
	if got := down.files(t, "down/linux-64"); !slices.Equal(got, []string{fn(alpha2, conda.Conda)}) {
		t.Errorf("linux-64 serves %v, want only alpha 2.0", got)
	}
}
