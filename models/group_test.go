package models_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// TestChannelGroups: names, duplicates whatever their case, members,
// grants reaching members (and stopping for removed or deleted ones),
// and deleting a group taking its grants.
func TestChannelGroups(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ann := modeltest.MustUser(t, s, "ann@example.com")
		a := mustChannel(t, s, "alpha", nil)
		b := mustChannel(t, s, "beta", nil)
		for _, bad := range []string{"", " ", "a b", "-x", "x/y", "group:x", strings.Repeat("x", 101), "é"} {
			if _, err := s.CreateChannelGroup(ctx, bad, "", nil); !badInput(err) {
				t.Errorf("name %q: %v", bad, err)
			}
		}
		g, err := s.CreateChannelGroup(ctx, "  Team-A ", "first", []uint{a.ID})
		if err != nil || g.Name != "team-a" || !slices.Equal(g.ChannelNames(), []string{"alpha"}) {
			t.Fatalf("%+v %v", g, err)
		}
		if _, err := s.CreateChannelGroup(ctx, "TEAM-a", "", nil); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate in another case: %v", err)
		}
		if _, err := s.CreateChannelGroup(ctx, "long", strings.Repeat("d", models.MaxDescLen+1), nil); !badInput(err) {
			t.Fatalf("long description: %v", err)
		}
		level := func(ch *models.Channel) access.Level {
			acls, err := s.ChannelACLs(ctx, []models.Channel{*ch})
			if err != nil {
				t.Fatal(err)
			}
			return access.ChannelLevel(ann.Subject(), acls[ch.ID])
		}
		users := []string{"ann@example.com"}
		if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceGroup, g.ID, map[string]access.GrantsPatch{"write": {Users: &users}}); err != nil {
			t.Fatal(err)
		}
		if level(a) != access.Write || level(b) != access.None {
			t.Fatalf("alpha %s beta %s", level(a), level(b))
		}
		// beta added later gets the group's grant; alpha removed loses it.
		g, err = s.UpdateChannelGroup(ctx, g, models.GroupUpdate{Add: []uint{b.ID}, Remove: []uint{a.ID}})
		if err != nil || !slices.Equal(g.ChannelNames(), []string{"beta"}) {
			t.Fatalf("%v %v", g.ChannelNames(), err)
		}
		if level(a) != access.None || level(b) != access.Write {
			t.Fatalf("after the change: alpha %s beta %s", level(a), level(b))
		}
		rg, err := s.ReadableGroups(ctx, ann.Subject())
		if err != nil || len(rg) != 1 || rg[0].Own != access.Write {
			t.Fatalf("readable groups %+v %v", rg, err)
		}
		// A stale view of the group (another edit came first) is a conflict.
		stale := *g
		stale.Channels = nil
		if _, err := s.UpdateChannelGroup(ctx, &stale, models.GroupUpdate{Add: []uint{a.ID}}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("stale edit: %v", err)
		}
		// Deleting a member channel takes it out of the group.
		if _, _, err := s.DeleteChannel(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if g, err = s.ChannelGroupByName(ctx, "team-a"); err != nil || len(g.Channels) != 0 {
			t.Fatalf("after deleting beta: %+v %v", g, err)
		}
		if refs, _ := s.GrantsOf(ctx, models.PrincipalUser, ann.ID); len(refs) != 1 || refs[0].Name != "team-a" || refs[0].Resource != "group" {
			t.Fatalf("grants of ann: %+v", refs)
		}
		if err := s.DeleteChannelGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if refs, _ := s.GrantsOf(ctx, models.PrincipalUser, ann.ID); len(refs) != 0 {
			t.Fatalf("grants left after deleting the group: %+v", refs)
		}
		if _, err := s.ChannelGroupByName(ctx, "team-a"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("deleted group: %v", err)
		}
	})
}

