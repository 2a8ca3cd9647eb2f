package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/modeltest"
)

// forEachServer runs fn against a fresh Gatehouse on every backend.
func forEachServer(t *testing.T, fn func(t *testing.T, srv *handlertest.Server)) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) { fn(t, handlertest.Start(t, b)) })
	}
}

func TestSignInFlow(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		c := srv.Anonymous()
		res := c.Get("/admin/teams?x=1")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fadmin%2Fteams%3Fx%3D1" {
			t.Fatalf("signed-out visitor: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		res = c.PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {modeltest.Password}, "next": {"/admin/teams?x=1"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/teams?x=1" {
			t.Fatalf("sign in did not return to the page: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: res.Header}).Cookies() {
			if ck.Name == "gatehouse_session" {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
			t.Fatalf("session cookie flags: %+v", session)
		}
		if res := c.Get("/admin/teams"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "New team") {
			t.Fatalf("admin page after sign-in: %d", res.StatusCode)
		}
		if res := c.PostForm("/logout", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", res.StatusCode)
		}
		if res := c.Get("/admin/teams"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("still signed in after sign out: %d", res.StatusCode)
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		admin := srv.AsAdmin()
		if res := admin.SendJSON("POST", "/api/users", map[string]any{"email": "off@example.com", "password": modeltest.Password}); res.StatusCode != 201 {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
		res := admin.SendJSON("GET", "/api/users", nil)
		var users struct {
			Users []struct {
				ID    uint
				Email string
			}
		}
		res.JSON(t, &users)
		var id uint
		for _, u := range users.Users {
			if u.Email == "off@example.com" {
				id = u.ID
			}
		}
		if res := admin.SendJSON("PATCH", "/api/users/"+itoa(id), map[string]any{"disabled": true}); res.StatusCode != 200 {
			t.Fatalf("disable: %d %s", res.StatusCode, res.Body)
		}

		c := srv.Anonymous()
		for name, form := range map[string]url.Values{
			"wrong password": {"email": {handlertest.Admin}, "password": {"nope-nope-nope"}},
			"unknown user":   {"email": {"ghost@example.com"}, "password": {modeltest.Password}},
			"disabled user":  {"email": {"off@example.com"}, "password": {modeltest.Password}},
		} {
			res := c.PostForm("/login", form)
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, "role=\"alert\"") {
				t.Errorf("%s: %d", name, res.StatusCode)
			}
			if strings.Contains(res.Body, form.Get("password")) {
				t.Errorf("%s: the password was echoed", name)
			}
		}
		if res := c.PostForm("/login", url.Values{"email": {""}, "password": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("empty form: %d", res.StatusCode)
		}
		if res := c.PostForm("/login", url.Values{"email": {strings.Repeat("x", 100<<10)}, "password": {"p"}}); res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized form: %d", res.StatusCode)
		}
		evs := admin.Get("/api/audit?action=signin.failure").Map(t)["events"].([]any)
		if len(evs) != 3 {
			t.Fatalf("audited failures: %d", len(evs))
		}
		for _, e := range evs {
			if strings.Contains(strings.ToLower(toJSON(e)), "password\":") {
				t.Fatalf("audit holds a password field: %v", e)
			}
		}
	})
}

func TestSignInThrottle(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	c := srv.Anonymous()
	bad := url.Values{"email": {handlertest.Admin}, "password": {"wrong-wrong"}}
	for i := 0; i < 5; i++ {
		if res := c.PostForm("/login", bad); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, res.StatusCode)
		}
	}
	res := c.PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {modeltest.Password}})
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(res.Body, "Too many failed attempts") {
		t.Fatalf("after 5 failures even the right password must wait: %d", res.StatusCode)
	}
}

func TestCSRFIsRequired(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		admin := srv.AsAdmin()
		for _, r := range []struct{ method, path, body, ct string }{
			{"POST", "/api/teams", `{"name":"Sneaky"}`, "application/json"},
			{"POST", "/admin/teams", "name=Sneaky", "application/x-www-form-urlencoded"},
			{"POST", "/logout", "", "application/x-www-form-urlencoded"},
		} {
			res := admin.Do(r.method, r.path, strings.NewReader(r.body), r.ct, true)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "CSRF") {
				t.Errorf("%s %s without CSRF: %d %s", r.method, r.path, res.StatusCode, res.Body)
			}
		}
		teams := admin.Get("/api/teams").Map(t)["teams"].([]any)
		if len(teams) != 0 {
			t.Fatal("a team was created without a CSRF token")
		}
		if res := admin.Get("/"); res.StatusCode != 200 {
			t.Fatal("sign-out happened without a CSRF token")
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	res := srv.Anonymous().Get("/login")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP: %q", csp)
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if strings.Contains(res.Body, "<script>") || strings.Contains(res.Body, " style=") {
		t.Error("inline script or style in the sign-in page")
	}
}

