package handlers_test

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// countQueries counts what the store asks the database from now on.
func countQueries(t *testing.T, s *models.Store) *atomic.Int64 {
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	cb := s.DB().Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("test:count", count),
		cb.Row().After("gorm:row").Register("test:count", count),
		cb.Raw().After("gorm:raw").Register("test:count", count),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &n
}

// A known token, its owner, channel and grants are answered from memory;
// a made-up token is asked for once, and an address sending many is
// refused without asking at all — while its good tokens still work.
func TestHotPathAsksNothing(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv := handlertest.Start(t, b)
			adm := srv.AsAdmin()
			mustChannel(t, adm, "main", "private")
			pkg := condatest.Pkg{Name: "tool", Subdir: "noarch", Noarch: "python"}
			want(t, uploadTo(t, adm, "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
			good := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "reader", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Level: access.Read}}}))
			path := "/api/repo/main/noarch/repodata.json.zst"
			want(t, good.Get(path), http.StatusOK) // learn it
			queries := countQueries(t, srv.Store)
			for range 20 {
				want(t, good.Get(path), http.StatusOK)
			}
			if n := queries.Load(); n != 0 {
				t.Errorf("a known token's repodata asked the database %d times in 20 requests", n)
			}
			// A token on a channel group, and one on a subchannel group: the
			// same from memory.
			want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "g", "channels": []string{"main"}}), http.StatusCreated)
			want(t, adm.SendJSON("POST", "/api/channels/main/subchannels", map[string]any{"name": "s1"}), http.StatusCreated)
			want(t, adm.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "sg", "subchannels": []string{"s1"}}), http.StatusCreated)
			inGroup := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "group", access.TokenGrant{Resources: []access.Resource{{Group: "g", Level: access.Read}}}))
			inSubGroup := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "subgroup", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Group: "sg", Level: access.Read}}}))
			subPath := "/api/repo/main/s1/noarch/repodata.json.zst"
			want(t, inGroup.Get(path), http.StatusOK)
			want(t, inSubGroup.Get(subPath), http.StatusOK)
			queries.Store(0)
			for range 20 {
				want(t, inGroup.Get(path), http.StatusOK)
				want(t, inSubGroup.Get(subPath), http.StatusOK)
			}
			if n := queries.Load(); n != 0 {
				t.Errorf("known group tokens asked the database %d times in 40 requests", n)
			}
			want(t, good.Get(path), http.StatusOK) // known again (new tokens emptied the view's tokens)
			// One made-up (well-formed) token, again and again: asked once.
			forged := withToken(srv, models.NewTokenSecret())
			queries.Store(0)
			for range 10 {
				want(t, forged.Get(path), http.StatusUnauthorized)
			}
			if n := queries.Load(); n != 1 {
				t.Errorf("one unknown token asked the database %d times in 10 requests", n)
			}
			// A flood of different ones: after a burst, refused unasked.
			queries.Store(0)
			refused := 0
			for range 300 {
				if withToken(srv, models.NewTokenSecret()).Get(path).StatusCode == http.StatusTooManyRequests {
					refused++
				}
			}
			if asked := queries.Load(); refused == 0 || asked > 300-int64(refused) {
				t.Errorf("a flood of 300 made-up tokens: %d refused unasked, %d lookups", refused, asked)
			}
			want(t, good.Get(path), http.StatusOK) // the flood's address keeps its good token
		})
	}
}

// /readyz answers from the store's own check, so a pool busy with slow
// queries never makes a healthy database look down.
func TestReadyWhileThePoolIsBusy(t *testing.T) {
	if !slicesContains(modeltest.Backends(t), modeltest.Postgres) {
		return // SQLite has no pool to exhaust
	}
	store, err := models.OpenWith(modeltest.DSN(t, modeltest.Postgres), models.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(); err != nil {
		t.Fatal(err)
	}
	srv := handlertest.StartWith(t, store, handlertest.Config(t))
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); store.DB().Exec("SELECT pg_sleep(2)") }()
	}
	time.Sleep(200 * time.Millisecond) // both connections are taken
	start := time.Now()
	res := srv.Anonymous().Get("/readyz")
	if res.StatusCode != http.StatusOK || time.Since(start) > time.Second {
		t.Errorf("/readyz with the pool busy: %d after %s", res.StatusCode, time.Since(start))
	}
	wg.Wait()
}

