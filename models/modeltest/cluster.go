package modeltest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// Cluster is a PostgreSQL server of a test's own, which the test may stop
// and start (an outage) without touching the shared one.
type Cluster struct {
	t    testing.TB
	dir  string
	port int
	bin  string
	as   []string // runuser prefix when running as root
	// DSN reaches the cluster's "postgres" database.
	DSN string
}

// NewCluster creates and starts a throwaway cluster from the local
// PostgreSQL installation (which make test installs); it is removed after
// the test.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no PostgreSQL server binaries (initdb) here: make test installs them (Debian's postgresql)")
	}
	sort.Strings(bins)
	c := &Cluster{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "gatehouse-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { c.Stop(); os.RemoveAll(dir) })
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		// PostgreSQL refuses to run as root: run it as the postgres user.
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal("running as root needs a postgres user for a throwaway cluster")
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.as = []string{"runuser", "-u", "postgres", "--"}
	}
	c.port = freePort(t)
	c.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.Start()
	return c
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *Cluster) run(tool string, args ...string) {
	c.t.Helper()
	cmd := append(append([]string{}, c.as...), append([]string{filepath.Join(c.bin, tool)}, args...)...)
	out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", tool, err, out)
	}
}

// Start starts the server and waits until it answers.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir), "start")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", c.port)); err == nil {
			conn.Close()
			return
		}
	}
	c.t.Fatal("the throwaway PostgreSQL did not start")
}

// Stop stops the server at once (in-flight connections are cut).
func (c *Cluster) Stop() {
	cmd := append(append([]string{}, c.as...), filepath.Join(c.bin, "pg_ctl"), "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	_ = exec.Command(cmd[0], cmd[1:]...).Run()
}
