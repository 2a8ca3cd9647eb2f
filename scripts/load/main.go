// Command load measures Gatehouse serving cached repodata: it starts the
// server in-process on a loopback port with SQLite in a temporary directory,
// seeds a channel with 10,000 artifacts (rows only; repodata needs no files)
// and fetches repodata.json, repodata.json.zst and a 304 revalidation from
// several workers for a fixed time, printing requests per second and
// latency. For scale it also serves the same repodata bytes as a static file
// with Go's net/http, and fetches a private twin channel with a resource
// token in the /t/ path; nginx serving the same file is the yardstick
// when installed. Run with `make bench` or `go run ./scripts/load`.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"gatehouse/handlers"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

func main() {
	n := flag.Int("artifacts", 10_000, "artifacts to seed")
	dur := flag.Duration("d", 5*time.Second, "how long each scenario runs")
	workers := flag.Int("c", 4, "concurrent workers")
	big := flag.Bool("big", false, "measure big channels instead (shards, cold start, memory, wrk against nginx)")
	db := flag.String("db", "", "with -big: a PostgreSQL URL to measure on (a schema of its own); SQLite when empty")
	conns := flag.Int("conns", 32, "with -big and -hot: wrk connections")
	hot := flag.Bool("hot", false, "measure the hot path instead: a gatehouse binary as its own process, wrk, nginx, PostgreSQL (-db) or SQLite")
	bin := flag.String("bin", "", "with -hot: the gatehouse binary to measure (built from this tree when empty)")
	rounds := flag.Int("rounds", 3, "with -hot: interleaved rounds per scenario (the median is reported)")
	flag.Parse()
	if *hot {
		if err := runHot(hotOptions{bin: *bin, dsn: *db, dur: *dur, conns: *conns, rounds: *rounds}); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if *big {
		if err := runBig(*db, *n, *dur, *conns); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*n, *dur, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(n int, dur time.Duration, workers int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gatehouse-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := models.Open(dir + "/gatehouse.db")
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Migrate(); err != nil {
		return err
	}
	ch, err := store.CreateChannel(ctx, models.NewChannel{Name: "bench", Public: true})
	if err != nil {
		return err
	}
	// A private twin, fetched only with a resource token, to show what the
	// token check adds next to anonymous fetches of the public channel.
	private, err := store.CreateChannel(ctx, models.NewChannel{Name: "private"})
	if err != nil {
		return err
	}
	owner, err := store.CreateUser(ctx, models.NewUser{Email: "bench@example.com", Password: models.RandomHex(12), Roles: []string{access.RoleAdmin}})
	if err != nil {
		return err
	}
	_, secret, err := store.CreateToken(ctx, owner, models.NewToken{Name: "bench", ExpiresOn: time.Now().AddDate(0, 1, 0).Format("2006-01-02"),
		Grant: access.TokenGrant{Resources: []access.Resource{{Channel: "private", Level: access.Read}}}})
	if err != nil {
		return err
	}
	start := time.Now()
	if err := modeltest.SeedArtifacts(ctx, store, ch, "linux-64", n); err != nil {
		return err
	}
	if err := modeltest.SeedArtifacts(ctx, store, private, "linux-64", n); err != nil {
		return err
	}
	fmt.Printf("seeded %d artifacts in %s\n", n, time.Since(start).Round(time.Millisecond))

	cfg := web.Config{DataDir: dir, MaxUpload: 1 << 20}
	h, err := handlers.NewServer(ctx, cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		return err
	}
	base, stop, err := serve(h)
	if err != nil {
		return err
	}
	defer stop()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2}}
	url := base + "/api/repo/bench/linux-64/repodata.json"
	t0 := time.Now()
	tokenURL := base + "/t/" + secret + "/api/repo/private/linux-64/repodata.json"
	if _, _, _, err := fetch(client, tokenURL, "", false); err != nil {
		return fmt.Errorf("token fetch: %w", err)
	}
	body, etag, _, err := fetch(client, url, "", true)
	if err != nil {
		return err
	}
	fmt.Printf("first fetch (builds the cache): %s, %d bytes\n", time.Since(t0).Round(time.Millisecond), len(body))

	static, stopStatic, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		http.ServeContent(w, r, "repodata.json", start, bytes.NewReader(body))
	}))
	if err != nil {
		return err
	}
	defer stopStatic()

	type scenario struct{ name, url, etag string }
	scenarios := []scenario{
		{"repodata.json (cached)", url, ""},
		{"repodata.json.zst (cached)", url + ".zst", ""},
		{"repodata.json If-None-Match → 304", url, etag},
		{"repodata.json.zst, token in /t/ path", tokenURL + ".zst", ""},
		{"repodata.json, token in /t/ path", tokenURL, ""},
		{"same bytes, static net/http file", static + "/repodata.json", ""},
	}
	// nginx serving the same bytes is the yardstick of spec §10, when installed.
	if nginxURL, stopNginx, err := startNginx(dir, body); err == nil {
		defer stopNginx()
		scenarios = append(scenarios, scenario{"same bytes, static file by nginx", nginxURL + "/repodata.json", ""})
	} else {
		fmt.Printf("nginx not used: %v\n", err)
	}

	fmt.Printf("\n%d workers, %s per scenario, GOMAXPROCS=%d (server and client share the machine)\n", workers, dur, runtime.GOMAXPROCS(0))
	fmt.Printf("%-36s %10s %10s %10s %12s\n", "scenario", "req/s", "p50", "p99", "bytes/resp")
	for _, sc := range scenarios {
		r, err := hammer(client, sc.url, sc.etag, dur, workers)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Printf("%-36s %10.0f %10s %10s %12d\n", sc.name, r.rps, r.p50, r.p99, r.bytes)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Printf("\nGo heap in use after the run: %d MiB (process total from the OS: %d MiB)\n", m.HeapInuse>>20, m.Sys>>20)
	fmt.Printf("peak resident memory (server and load client together): %s\n", peakRSS())
	return nil
}

