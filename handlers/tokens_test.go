package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

func future(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }

// mustToken creates a token for email straight in the store.
func mustToken(t testing.TB, s *models.Store, email, name string, g access.TokenGrant) string {
	t.Helper()
	u, err := s.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := s.CreateToken(t.Context(), u, models.NewToken{Name: name, ExpiresOn: future(10), Grant: g})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// withToken returns an anonymous client that sends secret as a Bearer token.
func withToken(srv *handlertest.Server, secret string) *handlertest.Client {
	c := srv.Anonymous()
	c.Header.Set("Authorization", "Bearer "+secret)
	return c
}

func seedChannel(t testing.TB, s *models.Store, name string, level, email string) *models.Channel {
	t.Helper()
	ch := &models.Channel{Name: name}
	if err := s.DB().Create(ch).Error; err != nil {
		t.Fatal(err)
	}
	if email != "" {
		users := []string{email}
		if _, _, err := s.ApplyGrantsPatch(t.Context(), models.ResourceChannel, ch.ID, map[string]access.GrantsPatch{level: {Users: &users}}); err != nil {
			t.Fatal(err)
		}
	}
	return ch
}

var paramValues = map[string]string{":id": "999999", ":identifier": "services", ":name": "alpha", ":sub": "s1", ":subdir": "noarch", ":filename": "x-1-0.conda"}

// concrete turns a route pattern into a path to request.
func concrete(pattern string) string {
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if v, ok := paramValues[p]; ok {
			parts[i] = v
		} else if strings.HasPrefix(p, ":") {
			parts[i] = "x"
		} else if p == "*" {
			parts[i] = "alpha/noarch/repodata.json"
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryRouteHasARule walks Echo's routes: every route must be in the
// route table with a rule. Each API route is tried with a token that has
// its scope (not refused) and one that lacks it (403 naming the scope), and
// with a resource token (refused unless the route acts on channels). Pages
// for people refuse every token.
func TestEveryRouteHasARule(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			s := modeltest.Open(t, b)
			e, rules, err := handlers.NewServerWithRules(t.Context(), web.Config{DataDir: t.TempDir()}, s, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			srv := handlertest.StartWith(t, s, web.Config{DataDir: t.TempDir()})
			seedChannel(t, s, "alpha", "", "")
			// Two tokens of one scope each: a route is tried with the one
			// whose scope it does not name.
			lackingA := withToken(srv, mustToken(t, s, handlertest.Admin, "lacking-a", access.TokenGrant{Scopes: []string{"cve:view"}}))
			lackingB := withToken(srv, mustToken(t, s, handlertest.Admin, "lacking-b", access.TokenGrant{Scopes: []string{"system.license:view"}}))
			resource := withToken(srv, mustToken(t, s, handlertest.Admin, "resource", access.TokenGrant{Resources: []access.Resource{{Channel: "alpha", Level: access.Manage}}}))
			apis := 0
			for i, r := range e.Routes() {
				if r.Method == echo.RouteNotFound {
					continue
				}
				key := r.Method + " " + r.Path
				rule, ok := rules[key]
				if !ok {
					t.Errorf("route %s is not in the route table", key)
					continue
				}
				path := concrete(r.Path)
				body := ""
				if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodDelete {
					body = "{}"
				}
				send := func(c *handlertest.Client) *handlertest.Response {
					if body == "" {
						return c.Do(r.Method, path, nil, "", true)
					}
					return c.Do(r.Method, path, strings.NewReader(body), "application/json", true)
				}
				switch {
				case rule.Public:
					continue
				case rule.Scope == "" || rule.PeopleOnly:
					if web.IsAPIPath(r.Path) {
						t.Errorf("%s: an API route without a scope", key)
					}
					if res := send(resource); res.StatusCode != http.StatusForbidden {
						t.Errorf("%s (a page) with a token: %d, want 403", key, res.StatusCode)
					}
					continue
				}
				apis++
				if _, ok := access.LookupScope(rule.Scope); !ok || rule.Level == access.None {
					t.Errorf("%s: scope %q unknown or no level", key, rule.Scope)
				}
				lacking := lackingA
				if rule.Scope == "cve:view" {
					lacking = lackingB
				}
				if res := send(lacking); res.StatusCode != http.StatusForbidden || (r.Method != http.MethodHead && !strings.Contains(res.Body, rule.Scope)) {
					t.Errorf("%s without %s: %d %s", key, rule.Scope, res.StatusCode, res.Body)
				}
				having := withToken(srv, mustToken(t, s, handlertest.Admin, "has-"+fmt.Sprint(i), access.TokenGrant{Scopes: []string{rule.Scope}}))
				if res := send(having); res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnauthorized {
					t.Errorf("%s with %s: refused %d %s", key, rule.Scope, res.StatusCode, res.Body)
				}
				if res := send(resource); rule.On != access.OnChannel && res.StatusCode != http.StatusForbidden {
					t.Errorf("%s with a resource token: %d, want 403", key, res.StatusCode)
				}
			}
			if apis < 30 {
				t.Fatalf("walked only %d API routes", apis)
			}
		})
	}
}

func TestTokenAPI(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv := handlertest.Start(t, b)
			s := srv.Store
			modeltest.MustUser(t, s, "dev@example.com")
			modeltest.MustUser(t, s, "other@example.com")
			seedChannel(t, s, "alpha", "write", "dev@example.com")
			dev := srv.Login("dev@example.com")

			good := map[string]any{"name": "ci", "expires_at": future(30), "resources": []map[string]string{{"channel": "alpha", "level": "write"}}}
			res := dev.SendJSON("POST", "/api/tokens", good)
			if res.StatusCode != 201 {
				t.Fatalf("create: %d %s", res.StatusCode, res.Body)
			}
			var created struct{ Token handlers.TokenJSON }
			res.JSON(t, &created)
			secret := created.Token.Secret
			if !models.WellFormedToken(secret) || created.Token.Type != "resources" || res.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("created %+v", created.Token)
			}
			if list := dev.Get("/api/tokens"); list.StatusCode != 200 || strings.Contains(list.Body, secret) || !strings.Contains(list.Body, `"ci"`) {
				t.Fatalf("list: %d %s", list.StatusCode, list.Body)
			}

			// Every bad input, with nothing stored.
			big := strings.Repeat("x", 2<<20)
			bad := []struct {
				name   string
				body   any
				status int
				want   string
			}{
				{"both", map[string]any{"name": "b", "expires_at": future(3), "resources": []map[string]string{{"channel": "alpha", "level": "read"}}, "scopes": []string{"channel:view"}}, 422, "both resources and scopes"},
				{"neither", map[string]any{"name": "b", "expires_at": future(3)}, 422, "at least one"},
				{"unknown scope", map[string]any{"name": "b", "expires_at": future(3), "scopes": []string{"channel:teleport"}}, 422, "channel:teleport"},
				{"unknown channel", map[string]any{"name": "b", "expires_at": future(3), "resources": []map[string]string{{"channel": "nowhere", "level": "read"}}}, 422, "nowhere"},
				{"bad level", map[string]any{"name": "b", "expires_at": future(3), "resources": []map[string]string{{"channel": "alpha", "level": "root"}}}, 422, "root"},
				{"above owner", map[string]any{"name": "b", "expires_at": future(3), "resources": []map[string]string{{"channel": "alpha", "level": "manage"}}}, 422, "manage on alpha (you hold write)"},
				{"admin scope", map[string]any{"name": "b", "expires_at": future(3), "scopes": []string{"audit:view"}}, 422, "audit:view"},
				{"past", map[string]any{"name": "b", "expires_at": future(-2), "scopes": []string{"user.token:view"}}, 422, "past"},
				{"malformed date", map[string]any{"name": "b", "expires_at": "tomorrow", "scopes": []string{"user.token:view"}}, 400, "YYYY-MM-DD"},
				{"duplicate", map[string]any{"name": "ci", "expires_at": future(3), "scopes": []string{"user.token:view"}}, 409, "ci"},
				{"long name", map[string]any{"name": strings.Repeat("n", 101), "expires_at": future(3), "scopes": []string{"user.token:view"}}, 422, "at most 100"},
				{"long description", map[string]any{"name": "b", "description": strings.Repeat("d", 1001), "expires_at": future(3), "scopes": []string{"user.token:view"}}, 422, "at most 1000"},
				{"huge body", map[string]any{"name": big}, 413, ""},
				{"unknown field", map[string]any{"name": "b", "type": "both"}, 400, "type"},
				{"not json", "{", 400, ""},
			}
			for _, tt := range bad {
				res := dev.SendJSON("POST", "/api/tokens", tt.body)
				if res.StatusCode != tt.status || !strings.Contains(res.Body, tt.want) {
					t.Errorf("%s: %d %s, want %d %q", tt.name, res.StatusCode, res.Body, tt.status, tt.want)
				}
			}
			var count int64
			s.DB().Model(&models.Token{}).Count(&count)
			if count != 1 {
				t.Fatalf("%d tokens stored after bad input", count)
			}
			// CSRF: a session request without the token is refused.
			if res := dev.Do("POST", "/api/tokens", strings.NewReader(`{}`), "application/json", true); res.StatusCode != 403 {
				t.Errorf("no CSRF: %d", res.StatusCode)
			}

			// Someone else's token is a 404 for edit and delete.
			other := srv.Login("other@example.com")
			path := fmt.Sprintf("/api/tokens/%d", created.Token.ID)
			if res := other.SendJSON("PATCH", path, map[string]any{"reissue": true}); res.StatusCode != 404 {
				t.Errorf("other PATCH: %d", res.StatusCode)
			}
			if res := other.Do("DELETE", path, nil, "", false); res.StatusCode != 404 {
				t.Errorf("other DELETE: %d", res.StatusCode)
			}
			if res := other.Get("/api/tokens"); strings.Contains(res.Body, `"ci"`) {
				t.Errorf("other sees dev's token: %s", res.Body)
			}

			// Edit and re-issue: the old string is refused at once.
			scoped := dev.SendJSON("POST", "/api/tokens", map[string]any{"name": "lister", "expires_at": future(3), "scopes": []string{"user.token:view", "user.token:edit"}})
			var sc struct{ Token handlers.TokenJSON }
			scoped.JSON(t, &sc)
			viaToken := withToken(srv, sc.Token.Secret)
			if res := viaToken.Get("/api/tokens"); res.StatusCode != 200 {
				t.Fatalf("scope token: %d %s", res.StatusCode, res.Body)
			}
			res = dev.SendJSON("PATCH", fmt.Sprintf("/api/tokens/%d", sc.Token.ID), map[string]any{"reissue": true, "description": "lists tokens", "expires_at": future(5)})
			var re struct{ Token handlers.TokenJSON }
			res.JSON(t, &re)
			if res.StatusCode != 200 || re.Token.Secret == "" || re.Token.Description != "lists tokens" || re.Token.ExpiresAt != future(5) {
				t.Fatalf("reissue: %d %s", res.StatusCode, res.Body)
			}
			if res := viaToken.Get("/api/tokens"); res.StatusCode != 401 {
				t.Fatalf("old string after re-issue: %d", res.StatusCode)
			}
			viaToken = withToken(srv, re.Token.Secret)
			if res := viaToken.Get("/api/tokens"); res.StatusCode != 200 {
				t.Fatalf("new string: %d %s", res.StatusCode, res.Body)
			}
			if res := dev.SendJSON("PATCH", fmt.Sprintf("/api/tokens/%d", sc.Token.ID), map[string]any{"expires_at": "2020-13-45"}); res.StatusCode != 400 {
				t.Errorf("malformed date on edit: %d", res.StatusCode)
			}
			// A token can create tokens, but not beyond itself.
			if res := viaToken.SendJSON("POST", "/api/tokens", map[string]any{"name": "child", "expires_at": future(3), "scopes": []string{"channel:view"}}); res.StatusCode != 422 || !strings.Contains(res.Body, "channel:view") {
				t.Errorf("token escalating: %d %s", res.StatusCode, res.Body)
			}
			if res := viaToken.SendJSON("POST", "/api/tokens", map[string]any{"name": "child", "expires_at": future(3), "scopes": []string{"user.token:view"}}); res.StatusCode != 201 {
				t.Errorf("token creating a narrower token: %d %s", res.StatusCode, res.Body)
			}

			// Delete: refused at once.
			if res := dev.Do("DELETE", fmt.Sprintf("/api/tokens/%d", sc.Token.ID), nil, "", false); res.StatusCode != 200 {
				t.Fatalf("delete: %d", res.StatusCode)
			}
			if res := viaToken.Get("/api/tokens"); res.StatusCode != 401 || !strings.Contains(res.Body, "unknown, deleted or re-issued") {
				t.Fatalf("deleted token: %d %s", res.StatusCode, res.Body)
			}

			// Expired: 401 saying so, and the refusal is audited.
			s.Now = func() time.Time { return time.Now().AddDate(0, 0, 40) }
			res = withToken(srv, secret).Get("/api/scopes")
			s.Now = time.Now
			if res.StatusCode != 401 || !strings.Contains(res.Body, "expired") {
				t.Fatalf("expired: %d %s", res.StatusCode, res.Body)
			}

			// The audit log has every step and never a secret.
			var events []models.AuditEvent
			s.DB().Where("action LIKE ?", "token.%").Find(&events)
			seen := map[string]bool{}
			for _, e := range events {
				seen[e.Action] = true
				if strings.Contains(e.Details+e.Target, "gth_") {
					t.Errorf("secret in audit: %+v", e)
				}
			}
			for _, a := range []string{"token.create", "token.edit", "token.reissue", "token.delete", "token.expired_use"} {
				if !seen[a] {
					t.Errorf("no %s audit event (have %v)", a, seen)
				}
			}

			// The scope catalog.
			res = dev.Get("/api/scopes")
			var cat struct{ Scopes []handlers.ScopeJSON }
			res.JSON(t, &cat)
			if len(cat.Scopes) != len(access.Catalog) || cat.Scopes[0].Scope != "artifact:create" || cat.Scopes[0].Level != "write" || cat.Scopes[0].Category != "Artifacts" {
				t.Fatalf("scopes: %s", res.Body)
			}
		})
	}
}

