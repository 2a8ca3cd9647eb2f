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

// TestUpgradeFromFirstRelease migrates a database the first release made
// and checks that nothing was lost: every row, the session key, people and
// their roles and teams, grants, pages and their permissions, and tokens.
// (handlers' TestUpgradedServer signs in and uses the old tokens.)
func TestUpgradeFromFirstRelease(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dsn, secrets := modeltest.FirstRelease(t, b)
			s, err := models.Open(dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tables := []string{"roles", "users", "teams", "team_members", "user_roles", "grants", "audit_events", "settings", "channels", "subchannels", "artifacts", "pages", "tokens"}
			before := map[string]int64{}
			for _, tbl := range tables {
				var n int64
				if err := s.DB().Table(tbl).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				before[tbl] = n
			}
			if before["tokens"] != 2 || before["artifacts"] != 2 || before["users"] != 4 {
				t.Fatalf("fixture not loaded: %v", before)
			}
			// Names that differ only in case: the first release allowed them.
			if err := s.DB().Exec("INSERT INTO teams (name, description) VALUES ('OPS', 'shouting')").Error; err != nil {
				t.Fatal(err)
			}
			before["teams"]++
			before["audit_events"]++ // the migration records the rename
			if err := s.Migrate(); err != nil {
				t.Fatal(err)
			}
			for _, tbl := range tables {
				var n int64
				if err := s.DB().Table(tbl).Count(&n).Error; err != nil || n != before[tbl] {
					t.Errorf("%s: %d rows before, %d after (%v)", tbl, before[tbl], n, err)
				}
			}
			ctx := t.Context()
			if key, err := s.SettingOrCreate(ctx, "session_key", func() string { return "new" }); err != nil || key != "fixture-session-key" {
				t.Errorf("session key = %q, %v", key, err)
			}
			ann, err := s.Authenticate(ctx, "ann@example.com", modeltest.Password)
			if err != nil {
				t.Fatal(err)
			}
			if got := ann.Subject(); !slices.Equal(got.Roles, []string{"Member", "Services-Moderator"}) {
				t.Errorf("ann's roles: %v", got.Roles)
			}
			if _, err := s.Authenticate(ctx, "gone@example.com", modeltest.Password); err != models.ErrUserDisabled {
				t.Errorf("disabled user: %v", err)
			}
			bob, _ := s.UserByEmail(ctx, "bob@example.com")
			ch, err := s.ChannelByName(ctx, "internal")
			if err != nil {
				t.Fatal(err)
			}
			for who, want := range map[*models.User]access.Level{ann: access.Write, bob: access.Read} {
				if acl, _ := s.ChannelACL(ctx, ch); access.ChannelLevel(who.Subject(), acl) != want {
					t.Errorf("%s on internal: want %s", who.Email, want)
				}
			}
			p, err := s.PageByIdentifier(ctx, "services")
			if err != nil {
				t.Fatal(err)
			}
			read, _ := s.PageReaders(ctx, p.ID)
			if !slices.Equal(read.Roles, []string{"Admin"}) || !slices.Equal(read.Teams, []string{"ops"}) || !slices.Equal(read.Users, []string{"ann@example.com"}) {
				t.Errorf("page readers: %+v", read)
			}
			for name, secret := range map[string]string{"ci-read": secrets.AnnWrite, "automation": secrets.AdminScopes} {
				tok, err := s.AuthenticateToken(ctx, secret)
				if err != nil || tok.Name != name {
					t.Errorf("token %s: %v", name, err)
				}
			}
			var renamed []string
			s.DB().Table("teams").Where("description = ?", "shouting").Pluck("name", &renamed)
			if len(renamed) != 1 || !strings.HasPrefix(renamed[0], "OPS-") {
				t.Errorf("duplicate team renamed to %v", renamed)
			}
			if ev, _ := s.AuditEvents(ctx, models.AuditFilter{Action: "team.rename"}); len(ev) != 1 || ev[0].Target != "OPS" {
				t.Errorf("rename audit: %+v", ev)
			}
			if _, err := s.CreateTeam(ctx, "Ops", ""); !errors.Is(err, models.ErrConflict) {
				t.Errorf("a team named like an existing one in another case: %v", err)
			}
			// New rows get new ids: the rebuilt tables kept their sequences.
			a := &models.Artifact{ChannelID: ch.ID, Subdir: "noarch", Filename: "demo-2.0-py_0.conda", Name: "demo", Version: "2.0", Build: "py_0",
				Depends: "[]", Constrains: "[]", Extra: "{}", Size: 1, MD5: "0123456789abcdef0123456789abcdef", SHA256: "ab00000000000000000000000000000000000000000000000000000000000000"}
			if _, err := s.AddArtifact(ctx, a, false); err != nil || a.ID <= 2 {
				t.Errorf("new artifact id %d, %v", a.ID, err)
			}
			if err := s.Record(ctx, models.Audit{Action: "test", Target: "x"}); err != nil {
				t.Error(err)
			}
		})
	}
}
