package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func future(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }

// mustChannel creates a channel and gives email level on it.
func mustChannel(t *testing.T, s *models.Store, name string, grants map[string]string) *models.Channel {
	t.Helper()
	ch := &models.Channel{Name: name}
	if err := s.DB().Create(ch).Error; err != nil {
		t.Fatal(err)
	}
	patch := map[string]access.GrantsPatch{}
	for email, level := range grants {
		users := []string{email}
		patch[level] = access.GrantsPatch{Users: &users}
	}
	if len(patch) > 0 {
		if _, _, err := s.ApplyGrantsPatch(t.Context(), models.ResourceChannel, ch.ID, patch); err != nil {
			t.Fatal(err)
		}
	}
	return ch
}

func TestTokenSecretFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s := models.NewTokenSecret()
		if !strings.HasPrefix(s, "gth_") || len(s) != models.TokenLen || !models.WellFormedToken(s) || seen[s] {
			t.Fatalf("bad or repeated secret %q", s)
		}
		seen[s] = true
		// Any single-character change breaks the checksum (or the alphabet).
		b := []byte(s)
		b[10] ^= 1
		if models.WellFormedToken(string(b)) {
			t.Fatalf("checksum missed a changed character in %q", s)
		}
	}
	for _, bad := range []string{"", "gth_", "ghp_" + strings.Repeat("a", 38), strings.Repeat("a", models.TokenLen)} {
		if models.WellFormedToken(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTokenLifecycle(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		u := modeltest.MustUser(t, s, "dev@example.com")
		mustChannel(t, s, "team-a", map[string]string{"dev@example.com": "write"})
		tok, secret, err := s.CreateToken(ctx, u, models.NewToken{Name: "ci", ExpiresOn: future(30),
			Grant: access.TokenGrant{Resources: []access.Resource{{Channel: "team-a", Level: access.Write}}}})
		if err != nil {
			t.Fatal(err)
		}
		if tok.Hash == secret || tok.Hash != models.HashToken(secret) || tok.Hint != secret[len(secret)-4:] || tok.Kind != "resources" {
			t.Fatalf("stored token %+v", tok)
		}
		got, err := s.AuthenticateToken(ctx, secret)
		if err != nil || got.ID != tok.ID || got.User.Email != "dev@example.com" {
			t.Fatalf("AuthenticateToken = %+v, %v", got, err)
		}
		if g := got.Grant(); g.Cap("", access.ChannelTarget("team-a", "", access.ChannelACL{})) != access.Write {
			t.Fatalf("grant %+v", g)
		}

		// Last used is batched and written on flush, not on every check.
		var stored models.Token
		s.DB().First(&stored, tok.ID)
		if stored.LastUsedAt != nil {
			t.Fatal("last used written on the request path")
		}
		if err := s.FlushTokenUse(ctx); err != nil {
			t.Fatal(err)
		}
		s.DB().First(&stored, tok.ID)
		if stored.LastUsedAt == nil {
			t.Fatal("last used not flushed")
		}

		// Re-issue: the old string stops, the new one works.
		_, after, newSecret, err := s.EditToken(ctx, u.ID, tok.ID, models.TokenEdit{Reissue: true})
		if err != nil || newSecret == "" || after.Hash == tok.Hash {
			t.Fatalf("reissue: %v", err)
		}
		if _, err := s.AuthenticateToken(ctx, secret); !errors.Is(err, models.ErrTokenUnknown) {
			t.Fatalf("old string after re-issue: %v", err)
		}
		if _, err := s.AuthenticateToken(ctx, newSecret); err != nil {
			t.Fatalf("new string: %v", err)
		}

		// Disabled owner.
		yes := true
		if _, _, err := s.UpdateUser(ctx, u.ID, models.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(ctx, newSecret); !errors.Is(err, models.ErrTokenDisabled) {
			t.Fatalf("disabled owner: %v", err)
		}
		no := false
		s.UpdateUser(ctx, u.ID, models.UserUpdate{Disabled: &no})

		// Expired (the day after its last day).
		s.Now = func() time.Time { return time.Now().AddDate(0, 0, 32) }
		if _, err := s.AuthenticateToken(ctx, newSecret); !errors.Is(err, models.ErrTokenExpired) {
			t.Fatalf("expired: %v", err)
		}
		s.Now = time.Now

		// Someone else cannot see, edit or delete it.
		other := modeltest.MustUser(t, s, "other@example.com")
		if _, err := s.Token(ctx, other.ID, tok.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other's token: %v", err)
		}
		if _, _, _, err := s.EditToken(ctx, other.ID, tok.ID, models.TokenEdit{Reissue: true}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other edits: %v", err)
		}
		if _, err := s.DeleteToken(ctx, other.ID, tok.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other deletes: %v", err)
		}
		if _, err := s.DeleteToken(ctx, u.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(ctx, newSecret); !errors.Is(err, models.ErrTokenUnknown) {
			t.Fatalf("deleted: %v", err)
		}
		if _, err := s.AuthenticateToken(ctx, "gth_nonsense"); !errors.Is(err, models.ErrTokenUnknown) {
			t.Fatalf("malformed: %v", err)
		}
	})
}

func TestCreateTokenRefusesBadInput(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		u := modeltest.MustUser(t, s, "dev@example.com")
		ch := mustChannel(t, s, "team-a", map[string]string{"dev@example.com": "read"})
		mustChannel(t, s, "secret", nil)
		if err := s.DB().Create(&models.Subchannel{ChannelID: ch.ID, Name: "beta"}).Error; err != nil {
			t.Fatal(err)
		}
		res := func(path, level string) access.TokenGrant {
			r, err := access.ParseResource(path, level)
			if err != nil {
				t.Fatal(err)
			}
			return access.TokenGrant{Resources: []access.Resource{r}}
		}
		ok := res("team-a", "read")
		if _, _, err := s.CreateToken(ctx, u, models.NewToken{Name: "first", ExpiresOn: future(1), Grant: ok}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateToken(ctx, u, models.NewToken{Name: "sub", ExpiresOn: future(0), Grant: res("team-a/beta", "read")}); err != nil {
			t.Fatal("today as last day, on a subchannel:", err)
		}
		tests := []struct {
			name string
			in   models.NewToken
			want string // substring of the message
			conf bool   // a 409 rather than a 422
		}{
			{"both", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: access.TokenGrant{Resources: ok.Resources, Scopes: []string{"channel:view"}}}, "both resources and scopes", false},
			{"neither", models.NewToken{Name: "x", ExpiresOn: future(1)}, "at least one", false},
			{"unknown scope", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"channel:fly"}}}, `"channel:fly"`, false},
			{"unknown channel", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: res("nope", "read")}, "Unknown channel: nope", false},
			{"unreadable channel", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: res("secret", "read")}, "Unknown channel: secret", false},
			{"unknown subchannel", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: res("team-a/gamma", "read")}, "Unknown channel: team-a/gamma", false},
			{"above owner", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: res("team-a", "write")}, "write on team-a (you hold read)", false},
			{"admin scope", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"user:edit"}}}, "user:edit (needs the Admin role)", false},
			{"channel scope above", models.NewToken{Name: "x", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"channel:edit"}}}, "channel:edit (needs manage", false},
			{"past", models.NewToken{Name: "x", ExpiresOn: future(-1), Grant: ok}, "in the past", false},
			{"malformed date", models.NewToken{Name: "x", ExpiresOn: "31/12/2030", Grant: ok}, "YYYY-MM-DD", false},
			{"no date", models.NewToken{Name: "x", Grant: ok}, "required", false},
			{"past the maximum lifetime", models.NewToken{Name: "x", ExpiresOn: future(366), Grant: ok}, "at most 365 days", false},
			{"no name", models.NewToken{Name: "  ", ExpiresOn: future(1), Grant: ok}, "Name is required", false},
			{"long name", models.NewToken{Name: strings.Repeat("n", 101), ExpiresOn: future(1), Grant: ok}, "at most 100", false},
			{"long description", models.NewToken{Name: "x", Description: strings.Repeat("d", 1001), ExpiresOn: future(1), Grant: ok}, "at most 1000", false},
			{"duplicate", models.NewToken{Name: "first", ExpiresOn: future(1), Grant: ok}, "already have a token named", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var before int64
				s.DB().Model(&models.Token{}).Count(&before)
				_, secret, err := s.CreateToken(ctx, u, tt.in)
				var ve *models.ValidationError
				var ce *models.ConflictError
				switch {
				case err == nil:
					t.Fatalf("accepted (%d chars)", len(secret))
				case tt.conf && !errors.As(err, &ce), !tt.conf && !errors.As(err, &ve):
					t.Fatalf("wrong error kind: %T %v", err, err)
				case !strings.Contains(err.Error(), tt.want):
					t.Fatalf("error %q does not say %q", err, tt.want)
				}
				var after int64
				s.DB().Model(&models.Token{}).Count(&after)
				if after != before {
					t.Fatal("something was stored")
				}
			})
		}
		// The same name is fine for another owner.
		other := modeltest.MustUser(t, s, "other@example.com")
		if _, _, err := s.CreateToken(ctx, other, models.NewToken{Name: "first", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"user.token:view"}}}); err != nil {
			t.Fatal(err)
		}
		// Admins may grant anything on any channel.
		admin := modeltest.MustUser(t, s, "boss@example.com", access.RoleAdmin)
		if _, _, err := s.CreateToken(ctx, admin, models.NewToken{Name: "all", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"user:edit", "channel:delete"}}}); err != nil {
			t.Fatal(err)
		}
		// A rename onto an existing name is a conflict.
		tok, _, _ := s.CreateToken(ctx, u, models.NewToken{Name: "second", ExpiresOn: future(1), Grant: ok})
		first := "first"
		if _, _, _, err := s.EditToken(ctx, u.ID, tok.ID, models.TokenEdit{Name: &first}); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("rename onto existing: %v", err)
		}
	})
}