// TestSubchannelGroups: members are subchannels of the one channel;
// unknown ones are named and nothing is stored.
func TestSubchannelGroups(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch := mustChannel(t, s, "alpha", nil)
		other := mustChannel(t, s, "beta", nil)
		for _, n := range []string{"s1", "s2"} {
			if _, err := s.CreateSubchannel(ctx, ch, n); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateSubchannel(ctx, other, "s3"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSubchannelGroup(ctx, ch, "qa", []string{"s1", "s3", "nope"}); !badInput(err) || !strings.Contains(err.Error(), "s3, nope") {
			t.Fatalf("unknown subchannels: %v", err)
		}
		if _, err := s.CreateSubchannelGroup(ctx, ch, "qa", []string{"s1", "s1"}); !badInput(err) {
			t.Fatalf("twice: %v", err)
		}
		if gs, _ := s.SubchannelGroups(ctx, ch); len(gs) != 0 {
			t.Fatalf("half-stored: %+v", gs)
		}
		g, err := s.CreateSubchannelGroup(ctx, ch, "QA", []string{"s1"})
		if err != nil || g.Name != "qa" || !slices.Equal(g.Subchannels, []string{"s1"}) {
			t.Fatalf("%+v %v", g, err)
		}
		if _, err := s.CreateSubchannelGroup(ctx, ch, "qa", nil); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := s.CreateSubchannelGroup(ctx, other, "qa", nil); err != nil {
			t.Fatalf("same name on another channel: %v", err)
		}
		acls, _ := s.ChannelACLs(ctx, []models.Channel{*ch})
		if !slices.Equal(acls[ch.ID].SubGroups["s1"], []string{"qa"}) {
			t.Fatalf("ACL: %+v", acls[ch.ID].SubGroups)
		}
		before, after, err := s.SetSubchannelGroup(ctx, ch, "qa", []string{"s2"})
		if err != nil || !slices.Equal(before.Subchannels, []string{"s1"}) || !slices.Equal(after.Subchannels, []string{"s2"}) {
			t.Fatalf("%+v %+v %v", before, after, err)
		}
		if _, _, err := s.DeleteSubchannel(ctx, ch, "s2"); err != nil {
			t.Fatal(err)
		}
		if g, _ := s.SubchannelGroupByName(ctx, ch, "qa"); len(g.Subchannels) != 0 {
			t.Fatalf("a deleted subchannel stays a member: %+v", g)
		}
		if _, err := s.DeleteSubchannelGroup(ctx, ch, "qa"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteSubchannelGroup(ctx, ch, "qa"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("twice: %v", err)
		}
		// Deleting a channel takes its subchannel groups.
		if _, _, err := s.DeleteChannel(ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		var left int64
		if err := s.DB().Model(&models.SubchannelGroup{}).Where("channel_id = ?", other.ID).Count(&left).Error; err != nil || left != 0 {
			t.Fatalf("%d subchannel groups left of a deleted channel (%v)", left, err)
		}
	})
}

// TestGroupTokens: a token may name a group the owner can read, at most
// at the owner's level on it, and never a group they cannot see.
func TestGroupTokens(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ann := modeltest.MustUser(t, s, "ann@example.com")
		a := mustChannel(t, s, "alpha", map[string]string{"ann@example.com": "write"})
		b := mustChannel(t, s, "beta", map[string]string{"ann@example.com": "read"})
		hidden := mustChannel(t, s, "hidden", nil)
		if _, err := s.CreateSubchannel(ctx, a, "s1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateChannelGroup(ctx, "both", "", []uint{a.ID, b.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateChannelGroup(ctx, "secret", "", []uint{hidden.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSubchannelGroup(ctx, a, "qa", []string{"s1"}); err != nil {
			t.Fatal(err)
		}
		res := func(path, level string) access.TokenGrant {
			r, err := access.ParseResource(path, level)
			if err != nil {
				t.Fatal(err)
			}
			return access.TokenGrant{Resources: []access.Resource{r}}
		}
		cases := []struct {
			name string
			g    access.TokenGrant
			fail string
		}{
			{"read on a group whose members ann reads", res("group:both", "read"), ""},
			{"write there: beta is read only", res("group:both", "write"), "write on group:both (you hold read)"},
			{"a group ann cannot read", res("group:secret", "read"), "Unknown group: group:secret"},
			{"no such group", res("group:nope", "read"), "Unknown group: group:nope"},
			{"a subchannel group at the channel's level", res("alpha/group:qa", "write"), ""},
			{"above it", res("alpha/group:qa", "manage"), "manage on alpha/group:qa"},
			{"a subchannel group of a hidden channel", res("hidden/group:qa", "read"), "Unknown group"},
			{"no such subchannel group", res("alpha/group:nope", "read"), "Unknown group"},
		}
		for i, c := range cases {
			tok, _, err := s.CreateToken(ctx, ann, models.NewToken{Name: c.name, ExpiresOn: future(3), Grant: c.g})
			switch {
			case c.fail == "" && err != nil:
				t.Errorf("%d %s: %v", i, c.name, err)
			case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
				t.Errorf("%d %s: %v, want %q", i, c.name, err, c.fail)
			case c.fail == "":
				if got := tok.Grant().Resources[0].Path(); got != c.g.Resources[0].Path() {
					t.Errorf("%s: stored as %s", c.name, got)
				}
			}
		}
	})
}

func badInput(err error) bool {
	var ve *models.ValidationError
	return errors.As(err, &ve)
}
