package models_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func TestUsers(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		u := modeltest.MustUser(t, s, " Alice@Example.com ", "Member")
		if u.Email != "alice@example.com" {
			t.Fatalf("email not normalised: %q", u.Email)
		}
		if u.PasswordHash == modeltest.Password || !strings.HasPrefix(u.PasswordHash, "$2") {
			t.Fatal("password is not bcrypt-hashed")
		}
		if _, err := s.Authenticate(ctx, "ALICE@example.com", modeltest.Password); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		if _, err := s.Authenticate(ctx, "alice@example.com", "wrong-password"); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "nobody@example.com", modeltest.Password); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}
		_, err := s.CreateUser(ctx, models.NewUser{Email: "alice@EXAMPLE.com", Password: modeltest.Password})
		if !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}

		disabled := true
		if _, _, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "alice@example.com", modeltest.Password); !errors.Is(err, models.ErrUserDisabled) {
			t.Fatalf("disabled user: %v", err)
		}

		roles := []string{"Admin", "Member"}
		_, after, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Roles: &roles})
		if err != nil || strings.Join(after.RoleNames(), ",") != "Admin,Member" {
			t.Fatalf("set roles: %v %+v", err, after.RoleNames())
		}
		bad := []string{"Member", "Ghost"}
		if _, _, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Roles: &bad}); !isInvalid(err, "Ghost") {
			t.Fatalf("unknown role: %v", err)
		}
		if _, _, err := s.UpdateUser(ctx, 9999, models.UserUpdate{}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	})
}

func TestCreateUserRejectsBadInput(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		cases := []models.NewUser{
			{Email: "", Password: modeltest.Password},
			{Email: "not-an-email", Password: modeltest.Password},
			{Email: "a@b", Password: modeltest.Password},
			{Email: "Name <x@example.com>", Password: modeltest.Password},
			{Email: strings.Repeat("a", 250) + "@example.com", Password: modeltest.Password},
			{Email: "short@example.com", Password: "short"},
			{Email: "long@example.com", Password: strings.Repeat("p", 73)},
			{Email: "role@example.com", Password: modeltest.Password, Roles: []string{"Nope"}},
		}
		for _, in := range cases {
			if _, err := s.CreateUser(t.Context(), in); !isInvalid(err, "") {
				t.Errorf("CreateUser(%q, %d-byte password, %v) = %v; want a validation error", in.Email, len(in.Password), in.Roles, err)
			}
		}
		users, _ := s.Users(t.Context())
		if len(users) != 0 {
			t.Fatalf("bad input stored %d users", len(users))
		}
	})
}

