package handlers_test

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// recorder remembers the paths a server was asked for (token taken out).
type recorder struct {
	mu    sync.Mutex
	paths []string
	next  http.Handler
	// refuse answers 404 to paths with this suffix, as a server without it would.
	refuse string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/t/"); ok {
		_, after, _ := strings.Cut(rest, "/")
		p = "/t/TOKEN/" + after
	}
	rec.mu.Lock()
	rec.paths = append(rec.paths, p)
	rec.mu.Unlock()
	if rec.refuse != "" && strings.HasSuffix(p, rec.refuse) {
		http.NotFound(w, r)
		return
	}
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) take() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.paths
	rec.paths = nil
	slices.Sort(out)
	return out
}

// rattlerSolve runs rattler's solver through its JS bindings against channel.
func rattlerSolve(t *testing.T, channel string, specs ...string) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed to run rattler's JS bindings (make test installs them): ", err)
	}
	script, _ := filepath.Abs("testdata/rattler-solve.cjs")
	out, err := exec.CommandContext(t.Context(), node, append([]string{script, channel, "linux-64"}, specs...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("rattler could not solve %v: %v\n%s", specs, err, strings.ReplaceAll(stderr, channel, "<channel>"))
	}
	var urls []string
	if err := json.Unmarshal(out, &urls); err != nil {
		t.Fatalf("rattler printed %q: %v", out, err)
	}
	return urls
}

// A real conda client (rattler) solves a small dependency chain from a
// private channel of many packages through /t/<TOKEN>/: it fetches the
// shard index and the shards of exactly the names it needs. Told there are
// no shards, it falls back to repodata.json and solves the same.
func TestRattlerSolvesThroughShards(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			store := modeltest.Open(t, b)
			modeltest.MustUser(t, store, handlertest.Admin, access.RoleAdmin)
			h, err := handlers.NewServer(t.Context(), handlertest.Config(t), store, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
			if err != nil {
				t.Fatal(err)
			}
			rec := &recorder{next: h}
			ts := httptest.NewServer(rec)
			t.Cleanup(ts.Close)

			ch, err := store.CreateChannel(t.Context(), models.NewChannel{Name: "chain"})
			if err != nil {
				t.Fatal(err)
			}
			if err := modeltest.SeedArtifacts(t.Context(), store, ch, "linux-64", 2000); err != nil { // 500 unrelated names
				t.Fatal(err)
			}
			chain := []condatest.Pkg{
				{Name: "app", Version: "2.0", Build: "h0_0", Depends: []string{"lib-a >=1.1"}},
				{Name: "lib-a", Version: "1.0", Build: "h0_0", Depends: []string{"lib-b"}},
				{Name: "lib-a", Version: "1.2", Build: "h0_0", Depends: []string{"lib-b >=3"}},
				{Name: "lib-b", Version: "3.1", Build: "h0_0", Depends: []string{}},
				{Name: "unrelated", Version: "1", Build: "h0_0", Depends: []string{}},
			}
			adm := handlertest.StartWith(t, store, handlertest.Config(t)) // uploads through a second instance on the same database
			a := adm.AsAdmin()
			for _, p := range chain {
				want(t, uploadTo(t, a, "chain", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)), http.StatusCreated)
			}
			secret := mustToken(t, store, handlertest.Admin, "solver", access.TokenGrant{Resources: []access.Resource{{Channel: "chain", Level: access.Read}}})
			channel := ts.URL + "/t/" + secret + "/api/repo/chain"

			got := rattlerSolve(t, channel, "app")
			wantURLs := []string{channel + "/linux-64/app-2.0-h0_0.conda", channel + "/linux-64/lib-a-1.2-h0_0.conda", channel + "/linux-64/lib-b-3.1-h0_0.conda"}
			if !slices.Equal(got, wantURLs) {
				t.Fatalf("rattler solved %v, want %v", got, wantURLs)
			}
			// From the server's side: both indexes and only the three shards.
			var idx shardIndex
			r := withToken(adm, secret).Get("/api/repo/chain/linux-64/repodata_shards.msgpack.zst")
			want(t, r, http.StatusOK)
			if err := msgpack.Unmarshal(unzstd(t, r.Body), &idx); err != nil {
				t.Fatal(err)
			}
			if len(idx.Shards) != 504 {
				t.Fatalf("index names %d packages, want 504", len(idx.Shards))
			}
			shard := func(name string) string {
				return "/t/TOKEN/api/repo/chain/linux-64/shards/" + hex.EncodeToString(idx.Shards[name]) + ".msgpack.zst"
			}
			wantPaths := []string{
				"/t/TOKEN/api/repo/chain/linux-64/repodata_shards.msgpack.zst",
				"/t/TOKEN/api/repo/chain/noarch/repodata_shards.msgpack.zst",
				shard("app"), shard("lib-a"), shard("lib-b"),
			}
			slices.Sort(wantPaths)
			if paths := rec.take(); !slices.Equal(paths, wantPaths) {
				t.Errorf("rattler asked for\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(wantPaths, "\n"))
			}

			// A server without shards: rattler reads repodata.json(.zst) instead.
			rec.refuse = conda.ShardIndexFile
			if got := rattlerSolve(t, channel, "app"); !slices.Equal(got, wantURLs) {
				t.Fatalf("without shards rattler solved %v", got)
			}
			paths := rec.take()
			if !slices.Contains(paths, "/t/TOKEN/api/repo/chain/linux-64/repodata.json.zst") || slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "/shards/") }) {
				t.Errorf("without shards rattler asked for %v", paths)
			}
		})
	}
}
