package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// /metrics on the main address: only an admin's access token that carries
// metrics:view, and only while its owner is an admin.
func TestMetricsAccessRule(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		member := modeltest.MustUser(t, srv.Store, "member@example.com")
		memberTok := mustToken(t, srv.Store, member.Email, "pages", access.TokenGrant{Scopes: []string{"page:view"}})
		adminAudit := mustToken(t, srv.Store, handlertest.Admin, "audit", access.TokenGrant{Scopes: []string{"audit:view"}})
		adminMetrics := mustToken(t, srv.Store, handlertest.Admin, "prometheus", access.TokenGrant{Scopes: []string{"metrics:view"}})
		if _, err := srv.Store.CreateChannel(t.Context(), models.NewChannel{Name: "pub", Public: true}); err != nil {
			t.Fatal(err)
		}
		adminResource := mustToken(t, srv.Store, handlertest.Admin, "res", access.TokenGrant{Resources: []access.Resource{{Channel: "pub", Level: access.Manage}}})

		refused := []struct {
			name   string
			c      *handlertest.Client
			status int
		}{
			{"anonymous", srv.Anonymous(), http.StatusUnauthorized},
			{"member session", srv.Login(member.Email), http.StatusForbidden},
			{"admin session", srv.AsAdmin(), http.StatusForbidden},
			{"member token", withToken(srv, memberTok), http.StatusForbidden},
			{"admin token without metrics:view", withToken(srv, adminAudit), http.StatusForbidden},
			{"admin resource token", withToken(srv, adminResource), http.StatusForbidden},
			{"unknown token", withToken(srv, "gth_nothing"), http.StatusUnauthorized},
		}
		for _, tc := range refused {
			res := tc.c.Get("/metrics")
			if res.StatusCode != tc.status || strings.Contains(res.Body, "gatehouse_http_requests_total") {
				t.Errorf("%s: status %d, want %d: %.200s", tc.name, res.StatusCode, tc.status, res.Body)
			}
			if !strings.Contains(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("%s: a refusal for machines is JSON, got %q", tc.name, res.Header.Get("Content-Type"))
			}
		}

		res := withToken(srv, adminMetrics).Get("/metrics")
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("admin token with metrics:view: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		m := handlertest.ParseMetrics(t, strings.NewReader(res.Body))
		if m.Value("gatehouse_http_requests_total", "route", "/metrics", "status", "403") < 5 {
			t.Errorf("the refusals are not counted under route /metrics, status 403")
		}

		// A member may not put the scope into a token.
		r := srv.Login(member.Email).SendJSON(http.MethodPost, "/api/tokens", map[string]any{"name": "m", "expires_at": future(3), "scopes": []string{"metrics:view"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "metrics:view") {
			t.Errorf("member token with metrics:view: %d %s", r.StatusCode, r.Body)
		}

		// The token stops working when its owner stops being an admin.
		second := modeltest.MustUser(t, srv.Store, "second@example.com", access.RoleAdmin)
		tok := mustToken(t, srv.Store, second.Email, "prometheus", access.TokenGrant{Scopes: []string{"metrics:view"}})
		want(t, withToken(srv, tok).Get("/metrics"), http.StatusOK)
		if _, _, err := srv.Store.UpdateUser(t.Context(), second.ID, models.UserUpdate{Roles: &[]string{access.RoleMember}}); err != nil {
			t.Fatal(err)
		}
		want(t, withToken(srv, tok).Get("/metrics"), http.StatusForbidden)
	})
}

// With a metrics address the main address has no /metrics at all, not
// even for a token that may read them (main serves them on that address).
func TestMetricsNotOnMainAddressWhenSeparate(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			cfg := handlertest.Config(t)
			cfg.MetricsAddr = "127.0.0.1:0"
			srv := handlertest.StartWith(t, modeltest.Open(t, b), cfg)
			tok := mustToken(t, srv.Store, handlertest.Admin, "prometheus", access.TokenGrant{Scopes: []string{"metrics:view"}})
			// Outside the route table: refused to tokens, a 404 to people.
			if r := withToken(srv, tok).Get("/metrics"); r.StatusCode != http.StatusForbidden || strings.Contains(r.Body, "gatehouse_") {
				t.Errorf("token: %d %.200s", r.StatusCode, r.Body)
			}
			want(t, srv.AsAdmin().Get("/metrics"), http.StatusNotFound)
		})
	}
}

