// Command blobload measures artifact storage the way production runs it:
// Gatehouse built and started as its own process, on PostgreSQL
// (TEST_DATABASE_URL; SQLite without it), once with the file store and
// once with S3 (a versitygw started here: TEST_S3_SERVER or
// .cache/bin/versitygw, which scripts/test-env.sh builds). It reports
//
//   - the growth of the Gatehouse process's peak resident memory while a
//     100 MB package is uploaded (the kernel's VmHWM, reset just before);
//   - download throughput of one package through each store, with wrk at 32
//     connections as its own process, beside nginx serving the same bytes
//     (each target first checked to answer 200 with exactly those bytes).
//
// Run with `make bench` or `go run ./scripts/blobload`.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

func main() {
	uploadMB := flag.Int("upload-mb", 100, "size of the package whose upload memory is measured")
	downloadMB := flag.Int("download-mb", 16, "size of the package downloaded under load")
	dur := flag.Duration("d", 8*time.Second, "how long each wrk run lasts")
	conns := flag.Int("c", 32, "wrk connections")
	rounds := flag.Int("rounds", 3, "interleaved rounds per target (the median is reported)")
	flag.Parse()
	if err := run(*uploadMB, *downloadMB, *dur, *conns, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "blobload:", err)
		os.Exit(1)
	}
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "blobload-password"
)

func run(uploadMB, downloadMB int, dur time.Duration, conns, rounds int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gatehouse-blobload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "gatehouse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	s3o, stopS3, err := startS3(ctx, dir)
	if err != nil {
		return err
	}
	defer stopS3()

	stores := []struct{ name, spec string }{{"file", "file"}, {"s3", "s3://bench/blobs"}}
	insts := map[string]*instance{}
	db := "SQLite"
	if os.Getenv("TEST_DATABASE_URL") != "" {
		db = "PostgreSQL"
	}
	for _, st := range stores {
		in, err := startGatehouse(ctx, bin, dir, st.name, st.spec, s3o)
		if err != nil {
			return err
		}
		defer in.stop()
		insts[st.name] = in
	}

	big, err := writePackage(dir, "big", uploadMB)
	if err != nil {
		return err
	}
	small, err := writePackage(dir, "dl", downloadMB)
	if err != nil {
		return err
	}
	fmt.Printf("Object storage, %s, Gatehouse as its own process; %d MB upload, %d MB download at %d connections\n\n", db, uploadMB, downloadMB, conns)
	fmt.Println("| store | RSS before upload | peak RSS during upload | growth | upload time |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for _, st := range stores {
		in := insts[st.name]
		if err := in.upload(small); err != nil { // warms the upload path
			return err
		}
		before, peak, took, err := in.measureUpload(big)
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %.1f MB | %.1f MB | **%.1f MB** | %.2f s |\n", st.name, mb(before), mb(peak), mb(peak-before), took.Seconds())
	}

	want, err := os.ReadFile(small.path)
	if err != nil {
		return err
	}
	targets := []struct{ name, url string }{}
	if u, stop, err := startNginx(dir, small.name, want); err == nil {
		defer stop()
		targets = append(targets, struct{ name, url string }{"nginx, same bytes as a static file", u})
	} else {
		fmt.Printf("\nnginx not used: %v\n", err)
	}
	for _, st := range stores {
		targets = append(targets, struct{ name, url string }{"Gatehouse, " + st.name + " store", insts[st.name].url + "/api/repo/bench/linux-64/" + small.name})
	}
	for _, tg := range targets {
		if err := check(tg.url, want); err != nil {
			return fmt.Errorf("%s: %w", tg.name, err)
		}
	}
	results := map[string][]float64{}
	for range rounds {
		for _, tg := range targets {
			rps, err := wrk(tg.url, dur, conns)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.name, err)
			}
			results[tg.name] = append(results[tg.name], rps)
		}
	}
	fmt.Printf("\n| download of a %d MB package, wrk -c%d, median of %d × %s | req/s | MB/s | vs file store |\n|---|---:|---:|---:|\n", downloadMB, conns, rounds, dur)
	file := median(results[targets[len(targets)-2].name])
	for _, tg := range targets {
		m := median(results[tg.name])
		fmt.Printf("| %s | %.1f | %.0f | %.2f× |\n", tg.name, m, m*float64(len(want))/1e6, m/file)
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// startS3 starts a private versitygw and makes the bucket "bench".
func startS3(ctx context.Context, dir string) (blobs.S3Options, func(), error) {
	bin := os.Getenv("TEST_S3_SERVER")
	if bin == "" {
		bin = ".cache/bin/versitygw"
	}
	if _, err := os.Stat(bin); err != nil {
		return blobs.S3Options{}, nil, fmt.Errorf("no S3 server at %s: run scripts/test-env.sh first (make bench does)", bin)
	}
	addr, err := freeAddr()
	if err != nil {
		return blobs.S3Options{}, nil, err
	}
	root := filepath.Join(dir, "s3")
	os.MkdirAll(root, 0o750)
	o := blobs.S3Options{Endpoint: "http://" + addr, Region: "us-east-1", AccessKeyID: "bench", SecretAccessKey: "bench-secret", PathStyle: true}
	cmd := exec.Command(bin, "--access", o.AccessKeyID, "--secret", o.SecretAccessKey, "--port", addr, "--quiet", "posix", root)
	if err := cmd.Start(); err != nil {
		return o, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	if err := waitHTTP(o.Endpoint+"/", 0); err != nil {
		stop()
		return o, nil, err
	}
	withBucket := o
	withBucket.Bucket = "bench"
	st, err := blobs.NewS3Store(ctx, withBucket, dir)
	if err == nil {
		_, err = st.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: ptr("bench")})
	}
	if err != nil {
		stop()
		return o, nil, err
	}
	return o, stop, nil
}

