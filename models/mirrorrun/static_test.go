package mirrorrun_test

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/mirrorrun"
	"gatehouse/models/modeltest"
)

// staticChannel is nginx serving a directory laid out as a conda channel.
type staticChannel struct {
	root, URL, log string
}

// startNginx serves dir/www with nginx on a free loopback port, logging
// each request's path and status.
func startNginx(t *testing.T) *staticChannel {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("nginx is not installed (scripts/test-env.sh installs it: apt-get install nginx)")
		}
	}
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} { // workers may run as another user
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := fmt.Sprintf(`daemon off; worker_processes 1; pid %[1]s/nginx.pid; error_log %[1]s/error.log;
events { worker_connections 64; }
http { log_format st '$uri $status'; access_log %[1]s/access.log st;
  types { application/json json; }
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server { listen %[2]s; root %[1]s/www; } }
`, dir, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", confPath, "-p", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGQUIT); _ = cmd.Wait() })
	u := "http://" + addr
	for i := 0; ; i++ {
		res, err := http.Get(u + "/")
		if err == nil {
			res.Body.Close()
			break
		}
		if i == 100 {
			t.Fatalf("nginx did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &staticChannel{root: www, URL: u + "/chan", log: filepath.Join(dir, "access.log")}
}

// publish writes packages and each subdir's repodata.json, as conda index would.
func (s *staticChannel) publish(t *testing.T, pkgs map[string][]byte) {
	t.Helper()
	bySubdir := map[string][]conda.File{}
	for name, body := range pkgs {
		sd, file, _ := strings.Cut(name, "/")
		p := filepath.Join(s.root, "chan", sd)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, file), body, 0o644); err != nil {
			t.Fatal(err)
		}
		format := conda.FormatOf(file)
		ix, err := conda.ReadIndex(strings.NewReader(string(body)), int64(len(body)), format, conda.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		sum, m5 := sha256.Sum256(body), md5.Sum(body)
		bySubdir[sd] = append(bySubdir[sd], conda.File{Filename: file, Record: conda.Record{
			Name: ix.Name, Version: ix.Version, Build: ix.Build, BuildNumber: ix.BuildNumber, Depends: ix.Depends,
			License: ix.License, Subdir: ix.Subdir, SHA256: hex.EncodeToString(sum[:]), MD5: hex.EncodeToString(m5[:]), Size: int64(len(body))}})
	}
	for sd, files := range bySubdir {
		b, err := json.Marshal(conda.BuildRepodata(sd, files))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.root, "chan", sd, "repodata.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// hits reads nginx's access log: one "path status" per request so far.
func (s *staticChannel) hits(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(s.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "/chan/") {
			out = append(out, strings.TrimPrefix(sc.Text(), "/chan/"))
		}
	}
	return out
}

// TestMirrorFromStaticChannel mirrors nginx over a directory: no shards
// (their 404 falls back to repodata.json), then a second run answered 304
// by nginx itself.
func TestMirrorFromStaticChannel(t *testing.T) {
	b := modeltest.Backends(t)[0]
	st, down := startNginx(t), startDownstream(t, b)
	a1 := condatest.Build(t, alpha1, conda.Conda)
	g := condatest.Build(t, gamma, conda.TarBz2)
	st.publish(t, map[string][]byte{"linux-64/" + fn(alpha1, conda.Conda): a1, "noarch/" + fn(gamma, conda.TarBz2): g})
	m := down.mirror(t, nil, models.MirrorSpec{URL: st.URL, Subdirs: []string{"linux-64", "noarch"}})
	wantRun(t, down.run(t, m), models.RunOK, [4]int{2, 0, 0, 0})
	if res := down.admin.Get("/api/repo/down/linux-64/" + fn(alpha1, conda.Conda)); res.Body != string(a1) {
		t.Fatalf("the mirrored file differs (%d)", res.StatusCode)
	}
	first := len(st.hits(t))
	for i := 0; i < 40 && first < 6; i++ { // two 404s for shards, two indexes, two files
		time.Sleep(50 * time.Millisecond)
		first = len(st.hits(t))
	}
	r := down.run(t, m)
	wantRun(t, r, models.RunOK, [4]int{0, 0, 2, 0})
	want := []string{"linux-64/repodata_shards.msgpack.zst 404", "linux-64/repodata.json 304", "noarch/repodata_shards.msgpack.zst 404", "noarch/repodata.json 304"}
	second := st.hits(t)[first:]
	for i := 0; i < 40 && len(second) < len(want); i++ { // nginx logs a request just after answering it
		time.Sleep(50 * time.Millisecond)
		second = st.hits(t)[first:]
	}
	if strings.Join(second, ",") != strings.Join(want, ",") {
		t.Errorf("the second run asked nginx %v, want %v", second, want)
	}
}

// TestScheduleClaimedOnce: two instances over one database (two stores,
// two runners) find the same due mirror at once; one claims it, one run
// happens, and the next is scheduled an interval later.
func TestScheduleClaimedOnce(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			st := startNginx(t)
			st.publish(t, map[string][]byte{"noarch/" + fn(gamma, conda.Conda): condatest.Build(t, gamma, conda.Conda)})
			dsn := modeltest.DSN(t, b)
			s1, s2 := modeltest.OpenDSN(t, dsn), modeltest.OpenDSN(t, dsn)
			ch, err := s1.CreateChannel(t.Context(), models.NewChannel{Name: "down"})
			if err != nil {
				t.Fatal(err)
			}
			m, err := s1.CreateMirror(t.Context(), ch, nil, models.MirrorSpec{URL: st.URL, Subdirs: []string{"noarch"}, IntervalMinutes: 60})
			if err != nil {
				t.Fatal(err)
			}
			// The claim itself: many tries from both instances, one winner.
			var wg sync.WaitGroup
			var mu sync.Mutex
			var won []*models.MirrorRun
			for i := range 16 {
				s := []*models.Store{s1, s2}[i%2]
				wg.Go(func() {
					run, err := s.ClaimMirror(t.Context(), m.ID, "schedule", time.Minute)
					if err == nil {
						mu.Lock()
						won = append(won, run)
						mu.Unlock()
					} else if !errors.Is(err, models.ErrClaimed) {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if len(won) != 1 {
				t.Fatalf("%d claims won, want 1", len(won))
			}
			if due, _ := s2.DueMirrors(t.Context(), 10); len(due) != 0 {
				t.Fatalf("a claimed mirror is due: %v", due)
			}
			won[0].Status = models.RunOK
			if err := s1.FinishRun(t.Context(), m, won[0], ""); err != nil {
				t.Fatal(err)
			}
			if err := s1.DB().Model(&models.Mirror{}).Where("id = ?", m.ID).Update("next_run_at", time.Now().UTC().Add(-time.Second)).Error; err != nil {
				t.Fatal(err)
			}
			// Two runners' schedule loops at once: one run.
			dir := t.TempDir()
			var runners []*mirrorrun.Runner
			for _, s := range []*models.Store{s1, s2} {
				bs := fileBlobs(t, dir)
				runners = append(runners, mirrorrun.New(s, bs, mirrorrun.NewClient(true), 64<<20, discard()))
			}
			for _, r := range runners {
				wg.Go(func() { r.RunDue(t.Context()); r.Wait() })
			}
			wg.Wait()
			runs, err := s1.MirrorRuns(t.Context(), m.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 || runs[0].Status != models.RunOK || runs[0].Added != 1 || runs[0].Trigger != "schedule" {
				t.Fatalf("runs %+v, want the first claim's and one scheduled run that added 1", runs)
			}
			after, _ := s1.MirrorByID(t.Context(), m.ID)
			if after.NextRunAt == nil || time.Until(*after.NextRunAt) < 59*time.Minute || after.ClaimedUntil != nil {
				t.Errorf("after the run: next %v, claimed until %v", after.NextRunAt, after.ClaimedUntil)
			}
		})
	}
}

func fileBlobs(t *testing.T, dir string) blobs.Store {
	t.Helper()
	bs, err := blobs.NewFileStore(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