var secretRE = regexp.MustCompile(`gth_[0-9A-Za-z]{38}`)

func TestTokensPage(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv := handlertest.Start(t, b)
			s := srv.Store
			modeltest.MustUser(t, s, "dev@example.com")
			ch := seedChannel(t, s, "alpha", "read", "dev@example.com")
			s.DB().Create(&models.Subchannel{ChannelID: ch.ID, Name: "beta"})
			seedChannel(t, s, "hidden", "", "")
			dev := srv.Login("dev@example.com")

			page := dev.Get("/tokens")
			for _, want := range []string{"Generate Token", `href="/tokens"`, ">Tokens<"} {
				if !strings.Contains(page.Body, want) {
					t.Errorf("tokens page lacks %q", want)
				}
			}
			form := dev.Get("/tokens/new")
			for _, want := range []string{">Name<", ">Expiration date<", ">Type<", ">Resources<", ">Scopes<", ">Channel<", ">Permission<", ">Read<", ">Write<", ">Manage<",
				"Add Resource", ">Description<", ">Create<", `value="alpha"`, `value="alpha/beta"`, "<template", "Subchannel mirrors", "artifact:download"} {
				if !strings.Contains(form.Body, want) {
					t.Errorf("Generate Token dialog lacks %q", want)
				}
			}
			if strings.Contains(form.Body, "hidden</option>") {
				t.Error("a channel the user cannot read is offered")
			}

			// Create a resource token through htmx: list + notification.
			dev.Header.Set("HX-Request", "true")
			res := dev.PostForm("/tokens", url.Values{"name": {"laptop"}, "expires_at": {future(3)}, "type": {"resources"},
				"resource_channel": {"alpha", "alpha/beta"}, "resource_level": {"read", "read"}, "scopes": {"user:edit"}, "description": {"my laptop"}})
			secret := secretRE.FindString(res.Body)
			if res.StatusCode != 200 || secret == "" || res.Header.Get("HX-Retarget") != "#token-list" {
				t.Fatalf("create: %d %v %s", res.StatusCode, res.Header, res.Body)
			}
			for _, want := range []string{`<div id="token-notices" hx-swap-oob="afterbegin">`, ">Copy<", "conda config --add channels " + srv.URL + "/t/" + secret + "/api/repo/alpha",
				"/t/" + secret + "/api/repo/alpha/beta", `id="token-list"`, "laptop"} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("create response lacks %q", want)
				}
			}
			if strings.Contains(fmt.Sprint(res.Header), secret) {
				t.Error("the secret is in a response header (cookie or redirect)")
			}
			var tok models.Token
			s.DB().Where("name = ?", "laptop").First(&tok)
			if tok.Kind != "resources" || strings.Contains(tok.Scopes, "user:edit") {
				t.Fatalf("the form mixed types: %+v", tok)
			}
			if list := dev.Get("/tokens"); strings.Contains(list.Body, secret) || !strings.Contains(list.Body, "alpha/beta: read") {
				t.Error("the list shows the secret or lacks the grants")
			}

			// A refused form re-renders the dialog with the reason.
			res = dev.PostForm("/tokens", url.Values{"name": {"x"}, "expires_at": {future(3)}, "type": {"resources"}, "resource_channel": {"alpha"}, "resource_level": {"manage"}})
			if res.StatusCode != 422 || !strings.Contains(res.Body, "manage on alpha") {
				t.Errorf("escalation via form: %d %s", res.StatusCode, res.Body)
			}
			res = dev.PostForm("/tokens", url.Values{"name": {"y"}, "expires_at": {future(3)}, "type": {"scopes"}, "scopes": {"page:view", "user.token:view"}})
			if res.StatusCode != 200 || secretRE.FindString(res.Body) == "" || strings.Contains(res.Body, "conda config") {
				t.Errorf("scope token via form: %d", res.StatusCode)
			}
			// Without the CSRF field the form is refused.
			if res := dev.Do("POST", "/tokens", strings.NewReader("name=z&type=scopes&scopes=page:view&expires_at="+future(3)), "application/x-www-form-urlencoded", true); res.StatusCode != 403 {
				t.Errorf("no CSRF: %d", res.StatusCode)
			}

			// Edit with re-issue shows a new string once.
			edit := dev.Get(fmt.Sprintf("/tokens/%d/edit", tok.ID))
			for _, want := range []string{"Issue a new token", `role="alert"`, ">Edit<", `value="laptop"`} {
				if !strings.Contains(edit.Body, want) {
					t.Errorf("Edit dialog lacks %q", want)
				}
			}
			res = dev.PostForm(fmt.Sprintf("/tokens/%d", tok.ID), url.Values{"name": {"laptop2"}, "expires_at": {future(4)}, "reissue": {"true"}})
			newSecret := secretRE.FindString(res.Body)
			if res.StatusCode != 200 || newSecret == "" || newSecret == secret {
				t.Fatalf("reissue via form: %d %s", res.StatusCode, res.Body)
			}
			if _, err := s.AuthenticateToken(t.Context(), secret); err == nil {
				t.Error("old string still works")
			}

			// Admins see everyone's tokens and may delete them; others may not.
			adm := srv.AsAdmin()
			list := adm.Get("/tokens")
			if !strings.Contains(list.Body, "dev@example.com") || !strings.Contains(list.Body, "Delete Token laptop2") || strings.Contains(list.Body, "Edit laptop2") {
				t.Errorf("admin list: %s", list.Body)
			}
			modeltest.MustUser(t, s, "other@example.com")
			if res := srv.Login("other@example.com").Get(fmt.Sprintf("/tokens/%d/delete", tok.ID)); res.StatusCode != 404 {
				t.Errorf("other opens delete: %d", res.StatusCode)
			}
			confirm := adm.Get(fmt.Sprintf("/tokens/%d/delete", tok.ID))
			if !strings.Contains(confirm.Body, ">Delete<") {
				t.Error("delete confirmation lacks the Delete button")
			}
			if res := adm.PostForm(fmt.Sprintf("/tokens/%d/delete", tok.ID), url.Values{}); res.StatusCode != http.StatusSeeOther {
				t.Errorf("admin delete: %d", res.StatusCode)
			}
			if _, err := s.AuthenticateToken(t.Context(), newSecret); err == nil {
				t.Error("deleted token still works")
			}
			var n int64
			s.DB().Model(&models.Token{}).Where("id = ?", tok.ID).Count(&n)
			if n != 0 {
				t.Error("token not deleted")
			}
		})
	}
}

func TestTokenListMarksExpiryAndLastUse(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	s := srv.Store
	u, _ := s.UserByEmail(t.Context(), handlertest.Admin)
	_, secret, err := s.CreateToken(t.Context(), u, models.NewToken{Name: "soon", ExpiresOn: future(3), Grant: access.TokenGrant{Scopes: []string{"user.token:view"}}})
	if err != nil {
		t.Fatal(err)
	}
	adm := srv.AsAdmin()
	page := adm.Get("/tokens")
	if !strings.Contains(page.Body, "Expires in 3 days") || !strings.Contains(page.Body, "Never") {
		t.Errorf("no \"Expires in 3 days\" badge or never-used mark")
	}
	if res := withToken(srv, secret).Get("/api/tokens"); res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	if err := s.FlushTokenUse(t.Context()); err != nil {
		t.Fatal(err)
	}
	if page := adm.Get("/tokens"); strings.Contains(page.Body, "Never") {
		t.Error("last used not shown after use")
	}
	s.Now = func() time.Time { return time.Now().AddDate(0, 0, 30) }
	defer func() { s.Now = time.Now }()
	if page := adm.Get("/tokens"); !strings.Contains(page.Body, "Expired") {
		t.Error("no expired badge")
	}
}
