package blobs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	ds, _ := os.ReadDir(dir)
	for _, d := range ds {
		out = append(out, d.Name())
	}
	return out
}

func TestStageCommitOpenRemove(t *testing.T) {
	b := &Store{Dir: t.TempDir()}
	st, err := b.Stage(strings.NewReader("hello"), 10)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("hello"))
	if st.SHA256 != hex.EncodeToString(sum[:]) || st.Size != 5 || st.MD5 != "5d41402abc4b2a76b9719d911017c592" {
		t.Fatalf("staged = %+v", st)
	}
	created, err := b.Commit(st)
	if err != nil || !created {
		t.Fatalf("commit: %v %v", created, err)
	}
	again, _ := b.Stage(strings.NewReader("hello"), 10)
	if created, err := b.Commit(again); err != nil || created {
		t.Fatalf("second commit: %v %v", created, err)
	}
	f, err := b.Open(st.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != "hello" {
		t.Fatalf("content %q", got)
	}
	if n := entries(t, b.Dir); len(n) != 1 {
		t.Fatalf("stray files: %v", n)
	}
	if err := b.Remove(st.SHA256); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(st.SHA256); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("open after remove: %v", err)
	}
}

func TestStageTooLargeLeavesNothing(t *testing.T) {
	b := &Store{Dir: t.TempDir()}
	if _, err := b.Stage(strings.NewReader(strings.Repeat("x", 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if n := entries(t, b.Dir); len(n) != 0 {
		t.Fatalf("stray files: %v", n)
	}
	st, _ := b.Stage(strings.NewReader("x"), 10)
	st.Discard()
	if n := entries(t, b.Dir); len(n) != 0 {
		t.Fatalf("discard left: %v", n)
	}
}

func TestOpenRefusesBadNames(t *testing.T) {
	b := &Store{Dir: t.TempDir()}
	if _, err := b.Open("../../etc/passwd"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}
