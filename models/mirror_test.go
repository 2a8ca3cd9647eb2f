package models_test

import (
	"errors"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://conda.anaconda.org/conda-forge":          "https://conda.anaconda.org/conda-forge",
		"https://bob:pw@example.com/c":                    "https://REDACTED@example.com/c",
		"http://example.com/t/gth_secret/api/repo/x":      "http://example.com/t/REDACTED/api/repo/x",
		"http://u@example.com/a/t/gth_1/t/gth_2/api/repo": "http://REDACTED@example.com/a/t/REDACTED/t/REDACTED/api/repo",
	} {
		if got := models.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMirrorSpecValidate(t *testing.T) {
	sp := models.MirrorSpec{URL: " https://example.com/c/ ", Include: []string{" a*", "a*", ""}, Licenses: []string{"mit"}, MaxSeverity: " High "}
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	if sp.URL != "https://example.com/c" || len(sp.Include) != 1 || sp.MaxSeverity != "high" {
		t.Errorf("normalised to %+v", sp)
	}
	for _, bad := range []models.MirrorSpec{
		{URL: "file:///etc/passwd"}, {URL: "https://"}, {URL: "https://x/c#frag"}, {URL: "javascript:alert(1)"},
		{URL: "https://x/c", Subdirs: []string{"linux 64"}}, {URL: "https://x/c", Include: []string{"a\x00"}},
		{URL: "https://x/c", MaxSeverity: "none"}, {URL: "https://x/c", IntervalMinutes: models.MaxMirrorInterval + 1},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v was accepted", bad)
		}
	}
}

// TestMirrorsGoWithTheirPlace: deleting a subchannel or a channel removes
// its mirrors and their runs.
func TestMirrorsGoWithTheirPlace(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "c"})
		if err != nil {
			t.Fatal(err)
		}
		sub, err := s.CreateSubchannel(ctx, ch, "s")
		if err != nil {
			t.Fatal(err)
		}
		mc, err := s.CreateMirror(ctx, ch, nil, models.MirrorSpec{URL: "https://example.com/a"})
		if err != nil {
			t.Fatal(err)
		}
		ms, err := s.CreateMirror(ctx, ch, sub, models.MirrorSpec{URL: "https://example.com/a"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateMirror(ctx, ch, sub, models.MirrorSpec{URL: "https://example.com/a/"}); !errors.Is(err, models.ErrConflict) {
			t.Errorf("the same upstream twice in one place: %v", err)
		}
		for _, m := range []*models.Mirror{mc, ms} {
			if _, err := s.ClaimMirror(ctx, m.ID, "manual", time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.DeleteSubchannel(ctx, ch, "s"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.MirrorByID(ctx, ms.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the subchannel's mirror survived: %v", err)
		}
		if _, _, err := s.DeleteChannel(ctx, ch.ID); err != nil {
			t.Fatal(err)
		}
		var mirrors, runs int64
		s.DB().Model(&models.Mirror{}).Count(&mirrors)
		s.DB().Model(&models.MirrorRun{}).Count(&runs)
		if mirrors != 0 || runs != 0 {
			t.Errorf("%d mirrors and %d runs left", mirrors, runs)
		}
	})
}
