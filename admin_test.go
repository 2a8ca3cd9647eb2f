package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func TestAdminCreateToken(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		modeltest.MustUser(t, s, "ops@example.com", access.RoleAdmin)
		modeltest.MustUser(t, s, "dev@example.com")
		if err := s.DB().Create(&models.Channel{Name: "alpha"}).Error; err != nil {
			t.Fatal(err)
		}
		day := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)
		var out, errOut bytes.Buffer
		err := runAdmin(ctx, s, []string{"create-token", "--email", "ops@example.com", "--name", "mirror", "--expires", day,
			"--resource", "alpha:read", "--resource", "alpha:write"}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("repeated resource: %v", err)
		}
		out.Reset()
		err = runAdmin(ctx, s, []string{"create-token", "--email", "ops@example.com", "--name", "mirror", "--expires", day, "--resource", "alpha:write"}, &out, &errOut)
		if err != nil {
			t.Fatal(err)
		}
		secret := strings.TrimSuffix(out.String(), "\n")
		if !models.WellFormedToken(secret) || strings.Count(out.String(), "\n") != 1 {
			t.Fatalf("stdout is not just the token: %q", out.String())
		}
		tok, err := s.AuthenticateToken(ctx, secret)
		if err != nil || tok.Grant().Cap("", access.ChannelTarget("alpha", "", access.ChannelACL{})) != access.Write {
			t.Fatalf("token: %+v %v", tok, err)
		}
		out.Reset()
		if err := runAdmin(ctx, s, []string{"create-token", "--email", "ops@example.com", "--name", "ci", "--expires", day, "--scope", "artifact:download", "--scope", "channel:view"}, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		// A channel group and a subchannel group, by the tokens' syntax.
		alpha, _ := s.ChannelByName(ctx, "alpha")
		if _, err := s.CreateSubchannel(ctx, alpha, "nightly"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateChannelGroup(ctx, "platform", "", []uint{alpha.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSubchannelGroup(ctx, alpha, "qa", []string{"nightly"}); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		if err := runAdmin(ctx, s, []string{"create-token", "--email", "ops@example.com", "--name", "grouped", "--expires", day,
			"--resource", "group:platform:read", "--resource", "alpha/group:qa:write"}, &out, &errOut); err != nil {
			t.Fatal(err)
		}
		tok, err = s.AuthenticateToken(ctx, strings.TrimSpace(out.String()))
		if err != nil {
			t.Fatal(err)
		}
		if paths := []string{tok.Grant().Resources[0].Path(), tok.Grant().Resources[1].Path()}; paths[0] != "group:platform" || paths[1] != "alpha/group:qa" {
			t.Fatalf("stored as %v", paths)
		}
		bad := [][]string{
			{"--email", "ops@example.com", "--name", "y", "--expires", day, "--resource", "group:nope:read"},     // no such group
			{"--email", "dev@example.com", "--name", "y", "--expires", day, "--resource", "group:platform:read"}, // a group dev cannot read
			{"--email", "ops@example.com", "--name", "y", "--expires", day, "--resource", "group::read"},
			{"--email", "dev@example.com", "--name", "x", "--expires", day, "--scope", "user:edit"},                                // beyond the owner
			{"--email", "dev@example.com", "--name", "x", "--expires", day, "--resource", "alpha:read", "--scope", "channel:view"}, // both
			{"--email", "dev@example.com", "--name", "x", "--expires", day},                                                        // neither
			{"--email", "nobody@example.com", "--name", "x", "--expires", day, "--scope", "page:view"},
			{"--email", "dev@example.com", "--name", "x", "--expires", "2001-01-01", "--scope", "page:view"},
			{"--email", "dev@example.com", "--name", "x", "--expires", day, "--resource", "alpha"},
			{"--email", "ops@example.com", "--name", "mirror", "--expires", day, "--scope", "page:view"}, // duplicate name
		}
		for _, args := range bad {
			out.Reset()
			if err := runAdmin(ctx, s, append([]string{"create-token"}, args...), &out, &errOut); err == nil || out.Len() != 0 {
				t.Errorf("%v: err %v, stdout %q", args, err, out.String())
			}
		}
	})
}

// TestAdminMigrate lists and applies the migrations of a database the first
// release made, as an operator would before starting the new release.
func TestAdminMigrate(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dsn, _ := modeltest.FirstRelease(t, b)
			env := func(k string) (string, bool) {
				if k == "DATABASE_URL" {
					return dsn, true // a PostgreSQL URL, or an SQLite file
				}
				return "", false
			}
			status := func() string {
				var out bytes.Buffer
				if err := runWith(t.Context(), []string{"admin", "migrate", "--status"}, env, &out, &out); err != nil {
					t.Fatal(err)
				}
				return out.String()
			}
			if st := status(); !strings.Contains(st, "00001  schema") || strings.Count(st, "pending") < 2 {
				t.Fatalf("status before: %q", st)
			}
			var out bytes.Buffer
			if err := runWith(t.Context(), []string{"admin", "migrate"}, env, &out, &out); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "applied 00002 names_indexes_keys") {
				t.Fatalf("migrate said %q", out.String())
			}
			if st := status(); strings.Contains(st, "pending") {
				t.Fatalf("status after: %q", st)
			}
			out.Reset()
			if err := runWith(t.Context(), []string{"admin", "migrate"}, env, &out, &out); err != nil || !strings.Contains(out.String(), "up to date") {
				t.Fatalf("second run: %q %v", out.String(), err)
			}
		})
	}
}
