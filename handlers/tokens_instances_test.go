package handlers_test

import (
	"fmt"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// openShared opens one more store on dsn (another Gatehouse process).
func openShared(t *testing.T, dsn string) *models.Store {
	t.Helper()
	s, err := models.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// refusedWithin polls until c's token is refused on path, failing after limit.
func refusedWithin(t *testing.T, c *handlertest.Client, path string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		res := c.Get(path)
		if res.StatusCode == 401 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("still accepted after %s: %d", limit, res.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTokenRevocationAcrossInstances runs two Gatehouse servers on one
// database (PostgreSQL whenever TEST_DATABASE_URL is set, as in CI): a token
// deleted or re-issued through one is refused by the other within a second.
func TestTokenRevocationAcrossInstances(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dsn := modeltest.DSN(t, b)
			one := handlertest.StartWith(t, openShared(t, dsn), web.Config{DataDir: t.TempDir()})
			two := handlertest.StartWith(t, openShared(t, dsn), web.Config{DataDir: t.TempDir()})
			adm := one.AsAdmin()
			create := func(name string) (handlers.TokenJSON, *handlertest.Client) {
				res := adm.SendJSON("POST", "/api/tokens", map[string]any{"name": name, "expires_at": future(2), "scopes": []string{"user.token:view"}})
				var out struct{ Token handlers.TokenJSON }
				res.JSON(t, &out)
				c := withToken(two, out.Token.Secret)
				if res := c.Get("/api/scopes"); res.StatusCode != 200 {
					t.Fatalf("instance two refuses a fresh token: %d %s", res.StatusCode, res.Body)
				}
				return out.Token, c
			}

			tok, c := create("deleted")
			if res := adm.Do("DELETE", fmt.Sprintf("/api/tokens/%d", tok.ID), nil, "", false); res.StatusCode != 200 {
				t.Fatalf("delete: %d", res.StatusCode)
			}
			t.Logf("delete seen by instance two after %s", refusedWithin(t, c, "/api/scopes", time.Second))

			tok, c = create("reissued")
			res := adm.SendJSON("PATCH", fmt.Sprintf("/api/tokens/%d", tok.ID), map[string]any{"reissue": true})
			var re struct{ Token handlers.TokenJSON }
			res.JSON(t, &re)
			t.Logf("re-issue seen by instance two after %s", refusedWithin(t, c, "/api/scopes", time.Second))
			if res := withToken(two, re.Token.Secret).Get("/api/scopes"); res.StatusCode != 200 {
				t.Fatalf("instance two refuses the new string: %d", res.StatusCode)
			}
		})
	}
}
