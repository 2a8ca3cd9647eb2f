package handlers

import (
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

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
	one, err := rc.Get(t.Context(), s, ch, 0, "linux-64")
	if err != nil {
		t.Fatal(err)
	}
	rc.max = one.size() + 1000 // room for the big entry and a few empty ones
	for _, subdir := range []string{"noarch", "osx-64", "osx-arm64", "win-64", "linux-64", "linux-aarch64"} {
		if _, err := rc.Get(t.Context(), s, ch, 0, subdir); err != nil {
			t.Fatal(err)
		}
		if rc.bytes > rc.max {
			t.Fatalf("cache holds %d bytes, bound %d", rc.bytes, rc.max)
		}
	}
	again, _ := rc.Get(t.Context(), s, ch, 0, "linux-64")
	if string(again.enc.JSON) != string(one.enc.JSON) {
		t.Error("a rebuilt entry differs")
	}
	rc.Forget(ch.ID)
	if rc.bytes != 0 || len(rc.entries) != 0 {
		t.Errorf("Forget left %d bytes in %d entries", rc.bytes, len(rc.entries))
	}
}