func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// fetch GETs url (conditionally when etag is set) and returns the body
// (only when keep is set: the load loop counts bytes instead, so the client
// does not inflate the memory figure), the ETag and the body size.
func fetch(c *http.Client, url, etag string, keep bool) ([]byte, string, int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, "", 0, err
	}
	defer res.Body.Close()
	var body []byte
	var n int64
	if keep {
		body, err = io.ReadAll(res.Body)
		n = int64(len(body))
	} else {
		n, err = io.Copy(io.Discard, res.Body)
	}
	if err != nil {
		return nil, "", 0, err
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotModified {
		return nil, "", 0, fmt.Errorf("status %d", res.StatusCode)
	}
	return body, res.Header.Get("ETag"), int(n), nil
}

type result struct {
	rps      float64
	p50, p99 time.Duration
	bytes    int
}

func hammer(c *http.Client, url, etag string, dur time.Duration, workers int) (result, error) {
	var (
		mu    sync.Mutex
		lats  []time.Duration
		first error
		size  int
		wg    sync.WaitGroup
	)
	deadline := time.Now().Add(dur)
	begin := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			last := 0
			for time.Now().Before(deadline) {
				t := time.Now()
				_, _, n, err := fetch(c, url, etag, false)
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
				last = n
			}
			mu.Lock()
			lats = append(lats, mine...)
			size = last
			mu.Unlock()
		}()
	}
	wg.Wait()
	if first != nil {
		return result{}, first
	}
	elapsed := time.Since(begin)
	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[int(float64(len(lats)-1)*p)].Round(10 * time.Microsecond)
	}
	return result{rps: float64(len(lats)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99), bytes: size}, nil
}

// peakRSS reads the process's peak resident set size from /proc (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// startNginx serves body as /repodata.json with nginx (sendfile, one worker
// per core) on a free loopback port, if nginx is installed.
func startNginx(dir string, body []byte) (string, func(), error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			return "", nil, errors.New("nginx is not installed (apt-get install nginx)")
		}
		bin = "/usr/sbin/nginx"
	}
	root := filepath.Join(dir, "nginx")
	// nginx workers may run as another user: let them reach the file.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, "www"), 0o755); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "www", "repodata.json"), body, 0o644); err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf(`daemon off; worker_processes auto; pid %[1]s/nginx.pid; error_log %[1]s/error.log;
events { worker_connections 256; }
http { access_log %[1]s/access.log; sendfile on; tcp_nopush on; keepalive_requests 100000; gzip_static on;
  types { application/json json; }
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server { listen %[2]s; root %[1]s/www; } }
`, root, addr)
	confPath := filepath.Join(root, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "-c", confPath, "-p", root)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGQUIT); _ = cmd.Wait() }
	u := "http://" + addr
	for i := 0; i < 50; i++ {
		if res, err := http.Get(u + "/repodata.json"); err == nil {
			res.Body.Close()
			return u, stop, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, errors.New("nginx did not start")
}
