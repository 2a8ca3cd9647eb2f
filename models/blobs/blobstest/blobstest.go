// Package blobstest gives tests blob stores of every kind Gatehouse
// supports: a directory always, and a fresh bucket on a real S3-compatible
// server (versitygw, which `make test` installs and starts) when
// TEST_S3_ENDPOINT is set, and in CI, where it must be.
package blobstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"gatehouse/models"
	"gatehouse/models/blobs"
)

// Kind names a blob store kind.
type Kind string

// The supported kinds.
const (
	File Kind = "file"
	S3   Kind = "s3"
)

// Kinds lists the kinds to test on. In CI the S3 server is required.
func Kinds(t testing.TB) []Kind {
	if os.Getenv("TEST_S3_ENDPOINT") != "" {
		return []Kind{File, S3}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("TEST_S3_ENDPOINT must be set in CI so blob tests also run on S3 (scripts/test-env.sh starts the server)")
	}
	return []Kind{File}
}

// Options are the test server's S3 settings (without bucket).
func Options(t testing.TB) blobs.S3Options {
	t.Helper()
	ep := os.Getenv("TEST_S3_ENDPOINT")
	if ep == "" {
		t.Fatal("TEST_S3_ENDPOINT is not set: run scripts/test-env.sh (make test does)")
	}
	return blobs.S3Options{Endpoint: ep, Region: "us-east-1", PathStyle: true,
		AccessKeyID: os.Getenv("TEST_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("TEST_S3_SECRET_ACCESS_KEY")}
}

// Settings returns store settings of kind k under dataDir; for S3 a new
// bucket, removed with its objects after the test.
func Settings(t testing.TB, k Kind, dataDir string) blobs.Settings {
	t.Helper()
	if k == File {
		return blobs.Settings{Spec: "file", DataDir: dataDir}
	}
	o := Options(t)
	o.Bucket = NewBucket(t, o)
	return blobs.Settings{Spec: "s3://" + o.Bucket + "/blobs", DataDir: dataDir, S3: o}
}

// Open returns a fresh store of kind k.
func Open(t testing.TB, k Kind) blobs.Store {
	t.Helper()
	b, err := blobs.Open(t.Context(), Settings(t, k, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// NewBucket creates a bucket with a random name on the server o names and
// removes it, emptied, after the test.
func NewBucket(t testing.TB, o blobs.S3Options) string {
	t.Helper()
	name := "gh-test-" + models.RandomHex(6)
	o.Bucket = name
	st, err := blobs.NewS3Store(context.Background(), o, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := st.Client()
	if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("create bucket on %s: %v", o.Endpoint, err)
	}
	t.Cleanup(func() { EmptyAndDelete(c, name) })
	return name
}

// EmptyAndDelete removes every object of a bucket, then the bucket.
func EmptyAndDelete(c *s3.Client, bucket string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		for _, o := range page.Contents {
			c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: o.Key})
		}
	}
	c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
}

// Server is an S3 server a test runs itself, so it can stop and start it.
type Server struct {
	Endpoint string
	Options  blobs.S3Options
	t        testing.TB
	dir      string
	addr     string
	cmd      *exec.Cmd
}

// StartServer starts a private versitygw (TEST_S3_SERVER names the binary)
// on a free loopback port; it is stopped after the test.
func StartServer(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &Server{Endpoint: "http://" + addr, t: t, dir: t.TempDir(), addr: addr}
	s.Options = blobs.S3Options{Endpoint: s.Endpoint, Region: "us-east-1", PathStyle: true, AccessKeyID: "outage-test", SecretAccessKey: "outage-test-secret"}
	if err := os.MkdirAll(filepath.Join(s.dir, "root"), 0o750); err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start (re)starts the server on its address and directory and waits until
// it answers.
func (s *Server) Start() {
	s.t.Helper()
	bin := os.Getenv("TEST_S3_SERVER")
	if bin == "" {
		s.t.Fatal("TEST_S3_SERVER is not set: run scripts/test-env.sh (make test does), which installs versitygw")
	}
	s.cmd = exec.Command(bin, "--access", s.Options.AccessKeyID, "--secret", s.Options.SecretAccessKey,
		"--port", s.addr, "--quiet", "posix", filepath.Join(s.dir, "root"))
	log, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		s.t.Fatal(err)
	}
	defer log.Close()
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", bin, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(s.Endpoint + "/"); err == nil {
			res.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the S3 server at %s did not start", s.Endpoint)
}

// Stop kills the server at once, as an outage would.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Keys lists every key in a bucket.
func Keys(t testing.TB, c *s3.Client, bucket string) []string {
	t.Helper()
	var out []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out
}

// List names every blob and staging file a store holds, for tests that
// prove nothing was left behind.
func List(t testing.TB, b blobs.Store) []string {
	t.Helper()
	var out []string
	err := b.Walk(t.Context(), func(i blobs.Info) error { out = append(out, i.SHA256); return nil })
	if err != nil {
		t.Fatal(err)
	}
	dir := StagingDir(b)
	ds, _ := os.ReadDir(dir)
	for _, d := range ds {
		out = append(out, filepath.Join(dir, d.Name()))
	}
	return out
}

// StagingDir is where a store spools uploads.
func StagingDir(b blobs.Store) string {
	switch b := b.(type) {
	case *blobs.FileStore:
		return filepath.Join(b.Dir, ".staging")
	case *blobs.S3Store:
		return b.StagingDir()
	}
	panic(fmt.Sprintf("blobstest: unknown store %T", b))
}

// IsUnavailable reports whether err says the storage service is down.
func IsUnavailable(err error) bool { return errors.Is(err, blobs.ErrUnavailable) }
