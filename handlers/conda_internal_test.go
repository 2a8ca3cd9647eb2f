package handlers

import (
	"bytes"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

func jsonOf(t *testing.T, e *repoEntry) string {
	t.Helper()
	var buf bytes.Buffer
	if err := e.sub.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestRepodataCacheStaysWithinItsBound(t *testing.T) {
	s := modeltest.Open(t, modeltest.SQLite)
	ch, err := s.CreateChannel(t.Context(), models.NewChannel{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := modeltest.SeedArtifacts(t.Context(), s, ch, "linux-64", 50); err != nil {
		t.Fatal(err)
	}
	ch, _ = s.ChannelByName(t.Context(), "c")
	rc := NewRepodataCache()
	one, _, err := rc.Get(t.Context(), s, ch, 0, "linux-64")
	if err != nil {
		t.Fatal(err)
	}
	rc.max = one.sub.Size() + 2000 // room for the big entry and a few empty ones
	for _, subdir := range []string{"noarch", "osx-64", "osx-arm64", "win-64", "linux-64", "linux-aarch64"} {
		if _, _, err := rc.Get(t.Context(), s, ch, 0, subdir); err != nil {
			t.Fatal(err)
		}
		if rc.bytes > rc.max {
			t.Fatalf("cache holds %d bytes, bound %d", rc.bytes, rc.max)
		}
	}
	again, _, _ := rc.Get(t.Context(), s, ch, 0, "linux-64")
	if jsonOf(t, again) != jsonOf(t, one) {
		t.Error("a rebuilt entry differs")
	}
	rc.Forget(ch.ID)
	if rc.bytes != 0 || len(rc.slots) != 0 {
		t.Errorf("Forget left %d bytes in %d slots", rc.bytes, len(rc.slots))
	}
}

// A change in one subdir leaves the others' entries as they are: same
// encoded subdir, no rebuild.
func TestRepodataCacheInvalidatesOnlyTheChangedSubdir(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "c"})
		if err != nil {
			t.Fatal(err)
		}
		for _, sd := range []string{"linux-64", "noarch"} {
			if err := modeltest.SeedArtifacts(ctx, s, ch, sd, 40); err != nil {
				t.Fatal(err)
			}
		}
		rc := NewRepodataCache()
		ch, _ = s.ChannelByName(ctx, "c")
		linux, _, err := rc.Get(ctx, s, ch, 0, "linux-64")
		if err != nil {
			t.Fatal(err)
		}
		noarch, _, _ := rc.Get(ctx, s, ch, 0, "noarch")

		if _, err := s.DeleteArtifact(ctx, ch.ID, 0, "linux-64", firstFile(t, s, ch, "linux-64")); err != nil {
			t.Fatal(err)
		}
		ch, _ = s.ChannelByName(ctx, "c")
		noarch2, _, _ := rc.Get(ctx, s, ch, 0, "noarch")
		if noarch2.sub != noarch.sub || noarch2.chGen != ch.Generation {
			t.Error("an upload to linux-64 re-encoded noarch")
		}
		linux2, _, _ := rc.Get(ctx, s, ch, 0, "linux-64")
		if linux2.sub == linux.sub || linux2.sub.Records() != 39 {
			t.Errorf("linux-64 after a delete: %d records", linux2.sub.Records())
		}
	})
}

func firstFile(t *testing.T, s *models.Store, ch *models.Channel, subdir string) string {
	t.Helper()
	arts, err := s.Artifacts(t.Context(), ch.ID, models.ArtifactFilter{Subdir: subdir})
	if err != nil || len(arts) == 0 {
		t.Fatal(err)
	}
	return arts[0].Filename
}

// Builds lock per subdir: while one subdir's build holds its lock, another
// subdir is built and served.
func TestRepodataCacheBuildsDoNotWaitForOtherSubdirs(t *testing.T) {
	s := modeltest.Open(t, modeltest.SQLite)
	ch, err := s.CreateChannel(t.Context(), models.NewChannel{Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	rc := NewRepodataCache()
	big := rc.slot(repoKey{ChannelID: ch.ID, Subdir: "linux-64"})
	big.build.Lock() // a long build of linux-64 in progress
	defer big.build.Unlock()
	done := make(chan error, 1)
	go func() {
		_, _, err := rc.Get(t.Context(), s, ch, 0, "noarch")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("noarch waited for linux-64's build")
	}
}