func slicesContains(bs []modeltest.Backend, b modeltest.Backend) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

// The database goes away: what needs it answers 503 with Retry-After,
// public data held in memory is still served, /readyz says why, the log
// says so a few times rather than once per request, and all works again
// when the database is back, without a restart.
func TestDatabaseOutage(t *testing.T) {
	if !slicesContains(modeltest.Backends(t), modeltest.Postgres) {
		return // an outage of an SQLite file is a disk failure, not this
	}
	pg := modeltest.NewCluster(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	store, err := models.OpenWith(pg.DSN, models.Options{MaxConns: 4, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(); err != nil {
		t.Fatal(err)
	}
	srv := handlertest.StartWithLog(t, store, handlertest.Config(t), log)
	adm := srv.AsAdmin()
	mustChannel(t, adm, "open", "public")
	mustChannel(t, adm, "closed", "private")
	for _, ch := range []string{"open", "closed"} {
		pkg := condatest.Pkg{Name: "tool-" + ch, Subdir: "noarch", Noarch: "python"}
		want(t, uploadTo(t, adm, ch, "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
	}
	anon := srv.Anonymous()
	tok := withToken(srv, mustToken(t, store, handlertest.Admin, "ci", access.TokenGrant{Scopes: []string{"artifact:download", "channel:view"}}))
	public := "/api/repo/open/noarch/repodata.json"
	want(t, anon.Get(public), http.StatusOK)
	want(t, tok.Get("/api/repo/closed/noarch/repodata.json"), http.StatusOK)

	pg.Stop()
	for store.Healthy() {
		time.Sleep(10 * time.Millisecond) // the store's check notices within a second or two
	}
	if res := anon.Get(public); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "tool-open") {
		t.Errorf("public repodata held in memory during the outage: %d", res.StatusCode)
	}
	errorsBefore := strings.Count(logs.String(), "level=ERROR")
	for range 50 {
		for _, c := range []struct {
			client *handlertest.Client
			path   string
		}{{tok, "/api/channels"}, {adm, "/channels"}, {anon, "/api/repo/closed/noarch/repodata.json"}} {
			res := c.client.Get(c.path)
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
				t.Fatalf("%s during the outage: %d (Retry-After %q) %.200s", c.path, res.StatusCode, res.Header.Get("Retry-After"), res.Body)
			}
		}
	}
	if res := anon.Get("/readyz"); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(res.Body, "database") {
		t.Errorf("/readyz during the outage: %d %s", res.StatusCode, res.Body)
	}
	if n := strings.Count(logs.String(), "level=ERROR") - errorsBefore; n > 3 {
		t.Errorf("150 refused requests wrote %d ERROR lines", n)
	}

	pg.Start()
	deadline := time.Now().Add(15 * time.Second)
	for !store.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("the store never saw the database come back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []struct {
		client *handlertest.Client
		path   string
	}{{tok, "/api/channels"}, {anon, public}, {tok, "/api/repo/closed/noarch/repodata.json"}, {adm, "/channels"}} {
		var res *handlertest.Response
		for res = c.client.Get(c.path); res.StatusCode == http.StatusServiceUnavailable && time.Now().Before(deadline); res = c.client.Get(c.path) {
			time.Sleep(20 * time.Millisecond) // pooled connections from before fail once each
		}
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s after the outage: %d", c.path, res.StatusCode)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "unreachable") || !strings.Contains(out, "answers again") {
		t.Errorf("the log does not say when the database went and came back:\n%s", out)
	}
}
