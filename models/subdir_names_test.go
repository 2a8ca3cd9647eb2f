package models_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// Subchannels may not be named like any conda subdir, including ones the
// server does not list yet: conda would read <channel>/<that name>/ as a
// platform directory.
func TestSubchannelNamesNeverLookLikeSubdirs(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "main"})
		if err != nil {
			t.Fatal(err)
		}
		var ve *models.ValidationError
		for _, bad := range []string{"freebsd-64", "linux-loongarch64", "osx-ppc", "win-arm64", "noarch"} {
			if _, err := s.CreateSubchannel(ctx, ch, bad); !errors.As(err, &ve) {
				t.Errorf("subchannel %q: %v", bad, err)
			}
		}
		for _, good := range []string{"dev", "linux", "linux_64", "release-2024", "windows-builds"} {
			if _, err := s.CreateSubchannel(ctx, ch, good); err != nil {
				t.Errorf("subchannel %q: %v", good, err)
			}
		}
	})
}

// PossibleChannelName is the channel-name rule, written as a loop for speed:
// it must agree with the rule's regular expression.
func TestPossibleChannelNameAgreesWithTheRule(t *testing.T) {
	for _, name := range []string{"", "a", "a.b", "a_b-c", "A", "-a", ".a", "_a", "a/b", "ä", "a b", "9x", "x9", "a\x00", strings.Repeat("a", 100), strings.Repeat("a", 101)} {
		want := len(name) <= models.MaxChannelNameLen && regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`).MatchString(name)
		if got := models.PossibleChannelName(name); got != want {
			t.Errorf("PossibleChannelName(%q) = %v, want %v", name, got, want)
		}
	}
}
