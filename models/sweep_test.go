package models_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/models/blobs/blobstest"
	"gatehouse/models/modeltest"
)

// A sweep frees the staging files of uploads that died and the blobs no
// artifact refers to once past their grace period; never a blob in use, an
// upload's staging file while it runs, or a young blob.
func TestSweepFreesOnlyWhatNothingUses(t *testing.T) {
	for _, db := range modeltest.Backends(t) {
		for _, k := range blobstest.Kinds(t) {
			t.Run(string(db)+"-"+string(k), func(t *testing.T) {
				ctx := t.Context()
				s, b := modeltest.Open(t, db), blobstest.Open(t, k)
				ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "swept"})
				if err != nil {
					t.Fatal(err)
				}
				put := func(content string) *blobs.Staged {
					st, err := b.Stage(strings.NewReader(content), 1<<20)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := b.Put(ctx, st); err != nil {
						t.Fatal(err)
					}
					return st
				}
				used := put("used by an artifact")
				used.Discard()
				if _, err := s.AddArtifact(ctx, models.NewArtifact(ch, nil, "a-1-0.conda", index("a"), used.SHA256, used.MD5, used.Size), false); err != nil {
					t.Fatal(err)
				}
				orphan := put("left by a crash")
				orphan.Discard()
				running, err := b.Stage(strings.NewReader("an upload still running"), 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				defer running.Discard()
				dead := filepath.Join(blobstest.StagingDir(b), "upload-of-a-killed-process")
				if err := os.WriteFile(dead, make([]byte, 4096), 0o600); err != nil {
					t.Fatal(err)
				}
				past := time.Now().Add(-10 * time.Minute) // the crash was a while ago
				for _, p := range []string{dead, running.Name()} {
					os.Chtimes(p, past, past)
				}

				freed, err := s.Sweep(ctx, b, time.Hour)
				if err != nil || freed != (blobs.Freed{StagingFiles: 1, StagingBytes: 4096}) {
					t.Fatalf("first sweep freed %+v (%v); want only the dead staging file: the orphan is within its grace", freed, err)
				}
				freed, err = s.Sweep(ctx, b, -time.Minute) // every blob past its grace
				if err != nil || freed != (blobs.Freed{Blobs: 1, BlobBytes: orphan.Size}) {
					t.Fatalf("second sweep freed %+v (%v); want the orphan", freed, err)
				}
				if _, err := b.Stat(ctx, used.SHA256); err != nil {
					t.Errorf("the blob in use was swept: %v", err)
				}
				if _, err := b.Stat(ctx, orphan.SHA256); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the orphan is still there: %v", err)
				}
				if _, err := os.Stat(running.Name()); err != nil {
					t.Errorf("a running upload's staging file was swept: %v", err)
				}
			})
		}
	}
}

// An upload puts its blob, then records its row. A sweep that collects the
// blob between the two (no grace left) does not cost the artifact its file:
// recording puts it back under the blob's lock, which the sweep also takes.
func TestSweepBetweenPutAndRecordLosesNothing(t *testing.T) {
	for _, db := range modeltest.Backends(t) {
		for _, k := range blobstest.Kinds(t) {
			t.Run(string(db)+"-"+string(k), func(t *testing.T) {
				ctx := t.Context()
				s, b := modeltest.Open(t, db), blobstest.Open(t, k)
				ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "raced"})
				if err != nil {
					t.Fatal(err)
				}
				st, err := b.Stage(strings.NewReader("an upload in flight"), 1<<20)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Discard()
				if _, err := b.Put(ctx, st); err != nil {
					t.Fatal(err)
				}
				if freed, err := s.Sweep(ctx, b, -time.Minute); err != nil || freed.Blobs != 1 {
					t.Fatalf("the sweep did not collect the unrecorded blob: %+v %v", freed, err)
				}
				a := models.NewArtifact(ch, nil, "a-1-0.conda", index("a"), st.SHA256, st.MD5, st.Size)
				if _, err := s.AddArtifactWith(ctx, a, false, func() error { _, err := b.Put(ctx, st); return err }); err != nil {
					t.Fatal(err)
				}
				if _, err := b.Stat(ctx, st.SHA256); err != nil {
					t.Fatalf("the recorded artifact has no file: %v", err)
				}
				if freed, err := s.Sweep(ctx, b, -time.Minute); err != nil || freed.Blobs != 0 {
					t.Fatalf("a sweep collected a blob in use: %+v %v", freed, err)
				}
			})
		}
	}
}
