package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/vmihailenco/msgpack/v5"

	"gatehouse/handlers"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// runBig measures big channels (BENCHMARKS.md, "Big channels") on one
// database: a cold start serving the shard index of an n-artifact subdir,
// resident memory with three such subdirs cached, the bytes a client
// fetches to solve three packages against the full repodata.json.zst, and
// cached repodata.json of 10,000 artifacts with a token in /t/ against nginx
// serving the same bytes, under wrk (its own process, 32 connections),
// plain and gzip-encoded.
func runBig(dsn string, n int, dur time.Duration, conns int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gatehouse-big-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, cleanup, err := openStore(dsn, dir)
	if err != nil {
		return err
	}
	defer cleanup()
	owner, err := store.CreateUser(ctx, models.NewUser{Email: "bench@example.com", Password: models.RandomHex(12), Roles: []string{access.RoleAdmin}})
	if err != nil {
		return err
	}
	var res []access.Resource
	channels := map[string]*models.Channel{}
	for _, name := range []string{"big", "builds", "tenk"} {
		ch, err := store.CreateChannel(ctx, models.NewChannel{Name: name}) // private: every request checks the token
		if err != nil {
			return err
		}
		channels[name] = ch
		res = append(res, access.Resource{Channel: name, Level: access.Read})
	}
	_, secret, err := store.CreateToken(ctx, owner, models.NewToken{Name: "bench", ExpiresOn: time.Now().AddDate(0, 1, 0).Format("2006-01-02"), Grant: access.TokenGrant{Resources: res}})
	if err != nil {
		return err
	}
	start := time.Now()
	subdirs := []string{"linux-64", "osx-arm64", "noarch"}
	for _, sd := range subdirs { // four builds per name: many names, a big index
		if err := modeltest.SeedArtifacts(ctx, store, channels["big"], sd, n); err != nil {
			return err
		}
	}
	if err := modeltest.SeedBuilds(ctx, store, channels["builds"], "linux-64", n, 100); err != nil { // 100 builds per name
		return err
	}
	if err := modeltest.SeedArtifacts(ctx, store, channels["tenk"], "linux-64", 10_000); err != nil {
		return err
	}
	fmt.Printf("database %s; seeded 3×%d + %d + 10,000 artifacts in %s\n", backendName(dsn), n, n, time.Since(start).Round(time.Second))

	h, err := handlers.NewServer(ctx, web.Config{DataDir: dir, MaxUpload: 1 << 20}, store, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		return err
	}
	base, stop, err := serve(h)
	if err != nil {
		return err
	}
	defer stop()
	repo := base + "/t/" + secret + "/api/repo/"
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(url string, hdr ...string) ([]byte, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		r, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if err == nil && r.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: status %d", strings.Replace(url, secret, "TOKEN", 1), r.StatusCode)
		}
		return b, err
	}

	// Cold start: the first request for a subdir's shard index.
	t0 := time.Now()
	if _, err := get(repo + "big/linux-64/repodata_shards.msgpack.zst"); err != nil {
		return err
	}
	fmt.Printf("\ncold start, shard index of %d artifacts (%d names): %s\n", n, n/4, time.Since(t0).Round(time.Millisecond))

	// Memory with three big subdirs cached in every form.
	for _, sd := range subdirs {
		for _, f := range []string{"repodata_shards.msgpack.zst", "repodata.json", "repodata.json.zst"} {
			if _, err := get(repo + "big/" + sd + "/" + f); err != nil {
				return err
			}
		}
		if _, err := get(repo+"big/"+sd+"/repodata.json", "Accept-Encoding", "gzip"); err != nil {
			return err
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("three %d-artifact subdirs cached (index, shards, JSON, zst, gzip): Go heap %d MiB, resident %s (peak %s, with the load client and seeding)\n",
		n, m.HeapInuse>>20, procStatus("VmRSS"), procStatus("VmHWM"))

	// Bytes to solve three packages: both indexes and three shards, against
	// the full repodata.json.zst of both subdirs.
	fmt.Printf("\nbytes to solve 3 packages (index of linux-64 and noarch + 3 shards) vs full repodata.json.zst:\n")
	for _, ch := range []struct{ name, shape string }{{"big", "4 builds per name"}, {"builds", "100 builds per name"}} {
		var sharded, full int
		var idx struct {
			Shards map[string][]byte `msgpack:"shards"`
		}
		for _, sd := range []string{"linux-64", "noarch"} {
			b, err := get(repo + ch.name + "/" + sd + "/repodata_shards.msgpack.zst")
			if err != nil {
				return err
			}
			sharded += len(b)
			if sd == "linux-64" {
				d, _ := zstd.NewReader(nil)
				raw, err := d.DecodeAll(b, nil)
				d.Close()
				if err != nil {
					return err
				}
				if err := msgpack.Unmarshal(raw, &idx); err != nil {
					return err
				}
			}
			if z, err := get(repo + ch.name + "/" + sd + "/repodata.json.zst"); err == nil {
				full += len(z)
			} else {
				return err
			}
		}
		for _, name := range []string{"pkg00000", "pkg00001", "pkg00002"} {
			b, err := get(repo + ch.name + "/linux-64/shards/" + hex.EncodeToString(idx.Shards[name]) + ".msgpack.zst")
			if err != nil {
				return err
			}
			sharded += len(b)
		}
		fmt.Printf("  %-8s %d artifacts, %-20s %9d B vs %10d B = %.2f %%\n", ch.name, n, ch.shape+":", sharded, full, 100*float64(sharded)/float64(full))
	}

	// Cached repodata.json of 10,000 artifacts with a token, against nginx.
	return wrkVersusNginx(dir, repo+"tenk/linux-64/repodata.json", get, dur, conns)
}

func wrkVersusNginx(dir, url string, get func(string, ...string) ([]byte, error), dur time.Duration, conns int) error {
	body, err := get(url)
	if err != nil {
		return err
	}
	gz, err := get(url, "Accept-Encoding", "gzip")
	if err != nil {
		return err
	}
	nginx, stopNginx, err := startNginx(dir, body)
	if err != nil {
		return fmt.Errorf("nginx: %w", err)
	}
	defer stopNginx()
	if err := os.WriteFile(filepath.Join(dir, "nginx", "www", "repodata.json.gz"), gz, 0o644); err != nil {
		return err
	}
	if got, err := get(nginx + "/repodata.json"); err != nil || string(got) != string(body) {
		return fmt.Errorf("nginx does not serve the same bytes (%v)", err)
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return fmt.Errorf("wrk is not installed (apt-get install wrk)")
	}
	fmt.Printf("\nwrk, %d connections, %s each, repodata.json of 10,000 artifacts (%d B; gzip %d B), same run:\n", conns, dur, len(body), len(gz))
	fmt.Printf("  %-44s %10s %9s %9s\n", "scenario", "req/s", "p50", "p99")
	type row struct {
		name, url string
		gzip      bool
	}
	rows := []row{
		{"Gatehouse, token in /t/, plain", url, false},
		{"nginx, static file, plain", nginx + "/repodata.json", false},
		{"Gatehouse, token in /t/, gzip", url, true},
		{"nginx, gzip_static, gzip", nginx + "/repodata.json", true},
	}
	rps := map[string]float64{}
	for _, r := range rows {
		args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + dur.String(), "--latency"}
		if r.gzip {
			args = append(args, "-H", "Accept-Encoding: gzip")
		}
		out, err := exec.Command(wrk, append(args, r.url)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("wrk: %v: %s", err, out)
		}
		w := parseWrk(string(out))
		if w.errors != "" {
			return fmt.Errorf("%s: wrk saw %s", r.name, w.errors)
		}
		rps[r.name] = w.rps
		fmt.Printf("  %-44s %10.0f %9s %9s\n", r.name, w.rps, w.p50, w.p99)
	}
	fmt.Printf("  ratio Gatehouse/nginx: plain %.2f, gzip %.2f\n",
		rps[rows[0].name]/rps[rows[1].name], rps[rows[2].name]/rps[rows[3].name])
	return nil
}