func ptr[T any](v T) *T { return &v }

type instance struct {
	url    string
	cmd    *exec.Cmd
	client *http.Client
	csrf   string
	drop   func()
}

// startGatehouse runs one Gatehouse process with its own data directory
// (and PostgreSQL schema), signs in and makes a public channel "bench".
func startGatehouse(ctx context.Context, bin, dir, name, spec string, o blobs.S3Options) (*instance, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data-"+name)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GATEHOUSE_ADDR=" + addr, "GATEHOUSE_DATA_DIR=" + data,
		"GATEHOUSE_ADMIN_EMAIL=" + adminEmail, "GATEHOUSE_ADMIN_PASSWORD=" + adminPassword, "GATEHOUSE_BLOBS=" + spec,
		"AWS_ENDPOINT_URL=" + o.Endpoint, "AWS_REGION=" + o.Region, "AWS_ACCESS_KEY_ID=" + o.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + o.SecretAccessKey, "GATEHOUSE_S3_PATH_STYLE=true"}
	in := &instance{url: "http://" + addr, drop: func() {}}
	if base := os.Getenv("TEST_DATABASE_URL"); base != "" {
		dsn, drop, err := newSchema(base, "blobload_"+name+"_"+models.RandomHex(4))
		if err != nil {
			return nil, err
		}
		in.drop = drop
		env = append(env, "DATABASE_URL="+dsn)
	}
	in.cmd = exec.Command(bin)
	in.cmd.Env = env
	in.cmd.Stderr = io.Discard
	if err := in.cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitHTTP(in.url+"/readyz", http.StatusOK); err != nil {
		in.stop()
		return nil, err
	}
	if err := in.login(); err != nil {
		in.stop()
		return nil, err
	}
	res, err := in.do(http.MethodPost, "/api/channels", strings.NewReader(`{"name":"bench","privacy":"public"}`), "application/json")
	if err != nil || res != http.StatusCreated {
		in.stop()
		return nil, fmt.Errorf("create channel: %d %v", res, err)
	}
	return in, nil
}

func (in *instance) stop() {
	in.cmd.Process.Signal(syscall.SIGTERM)
	in.cmd.Wait()
	in.drop()
}

func (in *instance) login() error {
	jar, _ := cookiejar.New(nil)
	in.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := in.client.Get(in.url + "/login")
	if err != nil {
		return err
	}
	res.Body.Close()
	u, _ := url.Parse(in.url)
	for _, c := range jar.Cookies(u) {
		if c.Name == "gatehouse_csrf" {
			in.csrf = c.Value
		}
	}
	res, err = in.client.PostForm(in.url+"/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "_csrf": {in.csrf}})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign in: status %d", res.StatusCode)
	}
	return nil
}

