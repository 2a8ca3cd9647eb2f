package models_test

import (
	"errors"
	"fmt"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/modeltest"
)

func index(name string) *conda.Index {
	return &conda.Index{Name: name, Version: "1", Build: "0", Subdir: "linux-64", Depends: []string{"python"}, Constrains: []string{}}
}

func TestChannelStore(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "main", Description: " Main ", Public: false})
		if err != nil {
			t.Fatal(err)
		}
		if ch.Description != "Main" || ch.Privacy() != "private" {
			t.Errorf("channel = %+v", ch)
		}
		if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "main"}); !errors.Is(err, models.ErrConflict) {
			t.Errorf("duplicate: %v", err)
		}
		var ve *models.ValidationError
		for _, bad := range []string{"", "UP", "a b", "_x", "é"} {
			if _, err := s.CreateChannel(ctx, models.NewChannel{Name: bad}); !errors.As(err, &ve) {
				t.Errorf("name %q: %v", bad, err)
			}
		}
		for _, subdir := range conda.Subdirs {
			if _, err := s.CreateSubchannel(ctx, ch, subdir); !errors.As(err, &ve) {
				t.Errorf("subchannel %q: %v", subdir, err)
			}
		}
		sub, err := s.CreateSubchannel(ctx, ch, "beta")
		if err != nil {
			t.Fatal(err)
		}

		// Upload and delete bump the generation; a duplicate place is a conflict.
		gen := func() int64 {
			g, err := s.ChannelGeneration(ctx, ch.ID)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		g0 := gen()
		a := models.NewArtifact(ch, nil, "a-1-0.conda", index("a"), "aa", "md5", 10)
		if _, err := s.AddArtifact(ctx, a, false); err != nil {
			t.Fatal(err)
		}
		if gen() != g0+1 {
			t.Errorf("generation %d after upload, want %d", gen(), g0+1)
		}
		if _, err := s.AddArtifact(ctx, models.NewArtifact(ch, nil, "a-1-0.conda", index("a"), "bb", "md5", 10), false); !errors.Is(err, models.ErrConflict) {
			t.Errorf("duplicate upload: %v", err)
		}
		replaced, err := s.AddArtifact(ctx, models.NewArtifact(ch, nil, "a-1-0.conda", index("a"), "bb", "md5", 11), true)
		if err != nil || replaced == nil || replaced.SHA256 != "aa" {
			t.Fatalf("overwrite: %v %v", replaced, err)
		}
		// The same file name in the subchannel is another place.
		if _, err := s.AddArtifact(ctx, models.NewArtifact(ch, sub, "a-1-0.conda", index("a"), "bb", "md5", 11), false); err != nil {
			t.Fatal(err)
		}
		arts, _ := s.Artifacts(ctx, ch.ID, models.ArtifactFilter{})
		subArts, _ := s.Artifacts(ctx, ch.ID, models.ArtifactFilter{SubchannelID: sub.ID})
		if len(arts) != 1 || len(subArts) != 1 || arts[0].SHA256 != "bb" {
			t.Errorf("artifacts %v / %v", arts, subArts)
		}
		rec := arts[0].Record()
		if rec.Name != "a" || len(rec.Depends) != 1 || rec.Size != 11 || rec.Subdir != "linux-64" {
			t.Errorf("record = %+v", rec)
		}
		if used, _ := s.BlobInUse(ctx, "aa"); used {
			t.Error("replaced blob still in use")
		}
		g1 := gen()
		if _, err := s.DeleteArtifact(ctx, ch.ID, 0, "linux-64", "a-1-0.conda"); err != nil {
			t.Fatal(err)
		}
		if gen() != g1+1 {
			t.Error("delete did not bump the generation")
		}
		if _, err := s.DeleteArtifact(ctx, ch.ID, 0, "linux-64", "a-1-0.conda"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}

		// Update and delete the channel: grants, subchannels and artifacts go too.
		desc, public := "New", true
		before, after, err := s.UpdateChannel(ctx, ch.ID, models.ChannelUpdate{Description: &desc, Public: &public})
		if err != nil || before.Public || !after.Public || after.Description != "New" {
			t.Fatalf("update: %+v %+v %v", before, after, err)
		}
		roles := []string{access.RoleMember}
		if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, ch.ID, map[string]access.GrantsPatch{"read": {Roles: &roles}}); err != nil {
			t.Fatal(err)
		}
		_, shas, err := s.DeleteChannel(ctx, ch.ID)
		if err != nil || len(shas) != 1 || shas[0] != "bb" {
			t.Fatalf("delete channel: %v %v", shas, err)
		}
		if used, _ := s.BlobInUse(ctx, "bb"); used {
			t.Error("artifacts survived their channel")
		}
		if g, _ := s.GrantsFor(ctx, models.ResourceChannel, []uint{ch.ID}); !g[ch.ID]["read"].Empty() {
			t.Error("grants survived their channel")
		}
		if _, err := s.ChannelByName(ctx, "main"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("channel still there: %v", err)
		}
	})
}