func TestMemberCannotReachAdmin(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		modeltest.MustUser(t, srv.Store, "member@example.com", "Member")
		m := srv.Login("member@example.com")
		for _, p := range []string{"/admin/users", "/admin/teams", "/admin/roles", "/audit-log", "/admin/users/new"} {
			if res := m.Get(p); res.StatusCode != http.StatusForbidden {
				t.Errorf("GET %s: %d", p, res.StatusCode)
			}
		}
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/users"}, {"POST", "/api/users"}, {"GET", "/api/teams"}, {"POST", "/api/teams"},
			{"GET", "/api/roles"}, {"POST", "/api/roles"}, {"GET", "/api/audit"}, {"PATCH", "/api/users/1"},
		} {
			res := m.SendJSON(r.method, r.path, map[string]any{"name": "x"})
			if res.StatusCode != http.StatusForbidden || res.Map(t)["error"] != "forbidden" {
				t.Errorf("%s %s: %d %s", r.method, r.path, res.StatusCode, res.Body)
			}
		}
		if res := m.PostForm("/admin/teams", url.Values{"name": {"Mine"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("member form post: %d", res.StatusCode)
		}
		home := m.Get("/")
		if strings.Contains(home.Body, "/admin/users") || strings.Contains(home.Body, "Administration") {
			t.Error("a member sees admin navigation")
		}
		if !strings.Contains(srv.AsAdmin().Get("/").Body, "/admin/users") {
			t.Error("an admin does not see admin navigation")
		}
	})
}

func TestPeopleAPI(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		a := srv.AsAdmin()
		expect := func(res *handlertest.Response, status int, code string) {
			t.Helper()
			if res.StatusCode != status {
				t.Fatalf("status %d (want %d): %s", res.StatusCode, status, res.Body)
			}
			if code != "" {
				m := res.Map(t)
				if m["ok"] != false || m["error"] != code || m["message"] == "" {
					t.Fatalf("error body: %s", res.Body)
				}
			}
		}
		expect(a.SendJSON("POST", "/api/roles", map[string]any{"name": "Services-Moderator"}), 201, "")
		expect(a.SendJSON("POST", "/api/roles", map[string]any{"name": "services-moderator"}), 409, "conflict")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": "u1@example.com", "password": modeltest.Password, "roles": []string{"Member", "Services-Moderator"}}), 201, "")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": "U1@example.com", "password": modeltest.Password}), 409, "conflict")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": "nope", "password": modeltest.Password}), 422, "invalid")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": "", "password": modeltest.Password}), 422, "invalid")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": strings.Repeat("a", 300) + "@example.com", "password": modeltest.Password}), 422, "invalid")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": "u2@example.com", "password": modeltest.Password, "roles": []string{"Ghost"}}), 422, "invalid")
		expect(a.SendJSON("POST", "/api/users", `{"email": "u3@example.com",`), 400, "bad_request")
		expect(a.SendJSON("POST", "/api/users", map[string]any{"email": "u3@example.com", "password": modeltest.Password, "admin": true}), 400, "bad_request")
		expect(a.SendJSON("POST", "/api/users", `{"email": 5}`), 400, "bad_request")
		expect(a.SendJSON("POST", "/api/users", `{"note":"`+strings.Repeat("x", 1<<20)+`"}`), 413, "too_large")
		expect(a.Do("POST", "/api/users", strings.NewReader(`email=x`), "application/x-www-form-urlencoded", false), 415, "error")

		expect(a.SendJSON("POST", "/api/teams", map[string]any{"name": "Team 1", "members": []string{"u1@example.com"}}), 201, "")
		expect(a.SendJSON("POST", "/api/teams", map[string]any{"name": "TEAM 1"}), 409, "conflict")
		expect(a.SendJSON("POST", "/api/teams", map[string]any{"name": ""}), 422, "invalid")
		expect(a.SendJSON("POST", "/api/teams", map[string]any{"name": strings.Repeat("t", 101)}), 422, "invalid")
		expect(a.SendJSON("POST", "/api/teams", map[string]any{"name": "Team 2", "members": []string{"ghost@example.com"}}), 422, "invalid")
		teams := a.Get("/api/teams").Map(t)["teams"].([]any)
		if len(teams) != 1 || toJSON(teams[0].(map[string]any)["members"]) != `["u1@example.com"]` {
			t.Fatalf("teams after refusals: %v", teams)
		}
		expect(a.SendJSON("PATCH", "/api/teams/9999", map[string]any{"members": []string{}}), 404, "not_found")
		expect(a.SendJSON("PATCH", "/api/teams/abc", map[string]any{"members": []string{}}), 404, "not_found")
		expect(a.SendJSON("DELETE", "/api/teams/9999", nil), 404, "not_found")
		expect(a.SendJSON("PATCH", "/api/users/9999", map[string]any{"disabled": true}), 404, "not_found")
		expect(a.SendJSON("DELETE", "/api/roles/9999", nil), 404, "not_found")
		expect(a.SendJSON("DELETE", "/api/roles/1", nil), 409, "conflict")

		users := a.Get("/api/users").Map(t)["users"].([]any)
		if len(users) != 2 {
			t.Fatalf("users: %v", users)
		}
		if strings.Contains(a.Get("/api/users").Body, "$2a$") {
			t.Fatal("password hashes leak through the API")
		}
		actions := map[string]bool{}
		for _, e := range a.Get("/api/audit?limit=500").Map(t)["events"].([]any) {
			actions[e.(map[string]any)["action"].(string)] = true
		}
		for _, want := range []string{"signin.success", "role.create", "user.create", "team.create", "team.members"} {
			if !actions[want] {
				t.Errorf("audit lacks %s (has %v)", want, actions)
			}
		}
		expect(a.Get("/api/audit?since=yesterday"), 400, "bad_request")
		expect(a.Get("/api/audit?limit=0"), 400, "bad_request")
	})
}

