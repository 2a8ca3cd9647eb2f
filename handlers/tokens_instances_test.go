package handlers_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
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

// TestChangesReachEveryInstance runs two Gatehouse servers on one
// PostgreSQL: a token deleted or re-issued, an owner disabled, a grant
// removed and an upload through one are seen by the other within 100 ms,
// though it answers these requests from memory.
func TestChangesReachEveryInstance(t *testing.T) {
	if !slices.Contains(modeltest.Backends(t), modeltest.Postgres) {
		return // several instances share PostgreSQL; SQLite serves one
	}
	dsn := modeltest.DSN(t, modeltest.Postgres)
	cfg := handlertest.Config(t) // one blob directory: the file store is shared like a bucket
	one := handlertest.StartWith(t, openShared(t, dsn), cfg)
	two := handlertest.StartWith(t, openShared(t, dsn), cfg)
	adm := one.AsAdmin()
	modeltest.MustUser(t, one.Store, "dev@example.com")
	mustChannel(t, adm, "main", "private")
	want(t, adm.SendJSON("PATCH", "/api/channels/main/permissions", map[string]any{"write": map[string]any{"users": []string{"dev@example.com"}}}), 200)
	create := func(owner, name string, body map[string]any) (handlers.TokenJSON, *handlertest.Client) {
		body["name"], body["expires_at"] = name, future(2)
		res := one.Login(owner).SendJSON("POST", "/api/tokens", body)
		var out struct{ Token handlers.TokenJSON }
		res.JSON(t, &out)
		return out.Token, withToken(two, out.Token.Secret)
	}
	const bound = 100 * time.Millisecond
	// seen polls instance two until ok says the change arrived.
	seen := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > bound {
				t.Fatalf("%s: instance two still answers as before after %s", what, bound)
			}
		}
		t.Logf("%s seen by instance two after %s", what, time.Since(start).Round(time.Millisecond))
	}
	status := func(c *handlertest.Client, path string) int { return c.Get(path).StatusCode }
	repo := "/api/repo/main/noarch/repodata.json"

	tok, c := create(handlertest.Admin, "deleted", map[string]any{"scopes": []string{"user.token:view"}})
	want(t, c.Get("/api/scopes"), 200) // known to instance two now
	want(t, adm.Do("DELETE", fmt.Sprintf("/api/tokens/%d", tok.ID), nil, "", false), 200)
	seen("a deleted token", func() bool { return status(c, "/api/scopes") == 401 })

	tok, c = create(handlertest.Admin, "reissued", map[string]any{"scopes": []string{"user.token:view"}})
	want(t, c.Get("/api/scopes"), 200)
	res := adm.SendJSON("PATCH", fmt.Sprintf("/api/tokens/%d", tok.ID), map[string]any{"reissue": true})
	var re struct{ Token handlers.TokenJSON }
	res.JSON(t, &re)
	seen("a re-issued token", func() bool { return status(c, "/api/scopes") == 401 })
	want(t, withToken(two, re.Token.Secret).Get("/api/scopes"), 200)

	_, dev := create("dev@example.com", "dev", map[string]any{"resources": []map[string]string{{"channel": "main", "level": "write"}}})
	want(t, dev.Get(repo), 200)
	want(t, adm.SendJSON("PATCH", "/api/channels/main/permissions", map[string]any{"write": map[string]any{"users": []string{}}}), 200)
	seen("a removed grant", func() bool { return status(dev, repo) == 404 })
	want(t, adm.SendJSON("PATCH", "/api/channels/main/permissions", map[string]any{"read": map[string]any{"users": []string{"dev@example.com"}}}), 200)
	seen("a new grant", func() bool { return status(dev, repo) == 200 })

	u, _ := one.Store.UserByEmail(t.Context(), "dev@example.com")
	want(t, adm.SendJSON("PATCH", fmt.Sprintf("/api/users/%d", u.ID), map[string]any{"disabled": true}), 200)
	seen("a disabled owner", func() bool { return status(dev, repo) == 401 })

	reader := withToken(two, mustToken(t, one.Store, handlertest.Admin, "reader", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Level: access.Read}}}))
	if n := len(repodata(t, reader, repo)["packages.conda"].(map[string]any)); n != 0 {
		t.Fatalf("%d packages before the upload", n)
	}
	pkg := condatest.Pkg{Name: "fresh", Subdir: "noarch", Noarch: "python"}
	want(t, uploadTo(t, adm, "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), 201)
	seen("an upload", func() bool { return len(repodata(t, reader, repo)["packages.conda"].(map[string]any)) == 1 })
}

// TestGroupChangesReachEveryInstance: a channel put in a group, or taken
// out, through one instance changes what a token on the group reaches
// through the other within 100 ms, though it answers from memory.
func TestGroupChangesReachEveryInstance(t *testing.T) {
	if !slices.Contains(modeltest.Backends(t), modeltest.Postgres) {
		return // several instances share PostgreSQL; SQLite serves one
	}
	dsn := modeltest.DSN(t, modeltest.Postgres)
	cfg := handlertest.Config(t)
	one := handlertest.StartWith(t, openShared(t, dsn), cfg)
	two := handlertest.StartWith(t, openShared(t, dsn), cfg)
	adm := one.AsAdmin()
	mustChannel(t, adm, "main", "private")
	want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "g"}), 201)
	tok := withToken(two, mustToken(t, one.Store, handlertest.Admin, "group", access.TokenGrant{Resources: []access.Resource{{Group: "g", Level: access.Read}}}))
	repo := "/api/repo/main/noarch/repodata.json"
	want(t, tok.Get(repo), 404) // instance two holds main's access in memory now
	seen := func(what string, status int) {
		t.Helper()
		start := time.Now()
		for tok.Get(repo).StatusCode != status {
			if time.Since(start) > 100*time.Millisecond {
				t.Fatalf("%s: instance two still answers as before after 100ms", what)
			}
		}
		t.Logf("%s seen by instance two after %s", what, time.Since(start).Round(time.Millisecond))
	}
	want(t, adm.SendJSON("PATCH", "/api/groups/g", map[string]any{"add": []string{"main"}}), 200)
	seen("a channel added to the group", 200)
	want(t, adm.SendJSON("PATCH", "/api/groups/g", map[string]any{"remove": []string{"main"}}), 200)
	seen("a channel removed from the group", 404)
	// A grant on the group, for a session on instance two.
	modeltest.MustUser(t, one.Store, "dev@example.com")
	dev := two.Login("dev@example.com")
	want(t, adm.SendJSON("PATCH", "/api/groups/g", map[string]any{"add": []string{"main"}}), 200)
	want(t, dev.Get(repo), 404)
	want(t, adm.SendJSON("PATCH", "/api/groups/g/permissions", map[string]any{"read": map[string]any{"users": []string{"dev@example.com"}}}), 200)
	start := time.Now()
	for dev.Get(repo).StatusCode != 200 {
		if time.Since(start) > 100*time.Millisecond {
			t.Fatal("a grant on the group: not seen by instance two after 100ms")
		}
	}
}

