package handlers_test

import (
	"log/slog"
	"slices"
	"sort"
	"testing"

	"github.com/labstack/echo/v4"

	"gatehouse/handlers"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// pendingScopes are scopes whose features are being built elsewhere: the
// mirrors, licenses and CVEs, and channel groups. Empty this set as each
// lands; the test fails both on a scope no route needs and on a pending
// scope that a route does need, so the set cannot go stale.
var pendingScopes = []string{
	// Mirrors.
	"channel.mirror:edit", "channel.mirror:view",
	"subchannel.mirror:edit", "subchannel.mirror:view",
	"mirror:view",
	// Licenses and CVEs.
	"system.license:edit", "system.license:view",
	"cve:edit", "cve:view",
	// Channel groups.
	"channel.group:edit", "channel.group:view",
	"subchannel.group:edit", "subchannel.group:view",
}

// Every scope of the catalog guards something: some route of the table
// needs it. A scope a token may carry but no route asks for promises a
// feature that is not there.
func TestEveryScopeGuardsARoute(t *testing.T) {
	srv := modeltest.Open(t, modeltest.SQLite)
	e, rules, err := handlers.NewServerWithRules(t.Context(), web.Config{DataDir: t.TempDir()}, srv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	guarded := map[string][]string{}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		key := r.Method + " " + r.Path
		rule, ok := rules[key]
		if !ok {
			t.Errorf("%s is not in the route table", key)
			continue
		}
		if rule.Scope == "" {
			continue
		}
		if _, ok := access.LookupScope(rule.Scope); !ok {
			t.Errorf("%s needs %q, which is not in the catalog", key, rule.Scope)
		}
		guarded[rule.Scope] = append(guarded[rule.Scope], key)
	}
	for _, s := range pendingScopes {
		if _, ok := access.LookupScope(s); !ok {
			t.Errorf("pending scope %q is not in the catalog", s)
		}
	}
	var unguarded []string
	for _, s := range access.Catalog {
		routes, pending := guarded[s.Name], slices.Contains(pendingScopes, s.Name)
		switch {
		case len(routes) == 0 && !pending:
			unguarded = append(unguarded, s.Name)
		case len(routes) > 0 && pending:
			sort.Strings(routes)
			t.Errorf("%s is pending but guards %v: take it out of pendingScopes", s.Name, routes)
		}
	}
	if len(unguarded) > 0 {
		t.Errorf("scopes no route needs: %v", unguarded)
	}
}