func (in *instance) do(method, path string, body io.Reader, ctype string) (int, error) {
	req, err := http.NewRequest(method, in.url+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-CSRF-Token", in.csrf)
	res, err := in.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// upload streams a package file from disk as multipart.
func (in *instance) upload(p pkgFile) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", p.name)
		if err == nil {
			var f *os.File
			if f, err = os.Open(p.path); err == nil {
				_, err = io.Copy(part, f)
				f.Close()
			}
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	status, err := in.do(http.MethodPost, "/api/channels/bench/artifacts", pr, mw.FormDataContentType())
	if err == nil && status != http.StatusCreated {
		err = fmt.Errorf("upload %s: status %d", p.name, status)
	}
	return err
}

// measureUpload resets the process's peak RSS, uploads p and reads the peak.
func (in *instance) measureUpload(p pkgFile) (before, peak int64, took time.Duration, err error) {
	pid := in.cmd.Process.Pid
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return 0, 0, 0, fmt.Errorf("reset the peak RSS: %w", err)
	}
	if before, err = procStatus(pid, "VmRSS"); err != nil {
		return
	}
	start := time.Now()
	if err = in.upload(p); err != nil {
		return
	}
	took = time.Since(start)
	peak, err = procStatus(pid, "VmHWM")
	return
}

func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`(?m)^` + field + `:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10, nil
}

type pkgFile struct{ name, path string }

// writePackage makes a real .conda package of about sizeMB (incompressible
// content) on disk.
func writePackage(dir, name string, sizeMB int) (pkgFile, error) {
	body := make([]byte, sizeMB<<20)
	r := rand.NewChaCha8([32]byte{byte(sizeMB)})
	r.Read(body)
	p := condatest.Pkg{Name: name, Files: []condatest.Entry{{Name: "lib/" + name + ".bin", Body: body}}}
	b, err := condatest.Make(p, conda.Conda)
	if err != nil {
		return pkgFile{}, err
	}
	f := pkgFile{name: p.Filename(conda.Conda), path: filepath.Join(dir, p.Filename(conda.Conda))}
	return f, os.WriteFile(f.path, b, 0o644)
}

// check fetches u once: it must answer 200 with exactly want.
func check(u string, want []byte) error {
	res, err := http.Get(u)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || sha256.Sum256(got) != sha256.Sum256(want) {
		return fmt.Errorf("answered %d with %d bytes, not the %d bytes of the package", res.StatusCode, len(got), len(want))
	}
	return nil
}

var reqsRE = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)

// wrk runs wrk against u and returns requests per second; any non-2xx
// answer or socket error fails the run.
func wrk(u string, dur time.Duration, conns int) (float64, error) {
	out, err := exec.Command("wrk", "-t2", "-c"+strconv.Itoa(conns), "-d"+dur.String(), "--timeout", "30s", u).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) || bytes.Contains(out, []byte("Socket errors")) {
		return 0, fmt.Errorf("wrk saw failures:\n%s", out)
	}
	m := reqsRE.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// newSchema makes a PostgreSQL schema and returns a DSN that uses it.
func newSchema(base, schema string) (string, func(), error) {
	admin, err := models.Open(base)
	if err != nil {
		return "", nil, err
	}
	if err := admin.DB().Exec("CREATE SCHEMA " + schema).Error; err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() { admin.DB().Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() }, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitHTTP waits until u answers (with status, when not 0).
func waitHTTP(u string, status int) error {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(u); err == nil {
			res.Body.Close()
			if status == 0 || res.StatusCode == status {
				return nil
			}
		}
	}
	return errors.New(u + " did not answer")
}

// startNginx serves body as /<name> with nginx (sendfile, one worker per
// core) on a free loopback port, if nginx is installed.
func startNginx(dir, name string, body []byte) (string, func(), error) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			return "", nil, errors.New("nginx is not installed (apt-get install nginx)")
		}
		bin = "/usr/sbin/nginx"
	}
	root := filepath.Join(dir, "nginx")
	if err := os.Chmod(dir, 0o755); err != nil { // workers may run as another user
		return "", nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, "www"), 0o755); err != nil {
		return "", nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "www", name), body, 0o644); err != nil {
		return "", nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return "", nil, err
	}
	conf := fmt.Sprintf(`daemon off; worker_processes auto; pid %[1]s/nginx.pid; error_log %[1]s/error.log;
events { worker_connections 256; }
http { access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;
  default_type application/octet-stream;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s; uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server { listen %[2]s; root %[1]s/www; } }
`, root, addr)
	confPath := filepath.Join(root, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "-c", confPath, "-p", root)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Signal(syscall.SIGQUIT); _ = cmd.Wait() }
	u := "http://" + addr + "/" + name
	if err := waitHTTP(u, http.StatusOK); err != nil {
		stop()
		return "", nil, err
	}
	return u, stop, nil
}
