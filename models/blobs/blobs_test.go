package blobs_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/models/blobs"
	"gatehouse/models/blobs/blobstest"
)

func eachStore(t *testing.T, fn func(t *testing.T, b blobs.Store)) {
	for _, k := range blobstest.Kinds(t) {
		t.Run(string(k), func(t *testing.T) { fn(t, blobstest.Open(t, k)) })
	}
}

func shaOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestStagePutOpenRemove(t *testing.T) {
	eachStore(t, func(t *testing.T, b blobs.Store) {
		ctx := t.Context()
		st, err := b.Stage(strings.NewReader("hello"), 10)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Discard()
		if st.SHA256 != shaOf("hello") || st.Size != 5 || st.MD5 != "5d41402abc4b2a76b9719d911017c592" {
			t.Fatalf("staged = %+v", st)
		}
		if _, err := b.Stat(ctx, st.SHA256); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("a staged upload is a blob already: %v", err)
		}
		created, err := b.Put(ctx, st)
		if err != nil || !created {
			t.Fatalf("put: %v %v", created, err)
		}
		if created, err := b.Put(ctx, st); err != nil || created {
			t.Fatalf("second put: %v %v", created, err)
		}
		info, err := b.Stat(ctx, st.SHA256)
		if err != nil || info.Size != 5 {
			t.Fatalf("stat: %+v %v", info, err)
		}
		r, err := b.Open(ctx, st.SHA256, 5)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Ready(); err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		if string(got) != "hello" {
			t.Fatalf("content %q", got)
		}
		// Seeking serves ranges.
		if _, err := r.Seek(2, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 2)
		if _, err := io.ReadFull(r, part); err != nil || string(part) != "ll" {
			t.Fatalf("range read %q %v", part, err)
		}
		r.Close()
		var walked []string
		b.Walk(ctx, func(i blobs.Info) error { walked = append(walked, i.SHA256); return nil })
		if len(walked) != 1 || walked[0] != st.SHA256 {
			t.Fatalf("walk = %v", walked)
		}
		if err := b.Remove(ctx, st.SHA256); err != nil {
			t.Fatal(err)
		}
		if err := b.Remove(ctx, st.SHA256); err != nil {
			t.Fatalf("removing a missing blob: %v", err)
		}
		// Put again after a collection: the staged copy is still there.
		if created, err := b.Put(ctx, st); err != nil || !created {
			t.Fatalf("put after remove: %v %v", created, err)
		}
		st.Discard()
		if left := blobstest.List(t, b); len(left) != 1 {
			t.Fatalf("left: %v", left)
		}
		r, _ = b.Open(ctx, shaOf("missing"), 3)
		if err := readyOrRead(r); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("missing blob: %v", err)
		}
	})
}

func readyOrRead(r blobs.Reader) error {
	if r == nil {
		return fs.ErrNotExist
	}
	defer r.Close()
	if err := r.Ready(); err != nil {
		return err
	}
	_, err := io.ReadAll(r)
	return err
}

func TestStageTooLargeLeavesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, b blobs.Store) {
		if _, err := b.Stage(strings.NewReader(strings.Repeat("x", 11)), 10); !errors.Is(err, blobs.ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
		st, _ := b.Stage(strings.NewReader("x"), 10)
		st.Discard()
		if left := blobstest.List(t, b); len(left) != 0 {
			t.Fatalf("left: %v", left)
		}
	})
}

func TestOpenRefusesBadNames(t *testing.T) {
	eachStore(t, func(t *testing.T, b blobs.Store) {
		if _, err := b.Open(t.Context(), "../../etc/passwd", 1); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	})
}

// A staging file whose upload is still running (its lock held, here or in
// any process) stays; one whose process ended goes, however young.
func TestSweepStagingRemovesOnlyDeadUploads(t *testing.T) {
	eachStore(t, func(t *testing.T, b blobs.Store) {
		live, err := b.Stage(strings.NewReader("live"), 10)
		if err != nil {
			t.Fatal(err)
		}
		defer live.Discard()
		dir := blobstest.StagingDir(b)
		dead := filepath.Join(dir, "upload-crashed")
		young := filepath.Join(dir, "upload-just-created")
		os.WriteFile(dead, bytes.Repeat([]byte("x"), 1000), 0o600)
		os.WriteFile(young, []byte("x"), 0o600)
		os.WriteFile(filepath.Join(dir, "not-ours"), []byte("x"), 0o600)
		past := time.Now().Add(-2 * time.Minute)
		for _, p := range []string{dead, live.Name()} {
			os.Chtimes(p, past, past)
		}
		freed := b.SweepStaging()
		if freed.StagingFiles != 1 || freed.StagingBytes != 1000 {
			t.Fatalf("freed %+v, want the one dead file", freed)
		}
		for _, p := range []string{live.Name(), young, filepath.Join(dir, "not-ours")} {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s was removed", filepath.Base(p))
			}
		}
		if _, err := os.Stat(dead); !errors.Is(err, fs.ErrNotExist) {
			t.Error("the dead upload's file is still there")
		}
	})
}

func TestOpenSettings(t *testing.T) {
	for _, bad := range []string{"ftp://x", "s3://", "s3://bucket?x=1", "s3://user:pw@bucket", "disk"} {
		if _, err := blobs.Open(t.Context(), blobs.Settings{Spec: bad, DataDir: t.TempDir()}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	b, err := blobs.Open(t.Context(), blobs.Settings{Spec: "s3://bucket/some/prefix/", DataDir: "/data"})
	if err != nil || b.String() != "s3://bucket/some/prefix/" {
		t.Fatalf("%v %v", b, err)
	}
}
