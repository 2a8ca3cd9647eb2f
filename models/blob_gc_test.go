package models_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// Content-addressed blobs are shared: collecting a blob and recording a new
// artifact that uses it must never interleave, or the new artifact loses its
// file.
func TestBlobCollectionAndUploadDoNotInterleave(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch1, err := s.CreateChannel(ctx, models.NewChannel{Name: "one"})
		if err != nil {
			t.Fatal(err)
		}
		ch2, err := s.CreateChannel(ctx, models.NewChannel{Name: "two"})
		if err != nil {
			t.Fatal(err)
		}
		const sha = "5ab1e0000000000000000000000000000000000000000000000000000000beef"
		if _, err := s.AddArtifact(ctx, models.NewArtifact(ch1, nil, "a-1-0.conda", index("a"), sha, "md5", 10), false); err != nil {
			t.Fatal(err)
		}

		// In use: nothing is removed.
		removed, err := s.CollectBlob(ctx, sha, func() error { t.Error("removed a blob in use"); return nil })
		if err != nil || removed {
			t.Fatalf("collect in use: removed %v, err %v", removed, err)
		}
		if _, err := s.DeleteArtifact(ctx, ch1.ID, 0, "linux-64", "a-1-0.conda"); err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		var order []string
		note := func(s string) {
			mu.Lock()
			order = append(order, s)
			mu.Unlock()
		}
		inside := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := s.CollectBlob(ctx, sha, func() error {
				close(inside)
				time.Sleep(300 * time.Millisecond)
				note("removed")
				return nil
			})
			done <- err
		}()
		<-inside
		b := models.NewArtifact(ch2, nil, "a-1-0.conda", index("a"), sha, "md5", 10)
		if _, err := s.AddArtifactWith(ctx, b, false, func() error { note("placed"); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(order, []string{"removed", "placed"}) {
			t.Fatalf("order %v: the blob was placed before the collector removed it, so the new artifact has no file", order)
		}

		// A failed placement stores no row; a refused row places nothing.
		c := models.NewArtifact(ch2, nil, "c-1-0.conda", index("c"), sha, "md5", 10)
		if _, err := s.AddArtifactWith(ctx, c, false, func() error { return errors.New("disk full") }); err == nil {
			t.Fatal("placement failure not reported")
		}
		if _, err := s.Artifact(ctx, ch2.ID, 0, "linux-64", "c-1-0.conda"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("row kept after a failed placement: %v", err)
		}
		dup := models.NewArtifact(ch2, nil, "a-1-0.conda", index("a"), sha, "md5", 10)
		if _, err := s.AddArtifactWith(ctx, dup, false, func() error { t.Error("placed a refused upload"); return nil }); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
	})
}

// An upload that finishes after its channel or subchannel was deleted is
// refused: it must not leave a row (and a blob) that nothing can reach.
func TestArtifactIntoADeletedPlaceIsRefused(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "gone"})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := s.CreateSubchannel(ctx, ch, "dev")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DeleteSubchannel(ctx, ch, "dev"); err != nil {
			t.Fatal(err)
		}
		placed := false
		place := func() error { placed = true; return nil }
		a := models.NewArtifact(ch, sub, "a-1-0.conda", index("a"), "aa", "md5", 10)
		if _, err := s.AddArtifactWith(ctx, a, false, place); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("into a deleted subchannel: %v", err)
		}
		if _, _, err := s.DeleteChannel(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		b := models.NewArtifact(ch, nil, "a-1-0.conda", index("a"), "aa", "md5", 10)
		if _, err := s.AddArtifactWith(ctx, b, false, place); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("into a deleted channel: %v", err)
		}
		if used, _ := s.BlobInUse(ctx, "aa"); used || placed {
			t.Fatalf("a row or blob was stored for a deleted place (row %v, placed %v)", used, placed)
		}
	})
}
