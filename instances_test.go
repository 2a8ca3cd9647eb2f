package main

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/blobs"
	"gatehouse/models/blobs/blobstest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// gatehouseBinary builds the gatehouse command once per test run.
func gatehouseBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "gatehouse-bin-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "gatehouse"), ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "gatehouse")
}

// syncBuffer collects a child's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// instance is a Gatehouse process.
type instance struct {
	URL string
	cmd *exec.Cmd
	out *syncBuffer
}

// startInstance runs the gatehouse binary with env (and nothing of this
// process's Gatehouse, database or AWS settings) and waits until it is ready.
func startInstance(t *testing.T, env map[string]string) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(gatehouseBinary(t))
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEHOUSE_") && !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "GATEHOUSE_ADDR="+addr, "GATEHOUSE_ADMIN_EMAIL="+handlertest.Admin, "GATEHOUSE_ADMIN_PASSWORD="+modeltest.Password)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	in := &instance{URL: "http://" + addr, cmd: cmd, out: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = in.out, in.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.stop)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(in.URL + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return in
			}
		}
	}
	t.Fatalf("gatehouse did not become ready:\n%s", in.out)
	return nil
}

func (in *instance) stop() {
	if in.cmd.ProcessState == nil {
		in.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { in.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			in.cmd.Process.Kill()
			<-done
		}
	}
}

// kill ends the process at once, as a crash would.
func (in *instance) kill() {
	in.cmd.Process.Kill()
	in.cmd.Wait()
}

// s3Env is the environment that puts an instance's blobs in bucket.
func s3Env(o blobs.S3Options, bucket string) map[string]string {
	return map[string]string{"GATEHOUSE_BLOBS": "s3://" + bucket + "/gh", "AWS_ENDPOINT_URL": o.Endpoint, "AWS_REGION": o.Region,
		"AWS_ACCESS_KEY_ID": o.AccessKeyID, "AWS_SECRET_ACCESS_KEY": o.SecretAccessKey, "GATEHOUSE_S3_PATH_STYLE": "true"}
}

func multipartFile(t testing.TB, filename string, content []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func expect(t testing.TB, what string, r *handlertest.Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.StatusCode, status, r.Body)
	}
}

// files lists the regular files under dir.
func files(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Two Gatehouse processes with their own data directories share nothing but
// PostgreSQL and a bucket: what one stores the other serves byte for byte,
// what one deletes the other no longer serves, and a token deleted on one
// is refused by the other.
func TestTwoInstancesShareOnlyPostgresAndABucket(t *testing.T) {
	if os.Getenv("TEST_DATABASE_URL") == "" && os.Getenv("CI") == "" {
		t.Skip("needs PostgreSQL: run scripts/test-env.sh (make test does)")
	}
	if !slices.Contains(blobstest.Kinds(t), blobstest.S3) {
		t.Skip("needs the S3 test server: run scripts/test-env.sh (make test does)")
	}
	o := blobstest.Options(t)
	env := s3Env(o, blobstest.NewBucket(t, o))
	env["DATABASE_URL"] = modeltest.DSN(t, modeltest.Postgres)
	dirA, dirB := t.TempDir(), t.TempDir()
	env["GATEHOUSE_DATA_DIR"] = dirA
	a := startInstance(t, env)
	env["GATEHOUSE_DATA_DIR"] = dirB
	b := startInstance(t, env)
	ca, cb := handlertest.Connect(t, a.URL).AsAdmin(), handlertest.Connect(t, b.URL).AsAdmin()

	expect(t, "create channel on A", ca.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "shared", "privacy": "private"}), http.StatusCreated)
	pkg := condatest.Pkg{Name: "across", InfoFiles: []condatest.Entry{{Name: "info/data", Body: bytes.Repeat([]byte("gatehouse "), 30000)}}}
	file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
	body, ct := multipartFile(t, fn, file)
	expect(t, "upload on A", ca.Do(http.MethodPost, "/api/channels/shared/artifacts", body, ct, false), http.StatusCreated)
	path := "/api/repo/shared/linux-64/" + fn
	dl := cb.Get(path)
	expect(t, "download on B", dl, http.StatusOK)
	if !bytes.Equal([]byte(dl.Body), file) {
		t.Fatal("B serves different bytes than A received")
	}
	if rd := cb.Get("/api/repo/shared/linux-64/repodata.json"); !strings.Contains(rd.Body, fn) {
		t.Fatalf("B's repodata lacks the upload: %s", rd.Body)
	}

	// A token made and deleted on A.
	var created struct {
		Token struct {
			ID     uint   `json:"id"`
			Secret string `json:"secret"`
		} `json:"token"`
	}
	res := ca.SendJSON(http.MethodPost, "/api/tokens", map[string]any{"name": "mirror", "expires_at": time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		"resources": []map[string]string{{"channel": "shared", "level": "read"}}})
	expect(t, "create token on A", res, http.StatusCreated)
	res.JSON(t, &created)
	viaToken := handlertest.Connect(t, b.URL).Anonymous()
	expect(t, "token on B", viaToken.Get("/t/"+created.Token.Secret+path), http.StatusOK)
	expect(t, "delete token on A", ca.Do(http.MethodDelete, fmt.Sprintf("/api/tokens/%d", created.Token.ID), nil, "", false), http.StatusOK)
	expect(t, "deleted token on B", viaToken.Get("/t/"+created.Token.Secret+path), http.StatusUnauthorized)

	// Deleted on A: gone on B, and from the bucket.
	expect(t, "delete on A", ca.Do(http.MethodDelete, "/api/channels/shared/artifacts/linux-64/"+fn, nil, "", false), http.StatusNoContent)
	expect(t, "download on B after the delete", cb.Get(path), http.StatusNotFound)
	st, err := blobs.Open(t.Context(), blobs.Settings{Spec: env["GATEHOUSE_BLOBS"], DataDir: t.TempDir(), S3: o})
	if err != nil {
		t.Fatal(err)
	}
	if left := blobstest.List(t, st); len(left) != 0 {
		t.Errorf("the bucket still holds %v", left)
	}
	for _, dir := range []string{dirA, dirB} {
		if f := files(dir); len(f) != 0 {
			t.Errorf("an instance kept files of its own: %v", f)
		}
	}
}

