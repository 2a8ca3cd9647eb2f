package handlers_test

import (
	"log/slog"
	"testing"

	"github.com/labstack/echo/v4"

	"gatehouse/handlers"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// Every scope of the catalog guards something: some route of the table
// needs it, at the level the catalog gives it. A scope a token may carry
// but no route asks for promises a feature that is not there.
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
		scope, ok := access.LookupScope(rule.Scope)
		if !ok {
			t.Errorf("%s needs %q, which is not in the catalog", key, rule.Scope)
		} else if rule.Level != scope.Level && !rule.Within {
			t.Errorf("%s needs %s at %s, but the catalog gives it %s", key, rule.Scope, rule.Level, scope.Level)
		}
		guarded[rule.Scope] = append(guarded[rule.Scope], key)
	}
	var unguarded []string
	for _, s := range access.Catalog {
		if len(guarded[s.Name]) == 0 {
			unguarded = append(unguarded, s.Name)
		}
	}
	if len(unguarded) > 0 {
		t.Errorf("scopes no route needs: %v", unguarded)
	}
}