// TestLastUsedFlushedOnClose: a graceful shutdown writes the batched
// last-used times.
func TestLastUsedFlushedOnClose(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dsn := modeltest.DSN(t, b)
			s, err := models.Open(dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(); err != nil {
				t.Fatal(err)
			}
			u := modeltest.MustUser(t, s, "dev@example.com")
			tok, secret, err := s.CreateToken(t.Context(), u, models.NewToken{Name: "x", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"page:view"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AuthenticateToken(t.Context(), secret); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s2, err := models.Open(dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			var got models.Token
			if err := s2.DB().First(&got, tok.ID).Error; err != nil || got.LastUsedAt == nil {
				t.Fatalf("last used not written on close: %+v %v", got.LastUsedAt, err)
			}
		})
	}
}

// TestLastUsedKeptWhenFlushFails: a flush that cannot write (the database
// is briefly unreachable) keeps the uses for the next flush.
func TestLastUsedKeptWhenFlushFails(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		u := modeltest.MustUser(t, s, "dev@example.com")
		tok, secret, err := s.CreateToken(t.Context(), u, models.NewToken{Name: "x", ExpiresOn: future(1), Grant: access.TokenGrant{Scopes: []string{"page:view"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateToken(t.Context(), secret); err != nil {
			t.Fatal(err)
		}
		gone, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.FlushTokenUse(gone); err == nil {
			t.Fatal("flush with a cancelled context succeeded")
		}
		if err := s.FlushTokenUse(t.Context()); err != nil {
			t.Fatal(err)
		}
		var got models.Token
		if err := s.DB().First(&got, tok.ID).Error; err != nil || got.LastUsedAt == nil {
			t.Fatalf("last used lost after a failed flush: %+v %v", got.LastUsedAt, err)
		}
	})
}