func TestReadableChannels(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		admin := modeltest.MustUser(t, s, "root@example.com", access.RoleAdmin)
		ann := modeltest.MustUser(t, s, "ann@example.com", access.RoleMember)
		for _, c := range []models.NewChannel{{Name: "open", Public: true}, {Name: "granted"}, {Name: "closed"}} {
			if _, err := s.CreateChannel(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		granted, _ := s.ChannelByName(ctx, "granted")
		users := []string{ann.Email}
		if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, granted.ID, map[string]access.GrantsPatch{"write": {Users: &users}}); err != nil {
			t.Fatal(err)
		}
		names := func(subj access.Subject) []string {
			chs, err := s.ReadableChannels(ctx, subj)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range chs {
				out = append(out, c.Name)
			}
			return out
		}
		if got := names(admin.Subject()); len(got) != 3 {
			t.Errorf("admin reads %v", got)
		}
		if got := names(ann.Subject()); len(got) != 2 || got[0] != "granted" || got[1] != "open" {
			t.Errorf("ann reads %v", got)
		}
		if got := names(access.Subject{}); len(got) != 1 || got[0] != "open" {
			t.Errorf("anonymous reads %v", got)
		}
		if acl, _ := s.ChannelACL(ctx, granted); access.ChannelLevel(ann.Subject(), acl) != access.Write {
			t.Errorf("ann's level = %s", access.ChannelLevel(ann.Subject(), acl))
		}
	})
}

// TestReadableChannelsAgreesWithEngine holds the one-query list against
// the engine: for people granted through roles, teams, their email and
// several of those at once, on the channel or on channel groups it is in,
// disabled and anonymous, every channel is listed
// exactly when access.ChannelLevel says it is readable, at that level.
func TestReadableChannelsAgreesWithEngine(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		if _, err := s.CreateRole(ctx, "Ops-Role"); err != nil {
			t.Fatal(err)
		}
		var subjects []access.Subject
		for i, roles := range [][]string{{access.RoleMember}, {access.RoleMember, "Ops-Role"}, {"Ops-Role"}, {access.RoleAdmin}} {
			u := modeltest.MustUser(t, s, fmt.Sprintf("u%d@example.com", i), roles...)
			subjects = append(subjects, u.Subject())
		}
		for i, team := range []string{"red", "blue"} {
			tm, err := s.CreateTeam(ctx, team, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SetTeamMembers(ctx, tm.ID, []string{subjects[i].Email, subjects[2].Email}); err != nil {
				t.Fatal(err)
			}
		}
		disabled := modeltest.MustUser(t, s, "gone@example.com", "Ops-Role")
		yes := true
		if _, _, err := s.UpdateUser(ctx, disabled.ID, models.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		// Re-read everyone as the store sees them now (teams included).
		for i := range subjects {
			u, _ := s.UserByEmail(ctx, subjects[i].Email)
			subjects[i] = u.Subject()
		}
		d, _ := s.UserByEmail(ctx, disabled.Email)
		subjects = append(subjects, d.Subject(), access.Subject{})
		// Channels granting every mix of principal and level.
		list := func(v ...string) *[]string { return &v }
		grants := []map[string]access.GrantsPatch{
			{},
			{"read": {Roles: list(access.RoleMember)}},
			{"write": {Roles: list("Ops-Role")}, "read": {Teams: list("red")}},
			{"manage": {Teams: list("blue")}, "read": {Users: list("u0@example.com")}},
			{"manage": {Users: list("u1@example.com", "gone@example.com")}, "write": {Teams: list("red", "blue")}},
			{"read": {Roles: list("Ops-Role"), Teams: list("blue"), Users: list("u3@example.com")}},
		}
		var chans []models.Channel
		for i, g := range grants {
			for _, public := range []bool{false, true} {
				ch, err := s.CreateChannel(ctx, models.NewChannel{Name: fmt.Sprintf("ch%d-%v", i, public), Public: public})
				if err != nil {
					t.Fatal(err)
				}
				if len(g) > 0 {
					if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, ch.ID, g); err != nil {
						t.Fatal(err)
					}
				}
				chans = append(chans, *ch)
			}
		}
		// Channel groups granting the same mixes, each holding two channels
		// (so some channels are in none, one or two groups).
		for i, g := range grants {
			members := []uint{chans[(2*i+3)%len(chans)].ID, chans[(3*i+1)%len(chans)].ID}
			if members[0] == members[1] {
				members = members[:1]
			}
			gi, err := s.CreateChannelGroup(ctx, fmt.Sprintf("grp%d", i), "", members)
			if err != nil {
				t.Fatal(err)
			}
			if len(g) > 0 {
				if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceGroup, gi.ID, g); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.CreateChannelGroup(ctx, "empty", "", nil); err != nil {
			t.Fatal(err)
		}
		acls, err := s.ChannelACLs(ctx, chans)
		if err != nil {
			t.Fatal(err)
		}
		inGroups := 0
		for _, acl := range acls {
			inGroups += len(acl.Groups)
		}
		if inGroups < len(grants) {
			t.Fatalf("only %d memberships seen", inGroups)
		}
		for _, subj := range subjects {
			got, err := s.ReadableChannels(ctx, subj)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]access.Level{}
			for _, rc := range got {
				listed[rc.Name] = rc.Own
			}
			for _, ch := range chans {
				want := access.ChannelLevel(subj, acls[ch.ID])
				if want < access.Read {
					want = access.None
				}
				if listed[ch.Name] != want {
					t.Errorf("%q on %s: listed at %s, engine says %s", subj.Email, ch.Name, listed[ch.Name], want)
				}
			}
		}
	})
}