// TestLostNotificationsFallBack cuts an instance's notification connection:
// until it is back, every request asks the database, so a change made
// meanwhile is seen at once; afterwards the instance serves from memory
// again, with the change.
func TestLostNotificationsFallBack(t *testing.T) {
	if !slices.Contains(modeltest.Backends(t), modeltest.Postgres) {
		return
	}
	dsn := modeltest.DSN(t, modeltest.Postgres)
	one := handlertest.StartWith(t, openShared(t, dsn), web.Config{DataDir: t.TempDir()})
	storeTwo := openShared(t, dsn)
	two := handlertest.StartWith(t, storeTwo, web.Config{DataDir: t.TempDir()})
	adm := one.AsAdmin()
	tok := mustToken(t, one.Store, handlertest.Admin, "watched", access.TokenGrant{Scopes: []string{"user.token:view"}})
	c := withToken(two, tok)
	want(t, c.Get("/api/scopes"), 200) // instance two holds it in memory
	if !storeTwo.Synced() {
		t.Fatal("instance two is not listening")
	}
	// Cut every listening connection of this schema's channel (and no other
	// test's), the way a network fault or a restarted pooler would.
	var n int
	if err := one.Store.DB().Raw("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ? AND datname = current_database()", one.Store.NotifyChannel()).Scan(&n).Error; err != nil || n == 0 {
		t.Fatalf("no listener to cut: %d %v", n, err)
	}
	for storeTwo.Synced() {
		time.Sleep(time.Millisecond) // the instance notices the cut
	}
	var ids []uint
	one.Store.DB().Raw("SELECT id FROM tokens WHERE name = 'watched'").Scan(&ids)
	// A change while nobody listens is still refused at once: memory is
	// not used until the instance listens again.
	if res := adm.Do("DELETE", fmt.Sprintf("/api/tokens/%d", ids[0]), nil, "", false); res.StatusCode != 200 {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if storeTwo.Synced() {
		t.Log("instance two listened again before the delete; the check below still holds")
	}
	want(t, c.Get("/api/scopes"), 401)
	for !storeTwo.Synced() {
		time.Sleep(time.Millisecond)
	}
	want(t, c.Get("/api/scopes"), 401)
	tok2 := mustToken(t, one.Store, handlertest.Admin, "after", access.TokenGrant{Scopes: []string{"user.token:view"}})
	want(t, withToken(two, tok2).Get("/api/scopes"), 200)
}