// A Gatehouse killed in the middle of an upload leaves a staging file; a
// crash between putting a blob and recording it leaves an orphan blob. The
// next start sweeps both away, and nothing that is in use.
func TestStartSweepsWhatACrashLeft(t *testing.T) {
	for _, k := range blobstest.Kinds(t) {
		t.Run(string(k), func(t *testing.T) {
			dataDir := t.TempDir()
			set := blobstest.Settings(t, k, dataDir)
			env := map[string]string{"GATEHOUSE_DATA_DIR": dataDir, "GATEHOUSE_SWEEP_GRACE": "1s"}
			if k == blobstest.S3 {
				env = s3Env(set.S3, set.S3.Bucket)
				env["GATEHOUSE_DATA_DIR"], env["GATEHOUSE_SWEEP_GRACE"] = dataDir, "1s"
				set.Spec = env["GATEHOUSE_BLOBS"]
			}
			store, err := blobs.Open(t.Context(), set)
			if err != nil {
				t.Fatal(err)
			}
			g := startInstance(t, env)
			adm := handlertest.Connect(t, g.URL).AsAdmin()
			expect(t, "create channel", adm.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "crashy", "privacy": "public"}), http.StatusCreated)
			live := condatest.Pkg{Name: "live"}
			liveFile := condatest.Build(t, live, conda.Conda)
			body, ct := multipartFile(t, live.Filename(conda.Conda), liveFile)
			expect(t, "upload", adm.Do(http.MethodPost, "/api/channels/crashy/artifacts", body, ct, false), http.StatusCreated)
			var tok struct {
				Token struct {
					Secret string `json:"secret"`
				} `json:"token"`
			}
			res := adm.SendJSON(http.MethodPost, "/api/tokens", map[string]any{"name": "uploader", "expires_at": time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
				"resources": []map[string]string{{"channel": "crashy", "level": "write"}}})
			expect(t, "create token", res, http.StatusCreated)
			res.JSON(t, &tok)

			// An upload in flight: the head of the body and 1 MiB of the file, then nothing.
			pr, pw := io.Pipe()
			mw := multipart.NewWriter(pw)
			req, _ := http.NewRequest(http.MethodPost, g.URL+"/api/channels/crashy/artifacts", pr)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+tok.Token.Secret)
			go func() {
				if res, err := http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
				}
			}()
			w, _ := mw.CreateFormFile("file", "big-1.0-0.conda")
			w.Write(make([]byte, 1<<20))
			staging := blobstest.StagingDir(store)
			var partial []string
			for deadline := time.Now().Add(10 * time.Second); len(partial) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				partial, _ = filepath.Glob(filepath.Join(staging, "upload-*"))
			}
			if len(partial) == 0 {
				t.Fatalf("the upload in flight left no staging file in %s", staging)
			}
			g.kill()
			pw.CloseWithError(io.ErrClosedPipe)

			// A crash after a blob was put and before its row: an orphan.
			orphan, err := store.Stage(strings.NewReader("put, never recorded"), 100)
			if err != nil {
				t.Fatal(err)
			}
			store.Put(t.Context(), orphan)
			orphan.Discard()
			past := time.Now().Add(-10 * time.Minute) // the crash was a while ago
			for _, p := range partial {
				os.Chtimes(p, past, past)
			}
			time.Sleep(2100 * time.Millisecond) // the orphan passes its grace (S3 keeps whole seconds)

			g = startInstance(t, env)
			swept := func() bool {
				left, _ := filepath.Glob(filepath.Join(staging, "upload-*"))
				_, err := store.Stat(t.Context(), orphan.SHA256)
				return len(left) == 0 && err != nil
			}
			for deadline := time.Now().Add(10 * time.Second); !swept() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			}
			if !swept() {
				t.Fatalf("the start did not sweep the crash's leftovers:\n%s", g.out)
			}
			// The line follows the removals it reports.
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(g.out.String(), "blobs: swept") && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			}
			if !strings.Contains(g.out.String(), "blobs: swept") {
				t.Errorf("the sweep was not logged:\n%s", g.out)
			}
			dl := handlertest.Connect(t, g.URL).Anonymous().Get("/api/repo/crashy/linux-64/" + live.Filename(conda.Conda))
			if dl.StatusCode != http.StatusOK || !bytes.Equal([]byte(dl.Body), liveFile) {
				t.Fatalf("the live package was swept: %d", dl.StatusCode)
			}
		})
	}
}