type wrkResult struct {
	rps      float64
	p50, p99 string
	errors   string
}

var (
	wrkRPS  = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP50  = regexp.MustCompile(`\s50%\s+(\S+)`)
	wrkP99  = regexp.MustCompile(`\s99%\s+(\S+)`)
	wrkErrs = regexp.MustCompile(`(Non-2xx or 3xx responses: \d+|Socket errors: .*)`)
)

func parseWrk(out string) wrkResult {
	var r wrkResult
	if m := wrkRPS.FindStringSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkP50.FindStringSubmatch(out); m != nil {
		r.p50 = m[1]
	}
	if m := wrkP99.FindStringSubmatch(out); m != nil {
		r.p99 = m[1]
	}
	if m := wrkErrs.FindString(out); m != "" {
		r.errors = m
	}
	return r
}

// openStore opens a fresh database: a schema of its own on PostgreSQL
// (dsn), else SQLite in dir.
func openStore(dsn, dir string) (*models.Store, func(), error) {
	if dsn == "" {
		s, err := models.Open(filepath.Join(dir, "gatehouse.db"))
		if err == nil {
			err = s.Migrate()
		}
		return s, func() { s.Close() }, err
	}
	admin, err := models.Open(dsn)
	if err != nil {
		return nil, nil, err
	}
	schema := "load_" + models.RandomHex(6)
	if err := admin.DB().Exec("CREATE SCHEMA " + schema).Error; err != nil {
		return nil, nil, err
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	s, err := models.Open(dsn + sep + "search_path=" + schema)
	if err == nil {
		err = s.Migrate()
	}
	return s, func() {
		if s != nil {
			s.Close()
		}
		admin.DB().Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}, err
}

func backendName(dsn string) string {
	if dsn == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// procStatus reads one line of /proc/self/status (Linux).
func procStatus(key string) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
