package handlers_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// A private channel and a missing one cost the same database work, so
// response times do not tell them apart either.
func TestPrivateAndMissingChannelsCostTheSame(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "secret", "private")
		modeltest.MustUser(t, srv.Store, "eve@example.com", access.RoleMember)
		eve := srv.Login("eve@example.com")
		var queries atomic.Int64
		count := func(*gorm.DB) { queries.Add(1) }
		cb := srv.Store.DB().Callback()
		if err := cb.Query().After("gorm:query").Register("test:count", count); err != nil {
			t.Fatal(err)
		}
		if err := cb.Row().After("gorm:row").Register("test:count", count); err != nil {
			t.Fatal(err)
		}
		if err := cb.Raw().After("gorm:raw").Register("test:count", count); err != nil {
			t.Fatal(err)
		}
		cost := func(path string) int64 {
			before := queries.Load()
			want(t, eve.Get(path), http.StatusNotFound)
			return queries.Load() - before
		}
		want(t, eve.Get("/tokens"), http.StatusOK) // eve herself is known now
		// Asked first (nothing in memory) and again (both known): the same
		// work either way.
		for _, round := range []string{"first", "again"} {
			for _, p := range []string{"/api/repo/%s/linux-64/repodata.json", "/api/repo/%s/dev/linux-64/repodata.json", "/api/channels/%s", "/api/channels/%s/artifacts"} {
				name := "nosuch"
				if round == "again" {
					name = "nosuch2"
					cost(replaceName(p, name)) // now known missing, as secret is known private
				}
				hidden := cost(replaceName(p, "secret"))
				missing := cost(replaceName(p, name))
				if hidden != missing {
					t.Errorf("%s (%s): a private channel costs %d queries, a missing one %d", p, round, hidden, missing)
				}
			}
		}
	})
}

func replaceName(p, name string) string {
	for i := 0; i+1 < len(p); i++ {
		if p[i:i+2] == "%s" {
			return p[:i] + name + p[i+2:]
		}
	}
	return p
}