// The counters of spec §11 move with what they count.
func TestMetricsCount(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		ctx := t.Context()
		admin := srv.AsAdmin()
		mustChannel(t, admin, "main", "private")
		good := mustToken(t, srv.Store, handlertest.Admin, "reader", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Level: access.Read}}})
		owner := modeltest.MustUser(t, srv.Store, "gone@example.com")
		disabledTok := mustToken(t, srv.Store, owner.Email, "x", access.TokenGrant{Scopes: []string{"user.token:view"}})
		yes := true
		if _, _, err := srv.Store.UpdateUser(ctx, owner.ID, models.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		before := srv.Scrape()

		// Token checks, one of each outcome.
		repo := "/api/repo/main/noarch/repodata.json"
		want(t, withToken(srv, good).Get(repo), http.StatusOK)
		want(t, withToken(srv, models.NewTokenSecret()).Get(repo), http.StatusUnauthorized)
		want(t, withToken(srv, "gth_not-a-token").Get(repo), http.StatusUnauthorized)
		basic := srv.Anonymous()
		basic.Header.Set("Authorization", "Basic eDp5")
		want(t, basic.Get(repo), http.StatusUnauthorized)
		want(t, withToken(srv, disabledTok).Get("/api/tokens"), http.StatusUnauthorized)
		srv.Store.Now = func() time.Time { return time.Now().AddDate(0, 0, 40) }
		want(t, withToken(srv, good).Get(repo), http.StatusUnauthorized)
		srv.Store.Now = time.Now

		// An upload, then repodata: a miss that builds (as was the token's
		// fetch before the upload), then a hit.
		pkg := condatest.Pkg{Name: "tool", Version: "1.0", Build: "0", Subdir: "noarch", Noarch: "generic"}
		file := condatest.Build(t, pkg, conda.Conda)
		want(t, uploadTo(t, admin, "main", "", pkg.Filename(conda.Conda), file), http.StatusCreated)
		want(t, admin.Get(repo), http.StatusOK)
		want(t, admin.Get(repo), http.StatusOK)

		after := srv.Scrape()
		moved := func(name string, by float64, labels ...string) {
			t.Helper()
			if d := after.Value(name, labels...) - before.Value(name, labels...); d != by {
				t.Errorf("%s%v moved by %v, want %v", name, labels, d, by)
			}
		}
		moved("gatehouse_token_authentications_total", 1, "outcome", "ok")
		moved("gatehouse_token_authentications_total", 1, "outcome", "unknown")
		moved("gatehouse_token_authentications_total", 2, "outcome", "malformed")
		moved("gatehouse_token_authentications_total", 1, "outcome", "disabled")
		moved("gatehouse_token_authentications_total", 1, "outcome", "expired")
		moved("gatehouse_token_authentications_total", 0, "outcome", "error")
		moved("gatehouse_repodata_cache_requests_total", 2, "result", "miss")
		moved("gatehouse_repodata_cache_requests_total", 1, "result", "hit")
		moved("gatehouse_repodata_build_duration_seconds", 2)
		moved("gatehouse_uploads_total", 1)
		moved("gatehouse_upload_bytes_total", float64(len(file)))
		moved("gatehouse_http_requests_total", 3, "method", "GET", "route", "/api/repo/*", "status", "200")
		moved("gatehouse_http_request_duration_seconds", 3, "method", "GET", "route", "/api/repo/*", "status", "200")
		moved("gatehouse_http_requests_total", 4, "method", "GET", "route", "/api/repo/*", "status", "401")
		moved("gatehouse_http_requests_total", 1, "method", "POST", "route", "/api/channels/:name/artifacts", "status", "201")
		if after.Value("gatehouse_http_response_bytes_total", "route", "/api/repo/*") <= before.Value("gatehouse_http_response_bytes_total", "route", "/api/repo/*") {
			t.Error("response bytes did not move")
		}
		// The database pool is watched.
		if after.Value("go_sql_open_connections", "db_name", "gatehouse") < 1 {
			t.Error("no database pool metrics")
		}
		// No raw path (and so no token) becomes a label.
		for name, f := range after {
			for _, s := range f.GetMetric() {
				for _, l := range s.GetLabel() {
					if l.GetName() == "route" && strings.Contains(l.GetValue(), "main") {
						t.Errorf("%s has a raw path as its route label: %s", name, l.GetValue())
					}
				}
			}
		}
	})
}

// A flood of made-up tokens from one address is refused unchecked after a
// burst, and counted as throttled.
func TestMetricsCountThrottledTokens(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv := handlertest.Start(t, b)
			before := srv.Scrape()
			const n = 400 // well past the burst the limit allows (100, refilled 20 a second)
			refused := 0
			for range n {
				if r := withToken(srv, models.NewTokenSecret()).Get("/api/channels"); r.StatusCode == http.StatusTooManyRequests {
					refused++
				}
			}
			after := srv.Scrape()
			d := func(outcome string) float64 {
				return after.Value("gatehouse_token_authentications_total", "outcome", outcome) - before.Value("gatehouse_token_authentications_total", "outcome", outcome)
			}
			if refused == 0 || d("throttled") != float64(refused) || d("unknown")+d("throttled") != n {
				t.Errorf("refused %d; counted unknown %v, throttled %v", refused, d("unknown"), d("throttled"))
			}
		})
	}
}
