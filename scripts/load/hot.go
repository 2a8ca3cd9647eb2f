package main

// The hot path as production runs it: Gatehouse as its own process (a
// built binary, so an earlier release can be measured the same way), wrk
// as another, nginx serving the very same bytes in the same run, on
// PostgreSQL and SQLite. Scenarios run in interleaved rounds and each
// figure is the median of its rounds.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// hotOptions are the -hot run's settings.
type hotOptions struct {
	bin    string // the gatehouse binary to measure; built from this tree when empty
	dsn    string // PostgreSQL to measure on (a schema of its own); SQLite when empty
	dur    time.Duration
	conns  int
	rounds int
}

type hotServer struct {
	url, secret string
	cmd         *exec.Cmd
	store       *models.Store
	cleanup     func()
}

func runHot(o hotOptions) error {
	dir, err := os.MkdirTemp("", "gatehouse-hot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.bin == "" {
		o.bin = filepath.Join(dir, "gatehouse")
		if out, err := exec.Command("go", "build", "-o", o.bin, ".").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v: %s", err, out)
		}
	}
	srv, err := startHot(o, dir)
	if err != nil {
		return err
	}
	defer srv.cleanup()
	get := func(url string, hdr ...string) ([]byte, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: status %d", strings.Replace(url, srv.secret, "TOKEN", 1), res.StatusCode)
		}
		return b, err
	}
	tokenRepo := srv.url + "/t/" + srv.secret + "/api/repo/"
	small, err := get(tokenRepo + "small/linux-64/repodata.json.zst")
	if err != nil {
		return err
	}
	tenk, err := get(tokenRepo + "tenk/linux-64/repodata.json")
	if err != nil {
		return err
	}
	anon, err := get(srv.url + "/api/repo/small-pub/linux-64/repodata.json.zst")
	if err != nil {
		return err
	}
	if !bytes.Equal(anon, small) {
		return fmt.Errorf("the public twin's repodata.json.zst differs from the private one's")
	}
	nginx, stopNginx, err := startNginxFiles(dir, map[string][]byte{"small.json.zst": small, "tenk.json": tenk})
	if err != nil {
		return fmt.Errorf("nginx: %w", err)
	}
	defer stopNginx()
	for name, want := range map[string][]byte{"small.json.zst": small, "tenk.json": tenk} {
		if got, err := get(nginx + "/" + name); err != nil || !bytes.Equal(got, want) {
			return fmt.Errorf("nginx does not serve the same bytes as Gatehouse for %s (%v)", name, err)
		}
	}
	forged := filepath.Join(dir, "forged.lua")
	if err := writeForgedScript(forged, "/api/repo/small/linux-64/repodata.json.zst"); err != nil {
		return err
	}
	type scenario struct {
		name, url string
		conns     int
		script    string
		refusals  bool // non-2xx answers are the point
	}
	c := o.conns
	scenarios := []scenario{
		{"token repodata.json.zst, 1,000 artifacts", tokenRepo + "small/linux-64/repodata.json.zst", c, "", false},
		{"nginx, the same bytes", nginx + "/small.json.zst", c, "", false},
		{"anonymous public repodata.json.zst, same bytes", srv.url + "/api/repo/small-pub/linux-64/repodata.json.zst", c, "", false},
		{"token repodata.json.zst at 2 connections", tokenRepo + "small/linux-64/repodata.json.zst", 2, "", false},
		{"token repodata.json, 10,000 artifacts", tokenRepo + "tenk/linux-64/repodata.json", c, "", false},
		{"nginx, the same 10,000-artifact bytes", nginx + "/tenk.json", c, "", false},
		{"/healthz", srv.url + "/healthz", c, "", false},
		{"forged well-formed tokens, each new", srv.url, c, forged, true},
	}
	runs := map[string][]wrkResult{}
	for round := range o.rounds {
		fmt.Printf("round %d of %d\n", round+1, o.rounds)
		for _, s := range scenarios {
			args := []string{"-t2", "-c" + strconv.Itoa(s.conns), "-d" + o.dur.String(), "--latency"}
			if s.script != "" {
				args = append(args, "-s", s.script)
			}
			out, err := exec.Command("wrk", append(args, s.url)...).CombinedOutput()
			if err != nil {
				return fmt.Errorf("wrk: %v: %s", err, out)
			}
			w := parseWrk(string(out))
			if w.errors != "" && !s.refusals {
				return fmt.Errorf("%s: wrk saw %s", s.name, w.errors)
			}
			runs[s.name] = append(runs[s.name], w)
		}
	}
	median := func(name string) wrkResult {
		rs := slices.Clone(runs[name])
		sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
		return rs[len(rs)/2]
	}
	fmt.Printf("\n%s, %s binary, wrk -t2 for %s × %d rounds (median), Gatehouse, wrk and nginx as separate processes:\n",
		backendName(o.dsn), filepath.Base(o.bin), o.dur, o.rounds)
	fmt.Printf("  %-52s %6s %10s %9s %9s\n", "scenario", "conns", "req/s", "p50", "p99")
	for _, s := range scenarios {
		m := median(s.name)
		fmt.Printf("  %-52s %6d %10.0f %9s %9s\n", s.name, s.conns, m.rps, m.p50, m.p99)
	}
	r := func(a, b string) float64 { return median(a).rps / median(b).rps }
	fmt.Printf("  ratios: small token/nginx %.2f; 10k token/nginx %.2f; token/anonymous %.2f; 32/2 connections %.2f; forged flood/healthz %.2f\n",
		r(scenarios[0].name, scenarios[1].name), r(scenarios[4].name, scenarios[5].name), r(scenarios[0].name, scenarios[2].name),
		r(scenarios[0].name, scenarios[3].name), r(scenarios[7].name, scenarios[6].name))
	if err := hotUploads(srv); err != nil {
		return err
	}
	fmt.Printf("  Gatehouse peak resident memory: %s\n", pidStatus(srv.cmd.Process.Pid, "VmHWM"))
	return nil
}