func TestAdminForms(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		a := srv.AsAdmin()
		res := a.PostForm("/admin/users", url.Values{"email": {"new@example.com"}, "password": {modeltest.Password}, "roles": {"Member"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create user form: %d", res.StatusCode)
		}
		res = a.PostForm("/admin/users", url.Values{"email": {"new@example.com"}, "password": {modeltest.Password}, "roles": {"Member"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "already exists") {
			t.Fatalf("duplicate via form: %d", res.StatusCode)
		}
		res = a.PostForm("/admin/users", url.Values{"email": {"bad"}, "password": {"x"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "not a valid email") {
			t.Fatalf("invalid via form: %d", res.StatusCode)
		}
		if res := a.PostForm("/admin/teams", url.Values{"name": {"Ops"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create team form: %d", res.StatusCode)
		}
		if res := a.PostForm("/admin/roles", url.Values{"name": {"Auditor"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create role form: %d", res.StatusCode)
		}
		if res := a.Get("/admin/users/12345/edit"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown user edit: %d", res.StatusCode)
		}
		// A dialog requested by htmx is a fragment; a plain request gets the whole page.
		frag := a.Do("GET", "/admin/teams/new", nil, "", false)
		if !strings.Contains(frag.Body, "<html") {
			t.Fatal("plain request should get a full page")
		}
		page := a.Get("/audit-log?action=team.create")
		if page.StatusCode != 200 || !strings.Contains(page.Body, "Ops") {
			t.Fatalf("audit log page: %d", page.StatusCode)
		}
		if res := a.Get("/audit-log?since=garbage"); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad audit filter: %d", res.StatusCode)
		}
	})
}

func TestHealthAndErrors(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	c := srv.Anonymous()
	for _, p := range []string{"/healthz", "/readyz"} {
		if res := c.Get(p); res.StatusCode != 200 {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	a := srv.AsAdmin()
	if res := a.Get("/no/such/page"); res.StatusCode != 404 || !strings.Contains(res.Body, "data-testid=\"error-page\"") {
		t.Errorf("HTML 404: %d", res.StatusCode)
	}
	if res := a.Get("/api/nothing"); res.StatusCode != 404 || res.Map(t)["error"] != "not_found" {
		t.Errorf("JSON 404: %d %s", res.StatusCode, res.Body)
	}
}

func TestSessionSurvivesRestart(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			store := modeltest.Open(t, b)
			first := handlertest.StartWith(t, store, handlertest.Config(t))
			c := first.AsAdmin()
			second := handlertest.StartWith(t, store, handlertest.Config(t))
			c.S = second
			u, _ := url.Parse(first.URL)
			v, _ := url.Parse(second.URL)
			c.HTTP.Jar.SetCookies(v, c.HTTP.Jar.Cookies(u))
			if res := c.Get("/admin/users"); res.StatusCode != 200 {
				t.Fatalf("a new instance on the same database signed the user out: %d", res.StatusCode)
			}
		})
	}
}

// Bodies are capped before anything reads them, CSRF check included.
func TestBodyLimitsComeFirst(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	c := srv.Anonymous()
	big := strings.Repeat("x", 2<<20)
	for _, r := range []struct{ path, ct string }{
		{"/admin/teams", "application/x-www-form-urlencoded"},
		{"/login", "application/x-www-form-urlencoded"},
		{"/api/teams", "application/json"},
		{"/v1/pages", "application/json"},
	} {
		res := c.Do("POST", r.path, strings.NewReader("_csrf=x&name="+big), r.ct, true)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with 2 MiB: %d", r.path, res.StatusCode)
		}
	}
}

// Resetting a password signs the user out of every session they had.
func TestPasswordResetEndsSessions(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		u := modeltest.MustUser(t, srv.Store, "reset@example.com", "Member")
		member := srv.Login("reset@example.com")
		if res := member.Get("/"); res.StatusCode != http.StatusOK {
			t.Fatalf("signed in: %d", res.StatusCode)
		}
		admin := srv.AsAdmin()
		if res := admin.SendJSON("PATCH", "/api/users/"+itoa(u.ID), map[string]any{"password": "a-brand-new-password"}); res.StatusCode != 200 {
			t.Fatalf("reset: %d %s", res.StatusCode, res.Body)
		}
		if res := member.Get("/"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("old session still works after a password reset: %d", res.StatusCode)
		}
		if res := admin.Get("/"); res.StatusCode != http.StatusOK {
			t.Fatalf("the admin's own session ended: %d", res.StatusCode)
		}
	})
}
