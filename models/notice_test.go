package models_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func mustScopeToken(t *testing.T, s *models.Store, u *models.User, name string, days int) (*models.Token, string) {
	t.Helper()
	tok, secret, err := s.CreateToken(t.Context(), u, models.NewToken{Name: name, ExpiresOn: future(days), Grant: access.TokenGrant{Scopes: []string{"user.token:view"}}})
	if err != nil {
		t.Fatal(err)
	}
	return tok, secret
}

func TestAttentionAndLeakedRevocation(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ann := modeltest.MustUser(t, s, "ann@example.com")
		bob := modeltest.MustUser(t, s, "bob@example.com")
		soon, soonSecret := mustScopeToken(t, s, ann, "soon", 2)
		mustScopeToken(t, s, ann, "later", 60)
		old, _ := mustScopeToken(t, s, ann, "old", 1)
		_, bobSecret := mustScopeToken(t, s, bob, "bobs", 1)
		// "old" expired yesterday.
		if err := s.DB().Model(&models.Token{}).Where("id = ?", old.ID).Update("expires_at", time.Now().UTC().Add(-24*time.Hour)).Error; err != nil {
			t.Fatal(err)
		}

		week := time.Now().Add(7 * 24 * time.Hour)
		got, err := s.Attention(ctx, ann.ID, week)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range got {
			names = append(names, a.Kind+":"+a.Name)
			if a.At.IsZero() {
				t.Errorf("%s has no time", a.Name)
			}
		}
		if !slices.Equal(names, []string{"token.expiring:old", "token.expiring:soon"}) {
			t.Fatalf("attention = %v, want old (expired) then soon", names)
		}
		if !got[0].Expired(time.Now()) || got[1].Expired(time.Now()) {
			t.Errorf("expired flags wrong: %+v", got)
		}
		if !got[1].At.Equal(soon.ExpiresAt) {
			t.Errorf("soon's time %v, want %v", got[1].At, soon.ExpiresAt)
		}

		// A report with junk, a duplicate, and two live strings of two owners.
		revoked, err := s.RevokeLeaked(ctx, []string{"not-a-token", soonSecret, soonSecret, bobSecret, models.NewTokenSecret()})
		if err != nil {
			t.Fatal(err)
		}
		if len(revoked) != 2 || revoked[0].User == nil || revoked[0].User.Email != "ann@example.com" || revoked[1].User.Email != "bob@example.com" {
			t.Fatalf("revoked %+v", revoked)
		}
		for _, sec := range []string{soonSecret, bobSecret} {
			if _, err := s.TokenBySecret(ctx, sec); !errors.Is(err, models.ErrTokenUnknown) {
				t.Errorf("a revoked string still finds its token: %v", err)
			}
		}
		again, err := s.RevokeLeaked(ctx, []string{soonSecret})
		if err != nil || len(again) != 0 {
			t.Fatalf("a second report revoked %v, %v", again, err)
		}

		got, err = s.Attention(ctx, ann.ID, week)
		if err != nil {
			t.Fatal(err)
		}
		var notice *models.Attention
		for i := range got {
			if got[i].Kind == models.NoticeTokenLeaked {
				notice = &got[i]
			}
		}
		if len(got) != 2 || notice == nil || notice.Name != "soon" {
			t.Fatalf("after the report ann's attention = %+v, want old and the leak notice for soon", got)
		}
		if err := s.DismissNotice(ctx, bob.ID, notice.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("bob dismissed ann's notice: %v", err)
		}
		if err := s.DismissNotice(ctx, ann.ID, notice.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Attention(ctx, ann.ID, week); len(got) != 1 {
			t.Fatalf("after dismissing: %+v", got)
		}

		// At most 100 strings are looked at.
		var many []string
		for range models.MaxLeakedReport {
			many = append(many, models.NewTokenSecret())
		}
		_, last := mustScopeToken(t, s, bob, "last", 30)
		if revoked, err := s.RevokeLeaked(ctx, append(many, last)); err != nil || len(revoked) != 0 {
			t.Fatalf("the 101st string was processed: %v %v", revoked, err)
		}
		if _, err := s.TokenBySecret(ctx, last); err != nil {
			t.Fatalf("the 101st string's token is gone: %v", err)
		}
	})
}

func TestActiveSubjects(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		modeltest.MustUser(t, s, "zed@example.com", access.RoleMember, access.RoleAdmin)
		ann := modeltest.MustUser(t, s, "ann@example.com", access.RoleMember)
		off := modeltest.MustUser(t, s, "off@example.com", access.RoleMember)
		team, err := s.CreateTeam(ctx, "ops", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{"ann@example.com", "off@example.com"}); err != nil {
			t.Fatal(err)
		}
		disabled := true
		if _, _, err := s.UpdateUser(ctx, off.ID, models.UserUpdate{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ActiveSubjects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Email != "ann@example.com" || got[1].Email != "zed@example.com" {
			t.Fatalf("subjects %+v", got)
		}
		if want := ann.Subject(); got[0].UserID != want.UserID || !slices.Equal(got[0].Roles, want.Roles) || !slices.Equal(got[0].Teams, []string{"ops"}) {
			t.Errorf("ann = %+v, want %+v in ops", got[0], want)
		}
		if !slices.Equal(got[1].Roles, []string{access.RoleAdmin, access.RoleMember}) || !got[1].IsAdmin() {
			t.Errorf("zed = %+v", got[1])
		}
	})
}