// startHot starts the binary on a fresh database and seeds it through the
// store: a private and a public channel of 1,000 artifacts, a private one
// of 10,000, and a resource token that reads both private ones.
func startHot(o hotOptions, dir string) (*hotServer, error) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := &hotServer{url: "http://" + addr, cleanup: func() {}}
	env := append(os.Environ(), "GATEHOUSE_ADDR="+addr, "GATEHOUSE_DATA_DIR="+dir, "GATEHOUSE_BASE_URL="+srv.url,
		"GATEHOUSE_ADMIN_EMAIL=bench@example.com", "GATEHOUSE_ADMIN_PASSWORD="+models.RandomHex(12))
	dsn := filepath.Join(dir, "gatehouse.db")
	if o.dsn != "" {
		admin, err := models.Open(o.dsn)
		if err != nil {
			return nil, err
		}
		schema := "hot_" + models.RandomHex(6)
		if err := admin.DB().Exec("CREATE SCHEMA " + schema).Error; err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(o.dsn, "?") {
			sep = "&"
		}
		dsn = o.dsn + sep + "search_path=" + schema
		env = append(env, "DATABASE_URL="+dsn)
		srv.cleanup = func() { admin.DB().Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() }
	}
	srv.cmd = exec.Command(o.bin)
	srv.cmd.Env = env
	// The server's log goes to a file, as in production (nginx's access
	// log goes to one too), not through a pipe to this process.
	logFile, err := os.Create(filepath.Join(dir, "gatehouse.log"))
	if err != nil {
		return nil, err
	}
	srv.cmd.Stdout, srv.cmd.Stderr = logFile, logFile
	if err := srv.cmd.Start(); err != nil {
		return nil, err
	}
	dropDB := srv.cleanup
	srv.cleanup = func() {
		srv.cmd.Process.Signal(os.Interrupt)
		srv.cmd.Wait()
		if srv.store != nil {
			srv.store.Close()
		}
		dropDB()
	}
	for i := 0; ; i++ {
		if res, err := http.Get(srv.url + "/healthz"); err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		if i > 300 {
			srv.cleanup()
			return nil, fmt.Errorf("gatehouse did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if srv.store, err = models.Open(dsn); err != nil {
		srv.cleanup()
		return nil, err
	}
	owner, err := srv.store.UserByEmail(ctx, "bench@example.com")
	if err != nil {
		srv.cleanup()
		return nil, err
	}
	var res []access.Resource
	for _, c := range []struct {
		name   string
		public bool
		n      int
	}{{"small", false, 1000}, {"small-pub", true, 1000}, {"tenk", false, 10_000}} {
		ch, err := srv.store.CreateChannel(ctx, models.NewChannel{Name: c.name, Public: c.public})
		if err != nil {
			srv.cleanup()
			return nil, err
		}
		if err := seedRows(srv.store, ch.ID, c.n); err != nil {
			srv.cleanup()
			return nil, err
		}
		if !c.public {
			res = append(res, access.Resource{Channel: c.name, Level: access.Write})
		}
	}
	_, srv.secret, err = srv.store.CreateToken(ctx, owner, models.NewToken{Name: "bench", ExpiresOn: time.Now().AddDate(0, 1, 0).Format("2006-01-02"), Grant: access.TokenGrant{Resources: res}})
	if err != nil {
		srv.cleanup()
		return nil, err
	}
	return srv, nil
}

// seedRows inserts n artifact rows in plain SQL (any release's schema takes
// them) and marks the channel changed.
func seedRows(s *models.Store, channel uint, n int) error {
	const batch = 500
	for i := 0; i < n; i += batch {
		var sb strings.Builder
		var args []any
		sb.WriteString("INSERT INTO artifacts (channel_id, subchannel_id, subdir, filename, name, version, build, build_number, depends, constrains, extra, license, license_family, timestamp, size, md5, sha256, created_at) VALUES ")
		for j := i; j < min(i+batch, n); j++ {
			if j > i {
				sb.WriteString(",")
			}
			sb.WriteString("(?, 0, 'linux-64', ?, ?, ?, ?, ?, ?, '[]', '{}', 'BSD-3-Clause', 'BSD', ?, ?, ?, ?, ?)")
			name, ver, build := fmt.Sprintf("pkg%05d", j/4), fmt.Sprintf("1.%d.%d", j%4, j%7), fmt.Sprintf("py312h%07x_%d", j, j%3)
			args = append(args, channel, name+"-"+ver+"-"+build+".conda", name, ver, build, j%3,
				`["python >=3.12,<3.13.0a0","python_abi 3.12.* *_cp312","libzlib >=1.3.1,<2.0a0","numpy >=1.26"]`,
				1700000000000+int64(j), 100000+int64(j), fmt.Sprintf("%032x", j), fmt.Sprintf("%064x", j), time.Now())
		}
		if err := s.DB().Exec(sb.String(), args...).Error; err != nil {
			return err
		}
	}
	return s.DB().Exec("UPDATE channels SET generation = generation + 1 WHERE id = ?", channel).Error
}

// writeForgedScript writes a wrk script that sends a new well-formed but
// unknown token with every request.
func writeForgedScript(path, target string) error {
	var toks strings.Builder
	for range 200_000 {
		toks.WriteString(models.NewTokenSecret() + "\n")
	}
	list := path + ".tokens"
	if err := os.WriteFile(list, []byte(toks.String()), 0o644); err != nil {
		return err
	}
	script := fmt.Sprintf(`local toks = {}
for line in io.lines(%q) do toks[#toks + 1] = line end
local i = math.random(#toks)
request = function()
  i = i %% #toks + 1
  return wrk.format("GET", "/t/" .. toks[i] .. %q)
end
`, list, target)
	return os.WriteFile(path, []byte(script), 0o644)
}

// hotUploads times uploads of real packages with one client and with four
// at once: per upload, four at once should cost no more than the two cores
// explain.
func hotUploads(srv *hotServer) error {
	pkgs := map[string][]byte{}
	for i := range 48 {
		p := condatest.Pkg{Name: fmt.Sprintf("up%02d", i)}
		b, err := condatest.Make(p, conda.Conda)
		if err != nil {
			return err
		}
		pkgs[p.Filename(conda.Conda)] = b
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range pkgs {
			if !yield(k) {
				return
			}
		}
	})
	upload := func(name string) (time.Duration, error) {
		var body bytes.Buffer
		body.WriteString("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n\r\n")
		body.Write(pkgs[name])
		body.WriteString("\r\n--b--\r\n")
		req, _ := http.NewRequest(http.MethodPost, srv.url+"/api/channels/small/artifacts", &body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		req.Header.Set("Authorization", "Bearer "+srv.secret)
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("upload %s: %d", name, res.StatusCode)
		}
		return time.Since(start), nil
	}
	measure := func(clients int, names []string) (p50 time.Duration, perUpload time.Duration, err error) {
		var mu sync.Mutex
		var took []time.Duration
		var first error
		start := time.Now()
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := c; i < len(names); i += clients {
					d, err := upload(names[i])
					mu.Lock()
					took = append(took, d)
					if err != nil && first == nil {
						first = err
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(took)
		return took[len(took)/2], time.Since(start) / time.Duration(len(names)), first
	}
	one50, oneEach, err := measure(1, names[:24])
	if err != nil {
		return err
	}
	four50, fourEach, err := measure(4, names[24:])
	if err != nil {
		return err
	}
	fmt.Printf("  uploads into a 1,000-artifact channel: 1 client p50 %s (wall %s each); 4 clients p50 %s (wall %s each)\n",
		one50.Round(100*time.Microsecond), oneEach.Round(100*time.Microsecond), four50.Round(100*time.Microsecond), fourEach.Round(100*time.Microsecond))
	return nil
}

// pidStatus reads one line of a process's /proc status.
func pidStatus(pid int, key string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// startNginxFiles serves files by name with nginx on a free loopback port.
func startNginxFiles(dir string, files map[string][]byte) (string, func(), error) {
	url, stop, err := startNginx(dir, files[firstKey(files)])
	if err != nil {
		return "", nil, err
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, "nginx", "www", name), body, 0o644); err != nil {
			stop()
			return "", nil, err
		}
	}
	return url, stop, nil
}

func firstKey(m map[string][]byte) string {
	for k := range m {
		return k
	}
	return ""
}