func TestTeamsAndRoles(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		modeltest.MustUser(t, s, "a@example.com")
		modeltest.MustUser(t, s, "b@example.com")
		team, err := s.CreateTeam(ctx, "Team 1", "first")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateTeam(ctx, "team 1", ""); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate team (case): %v", err)
		}
		for _, name := range []string{"", "   ", strings.Repeat("x", 101), "bad\nname"} {
			if _, err := s.CreateTeam(ctx, name, ""); !isInvalid(err, "") {
				t.Errorf("team %q: %v", name, err)
			}
		}
		if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{"a@example.com", "ghost@example.com"}); !isInvalid(err, "ghost@example.com") {
			t.Fatalf("unknown member: %v", err)
		}
		if got, _ := s.Team(ctx, team.ID); len(got.Members) != 0 {
			t.Fatal("a refused member change was half-stored")
		}
		_, after, err := s.SetTeamMembers(ctx, team.ID, []string{"B@example.com", "a@example.com"})
		if err != nil || strings.Join(after.MemberEmails(), ",") != "a@example.com,b@example.com" {
			t.Fatalf("members: %v %v", err, after.MemberEmails())
		}
		u, _ := s.UserByEmail(ctx, "a@example.com")
		if got := u.Subject().Teams; len(got) != 1 || got[0] != "Team 1" {
			t.Fatalf("subject teams: %v", got)
		}

		role, err := s.CreateRole(ctx, "Services-Moderator")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateRole(ctx, "services-moderator"); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate role: %v", err)
		}
		if _, err := s.CreateRole(ctx, "Has Space"); !isInvalid(err, "") {
			t.Fatalf("role with space: %v", err)
		}
		roles, _ := s.Roles(ctx)
		var admin models.Role
		for _, r := range roles {
			if r.Name == access.RoleAdmin {
				admin = r
			}
		}
		if _, err := s.DeleteRole(ctx, admin.ID); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("deleting a built-in role: %v", err)
		}
		if _, err := s.DeleteRole(ctx, role.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteRole(ctx, role.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		if _, err := s.DeleteTeam(ctx, team.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestGrantsPatchIsAllOrNothing(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		modeltest.MustUser(t, s, "a@example.com")
		if _, err := s.CreateTeam(ctx, "Team 1", ""); err != nil {
			t.Fatal(err)
		}
		list := func(v ...string) *[]string { return &v }
		_, after, err := s.ApplyGrantsPatch(ctx, models.ResourcePage, 7, map[string]access.GrantsPatch{
			"read": {Roles: list("Admin", "Member"), Users: list("A@example.com"), Teams: list("Team 1")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if g := after["read"]; len(g.Roles) != 2 || g.Users[0] != "a@example.com" || g.Teams[0] != "Team 1" {
			t.Fatalf("after: %+v", g)
		}
		_, _, err = s.ApplyGrantsPatch(ctx, models.ResourcePage, 7, map[string]access.GrantsPatch{
			"read": {Roles: list("Ghost"), Users: list("nobody@example.com"), Teams: list("Team 9")},
		})
		if !isInvalid(err, "Ghost") || !isInvalid(err, "nobody@example.com") || !isInvalid(err, "Team 9") {
			t.Fatalf("unknown names: %v", err)
		}
		now, _ := s.GrantsFor(ctx, models.ResourcePage, []uint{7})
		if g := now[7]["read"]; len(g.Roles) != 2 || len(g.Users) != 1 || len(g.Teams) != 1 {
			t.Fatalf("a refused patch changed grants: %+v", g)
		}
	})
}

func TestAuditFilters(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		base := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
		for i, a := range []models.Audit{
			{ActorEmail: "a@example.com", Action: "signin.success"},
			{ActorEmail: "b@example.com", Action: "signin.failure"},
			{ActorEmail: "a@example.com", Action: "team.create", Target: "Team 1", Details: map[string]any{"n": 1}},
		} {
			at := base.Add(time.Duration(i) * 24 * time.Hour)
			s.Now = func() time.Time { return at }
			if err := s.Record(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		count := func(f models.AuditFilter) int {
			evs, err := s.AuditEvents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(evs)
		}
		if n := count(models.AuditFilter{}); n != 3 {
			t.Fatalf("all: %d", n)
		}
		if n := count(models.AuditFilter{Actor: "a@example.com"}); n != 2 {
			t.Fatalf("by actor: %d", n)
		}
		if n := count(models.AuditFilter{Action: "signin"}); n != 2 {
			t.Fatalf("by action prefix: %d", n)
		}
		if n := count(models.AuditFilter{Since: base.Add(time.Hour), Until: base.Add(36 * time.Hour)}); n != 1 {
			t.Fatalf("by time: %d", n)
		}
		evs, _ := s.AuditEvents(ctx, models.AuditFilter{Action: "team.create"})
		if evs[0].DetailsMap()["n"] != float64(1) {
			t.Fatalf("details: %v", evs[0].Details)
		}
	})
}

func TestSettingOrCreateAgreesUnderRace(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		var wg sync.WaitGroup
		got := make([]string, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := s.SettingOrCreate(t.Context(), "session_key", func() string { return models.RandomHex(8) })
				if err != nil {
					t.Error(err)
				}
				got[i] = v
			}()
		}
		wg.Wait()
		for _, v := range got[1:] {
			if v != got[0] || v == "" {
				t.Fatalf("instances disagree on the key: %v", got)
			}
		}
	})
}

func isInvalid(err error, mentions string) bool {
	var ve *models.ValidationError
	return errors.As(err, &ve) && strings.Contains(ve.Message, mentions)
}

// Text PostgreSQL cannot store is refused as bad input, never a 500.
func TestPeopleRefuseUnstorableText(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		bad := []string{"nul\x00byte", "bad\xffutf8"}
		for _, b := range bad {
			if _, err := s.CreateUser(ctx, models.NewUser{Email: "a" + b + "@example.com", Password: modeltest.Password}); !isInvalid(err, "") {
				t.Errorf("email %q: %v", b, err)
			}
			if _, err := s.CreateTeam(ctx, "team "+b, ""); !isInvalid(err, "") {
				t.Errorf("team %q: %v", b, err)
			}
			if _, err := s.CreateTeam(ctx, "ok team", b); !isInvalid(err, "") {
				t.Errorf("team description %q: %v", b, err)
			}
			if _, err := s.CreateRole(ctx, "Role"+b); !isInvalid(err, "") {
				t.Errorf("role %q: %v", b, err)
			}
			if _, err := s.CreateUser(ctx, models.NewUser{Email: "r@example.com", Password: modeltest.Password, Roles: []string{b}}); !isInvalid(err, "") {
				t.Errorf("role name %q: %v", b, err)
			}
			if _, err := s.UserByEmail(ctx, b); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("lookup %q: %v", b, err)
			}
			if _, err := s.Authenticate(ctx, b, "x"); !errors.Is(err, models.ErrBadCredentials) {
				t.Errorf("sign in as %q: %v", b, err)
			}
		}
		team, err := s.CreateTeam(ctx, "members", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{"x\x00@example.com"}); !isInvalid(err, "") {
			t.Errorf("member: %v", err)
		}
	})
}
