package models_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

const issuer = "https://sso.example.com"

func ssoIn(sub, email string, teams map[string]bool, admin *bool) models.SSOSignIn {
	return models.SSOSignIn{Issuer: issuer, Subject: sub, Email: email, Teams: teams, Admin: admin}
}

func TestSignInSSO(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		yes, no := true, false
		if _, err := s.CreateTeam(ctx, "Engineering", ""); err != nil {
			t.Fatal(err)
		}
		res, err := s.SignInSSO(ctx, ssoIn("sub-1", "Ann@Example.com", map[string]bool{"engineering": true, "Operations": false, "Data": true}, &yes))
		if err != nil {
			t.Fatal(err)
		}
		u := res.User
		// The existing team is found regardless of case; a missing mapped team
		// is made when someone belongs in it, not when nobody does.
		if !res.Created || u.Email != "ann@example.com" || !slices.Equal(u.TeamNames(), []string{"Data", "Engineering"}) ||
			!slices.Equal(u.RoleNames(), []string{"Admin", "Member"}) || !slices.Equal(res.TeamsCreated, []string{"Data"}) || u.LastSignInAt == nil {
			t.Fatalf("first sign-in: %+v %+v", res, u)
		}
		// The same answer again changes nothing.
		res, err = s.SignInSSO(ctx, ssoIn("sub-1", "ann@example.com", map[string]bool{"Engineering": true, "Operations": false, "Data": true}, &yes))
		if err != nil || res.Created || res.Changed() || res.User.ID != u.ID {
			t.Fatalf("second sign-in: %+v %v", res, err)
		}
		// Teams nobody mapped and other roles stay.
		if _, err := s.CreateRole(ctx, "Guest"); err != nil {
			t.Fatal(err)
		}
		hand, _ := s.CreateTeam(ctx, "Design", "")
		if _, _, err := s.SetTeamMembers(ctx, hand.ID, []string{"ann@example.com"}); err != nil {
			t.Fatal(err)
		}
		roles := []string{"Admin", "Guest"}
		if _, _, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Roles: &roles}); err != nil {
			t.Fatal(err)
		}
		modeltest.MustUser(t, s, "other-admin@example.com", access.RoleAdmin)
		res, err = s.SignInSSO(ctx, ssoIn("sub-1", "ann@example.com", map[string]bool{"Engineering": false, "Operations": true, "Data": false}, &no))
		if err != nil {
			t.Fatal(err)
		}
		if got := res.User; !slices.Equal(got.TeamNames(), []string{"Design", "Operations"}) || !slices.Equal(got.RoleNames(), []string{"Guest"}) ||
			!res.AdminRevoked || !slices.Equal(res.TeamsRemoved, []string{"Data", "Engineering"}) {
			t.Fatalf("after leaving groups: %+v roles %v teams %v", res, got.RoleNames(), got.TeamNames())
		}
		// Admin was the only role left: Member takes its place.
		res, err = s.SignInSSO(ctx, ssoIn("sub-1", "ann@example.com", nil, &yes))
		if err != nil || !res.AdminGranted {
			t.Fatal(res, err)
		}
		only := []string{"Admin"}
		if _, _, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Roles: &only}); err != nil {
			t.Fatal(err)
		}
		res, err = s.SignInSSO(ctx, ssoIn("sub-1", "ann@example.com", nil, &no))
		if err != nil || !slices.Equal(res.User.RoleNames(), []string{"Member"}) {
			t.Fatalf("no role left: %+v %v", res, err)
		}
		// Nil Admin leaves the role alone.
		if _, _, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Roles: &only}); err != nil {
			t.Fatal(err)
		}
		if res, err := s.SignInSSO(ctx, ssoIn("sub-1", "ann@example.com", nil, nil)); err != nil || !res.User.IsAdmin() {
			t.Fatalf("admin unmanaged: %+v %v", res, err)
		}
	})
}

func TestSignInSSORefusals(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		yes := true
		off := modeltest.MustUser(t, s, "off@example.com")
		if _, _, err := s.UpdateUser(ctx, off.ID, models.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		count := func() (n int64) { s.DB().Model(&models.User{}).Count(&n); return n }
		before := count()
		for name, in := range map[string]models.SSOSignIn{
			"bad email":      ssoIn("s1", "not-an-email", nil, nil),
			"empty subject":  ssoIn("", "a@example.com", nil, nil),
			"long subject":   ssoIn(strings.Repeat("s", 256), "a@example.com", nil, nil),
			"NUL in subject": ssoIn("s\x00", "a@example.com", nil, nil),
			"no issuer":      {Subject: "s2", Email: "a@example.com"},
		} {
			var ve *models.ValidationError
			if _, err := s.SignInSSO(ctx, in); !errors.As(err, &ve) {
				t.Errorf("%s: %v", name, err)
			}
		}
		_, err := s.SignInSSO(ctx, ssoIn("s3", "off@example.com", map[string]bool{"Engineering": true}, &yes))
		if !errors.Is(err, models.ErrUserDisabled) {
			t.Fatalf("disabled: %v", err)
		}
		if got, _ := s.User(ctx, off.ID); got.FromSSO() || got.LastSignInAt != nil || len(got.Teams) != 0 || got.IsAdmin() {
			t.Fatalf("a refused sign-in was half-stored: %+v", got)
		}
		var teams int64
		s.DB().Model(&models.Team{}).Count(&teams)
		if count() != before || teams != 0 {
			t.Fatalf("refusals created rows: users %d teams %d", count(), teams)
		}
		// An account linked to one subject is not taken over by another.
		if _, err := s.SignInSSO(ctx, ssoIn("s4", "b@example.com", nil, nil)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignInSSO(ctx, ssoIn("s5", "b@example.com", nil, nil)); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("second subject for one email: %v", err)
		}
		modeltest.MustUser(t, s, "c@example.com")
		if _, err := s.SignInSSO(ctx, ssoIn("s4", "c@example.com", nil, nil)); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("renamed onto another account's email: %v", err)
		}
		if u, _ := s.UserByEmail(ctx, "b@example.com"); u == nil || *u.SSOSubject != "s4" {
			t.Fatal("the refused rename changed the account")
		}
	})
}

// Two admins whose groups drop Admin at the same moment: one keeps it.
func TestSignInSSOLastAdminUnderRace(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			for round := range 10 {
				s := modeltest.Open(t, b)
				ctx := t.Context()
				yes, no := true, false
				for i := range 2 {
					if _, err := s.SignInSSO(ctx, ssoIn(fmt.Sprint("s", i), fmt.Sprintf("a%d@example.com", i), nil, &yes)); err != nil {
						t.Fatal(err)
					}
				}
				var wg sync.WaitGroup
				results := make([]*models.SSOResult, 2)
				for i := range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, err := s.SignInSSO(ctx, ssoIn(fmt.Sprint("s", i), fmt.Sprintf("a%d@example.com", i), nil, &no))
						if err != nil {
							t.Error(err)
						}
						results[i] = res
					}()
				}
				wg.Wait()
				admins, kept := 0, 0
				for i, res := range results {
					if u, _ := s.UserByEmail(ctx, fmt.Sprintf("a%d@example.com", i)); u.IsAdmin() {
						admins++
					}
					if res != nil && res.AdminKept {
						kept++
					}
				}
				if admins != 1 || kept != 1 {
					t.Fatalf("round %d: %d admins left, %d kept", round, admins, kept)
				}
			}
		})
	}
}
