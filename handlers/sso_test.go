package handlers_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/handlers/oidctest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
	"gatehouse/web/sso"
)

// ssoWorld is a Gatehouse signing people in through a real OpenID provider
// on loopback, with the log captured so tests can read it.
type ssoWorld struct {
	srv *handlertest.Server
	op  *oidctest.Provider
	log *syncBuffer
}

// syncBuffer is a log sink the server writes to from its own goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ssoConfig maps eng → Engineering, ops → Operations and gatehouse-admins
// → Admin.
func ssoConfig(issuer string) sso.Config {
	return sso.Config{Issuer: issuer, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret, Name: "Test IdP",
		Scopes: sso.SplitList(sso.DefaultScopes), GroupsClaim: sso.DefaultGroupsClaim,
		Teams:       []sso.TeamMapping{{Group: "eng", Team: "Engineering"}, {Group: "ops", Team: "Operations"}},
		AdminGroups: []string{"gatehouse-admins"}}
}

func newSSOWorld(t *testing.T, b modeltest.Backend, tweak func(*web.Config)) *ssoWorld {
	t.Helper()
	op := oidctest.Start(t)
	cfg := handlertest.Config(t)
	cfg.SSO = ssoConfig(op.URL)
	if tweak != nil {
		tweak(&cfg)
	}
	log := &syncBuffer{}
	srv := handlertest.StartWithLog(t, modeltest.Open(t, b), cfg, slog.New(slog.NewTextHandler(log, nil)))
	op.AllowRedirect(srv.URL + "/auth/oidc/callback")
	op.AddUser(oidctest.User{Username: "alice", Password: "alice-pw", Email: "Alice@Example.com", EmailVerified: true, Groups: []string{"eng", "unmapped"}})
	return &ssoWorld{srv: srv, op: op, log: log}
}

func forEachSSO(t *testing.T, tweak func(*web.Config), fn func(t *testing.T, w *ssoWorld)) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) { fn(t, newSSOWorld(t, b, tweak)) })
	}
}

// signIn runs a whole sign-in in a fresh browser and returns it with the
// answer to the provider's redirect.
func (w *ssoWorld) signIn(t *testing.T, username, password, next string) (*handlertest.Client, *handlertest.Response) {
	t.Helper()
	c := w.srv.Anonymous()
	start := "/auth/oidc/login"
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	back := w.op.Authorize(t, c, start, username, password)
	return c, c.Get(back)
}

// mustSignIn signs in and fails the test unless it worked.
func (w *ssoWorld) mustSignIn(t *testing.T, username, password string) *handlertest.Client {
	t.Helper()
	c, res := w.signIn(t, username, password, "")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("sign-in as %s: %d %q: %s", username, res.StatusCode, res.Header.Get("Location"), res.Body)
	}
	return c
}

func (w *ssoWorld) user(t *testing.T, email string) *models.User {
	t.Helper()
	u, err := w.srv.Store.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// events lists the audit log's events with this action, newest first.
func (w *ssoWorld) events(t *testing.T, action string) []models.AuditEvent {
	t.Helper()
	var evs []models.AuditEvent
	if err := w.srv.Store.DB().Where("action = ?", action).Order("id DESC").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestSSOFirstSignInCreatesMember(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		c, res := w.signIn(t, "alice", "alice-pw", "/channels?x=1")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/channels?x=1" {
			t.Fatalf("after the provider: %d %q: %s", res.StatusCode, res.Header.Get("Location"), res.Body)
		}
		if got := c.Get("/tokens"); got.StatusCode != http.StatusOK || !strings.Contains(got.Body, "alice@example.com") {
			t.Fatalf("not signed in after the provider: %d", got.StatusCode)
		}
		u := w.user(t, "alice@example.com")
		if !slices.Equal(u.RoleNames(), []string{"Member"}) || !slices.Equal(u.TeamNames(), []string{"Engineering"}) {
			t.Fatalf("roles %v teams %v", u.RoleNames(), u.TeamNames())
		}
		if !u.FromSSO() || *u.SSOSubject != "sub-alice" || *u.SSOIssuer != w.op.URL || u.LastSignInAt == nil {
			t.Fatalf("sso fields: %v %v %v", u.SSOSubject, u.SSOIssuer, u.LastSignInAt)
		}
		// No usable password: the provider is the way in.
		if _, err := w.srv.Store.Authenticate(t.Context(), u.Email, ""); err == nil {
			t.Fatal("an SSO account signs in with an empty password")
		}
		for _, action := range []string{"user.create", "signin.sso.sync", "signin.sso.success"} {
			if evs := w.events(t, action); len(evs) != 1 || evs[0].Target != "alice@example.com" {
				t.Errorf("audit %s: %+v", action, evs)
			}
		}
		if d := w.events(t, "signin.sso.sync")[0].DetailsMap(); toJSON(d["teams_added"]) != `["Engineering"]` {
			t.Errorf("sync details: %v", d)
		}

		// Admins see where people come from and when they last signed in.
		admin := w.srv.AsAdmin()
		page := admin.Get("/admin/users").Body
		if !strings.Contains(page, ">SSO<") || !strings.Contains(page, "Last sign-in") || !strings.Contains(page, u.LastSignInAt.UTC().Format("2006-01-02 15:04 UTC")) {
			t.Errorf("users page lacks SSO marks: %s", page)
		}
		var users struct{ Users []handlers.UserJSON }
		admin.Get("/api/users").JSON(t, &users)
		for _, uj := range users.Users {
			if want := uj.Email == "alice@example.com"; uj.SSO != want || (uj.LastSignInAt == nil) {
				t.Errorf("api user %s: sso %v last %v", uj.Email, uj.SSO, uj.LastSignInAt)
			}
		}
	})
}

// TestSSOGroupsDecideTeams: every sign-in sets the mapped teams from the
// groups; a team the person left takes its access with it, through tokens
// too; teams and roles nobody mapped stay as they are.
func TestSSOGroupsDecideTeams(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		s, ctx := w.srv.Store, t.Context()
		w.mustSignIn(t, "alice", "alice-pw")
		admin := w.srv.AsAdmin()
		// Engineering may read channel "secret" and the catalog page "eng-only";
		// the hand-made team Design and the role Guest are nobody's groups.
		want(t, admin.SendJSON("POST", "/api/channels", map[string]any{"name": "secret"}), http.StatusCreated)
		want(t, admin.SendJSON("PATCH", "/api/channels/secret/permissions", `{"read":{"teams":["Engineering"]}}`), http.StatusOK)
		want(t, admin.SendJSON("POST", "/v1/pages", `{"identifier":"eng-only","title":"Eng only","widgets":[{"type":"table","kind":"channels"}]}`), http.StatusCreated)
		want(t, admin.SendJSON("PATCH", "/v1/pages/eng-only/permissions", `{"read":{"roles":[],"teams":["Engineering"]}}`), http.StatusOK)
		want(t, admin.SendJSON("POST", "/api/teams", map[string]any{"name": "Design", "members": []string{"alice@example.com"}}), http.StatusCreated)
		if _, err := s.CreateRole(ctx, "Guest"); err != nil {
			t.Fatal(err)
		}
		alice := w.user(t, "alice@example.com")
		roles := []string{"Member", "Guest"}
		if _, _, err := s.UpdateUser(ctx, alice.ID, models.UserUpdate{Roles: &roles}); err != nil {
			t.Fatal(err)
		}
		tok := withToken(w.srv, mustToken(t, s, "alice@example.com", "ci", access.TokenGrant{Resources: []access.Resource{{Channel: "secret", Level: access.Read}}}))
		c := w.mustSignIn(t, "alice", "alice-pw")
		want(t, tok.Get("/api/repo/secret/noarch/repodata.json"), http.StatusOK)
		want(t, c.Get("/pages/eng-only"), http.StatusOK)
		want(t, c.Get("/channels/secret"), http.StatusOK)

		// The provider moves alice from eng to ops.
		w.op.SetGroups("alice", "ops")
		c = w.mustSignIn(t, "alice", "alice-pw")
		alice = w.user(t, "alice@example.com")
		if !slices.Equal(alice.TeamNames(), []string{"Design", "Operations"}) || !slices.Equal(alice.RoleNames(), []string{"Guest", "Member"}) {
			t.Fatalf("after the move: teams %v roles %v", alice.TeamNames(), alice.RoleNames())
		}
		want(t, tok.Get("/api/repo/secret/noarch/repodata.json"), http.StatusNotFound)
		want(t, c.Get("/pages/eng-only"), http.StatusNotFound)
		want(t, c.Get("/channels/secret"), http.StatusNotFound)
		d := w.events(t, "signin.sso.sync")[0].DetailsMap()
		if toJSON(d["teams_added"]) != `["Operations"]` || toJSON(d["teams_removed"]) != `["Engineering"]` {
			t.Errorf("sync audit: %v", d)
		}

		// A sign-in that changes nothing records no sync.
		before := len(w.events(t, "signin.sso.sync"))
		w.mustSignIn(t, "alice", "alice-pw")
		if after := len(w.events(t, "signin.sso.sync")); after != before {
			t.Errorf("a sign-in without changes audited a sync")
		}
	})
}

// TestSSOAdminGroups: Admin follows the admin groups, except that the last
// active admin keeps it, and the audit log says so.
func TestSSOAdminGroups(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		s, ctx := w.srv.Store, t.Context()
		w.op.AddUser(oidctest.User{Username: "bob", Password: "bob-pw", Email: "bob@example.com", EmailVerified: true, Groups: []string{"gatehouse-admins"}})
		bob := w.mustSignIn(t, "bob", "bob-pw")
		if u := w.user(t, "bob@example.com"); !slices.Equal(u.RoleNames(), []string{"Admin", "Member"}) {
			t.Fatalf("bob's roles: %v", u.RoleNames())
		}
		want(t, bob.Get("/admin/users"), http.StatusOK)

		w.op.SetGroups("bob", "eng")
		bob = w.mustSignIn(t, "bob", "bob-pw")
		if u := w.user(t, "bob@example.com"); !slices.Equal(u.RoleNames(), []string{"Member"}) {
			t.Fatalf("bob left the admin group but has %v", u.RoleNames())
		}
		want(t, bob.Get("/admin/users"), http.StatusForbidden)
		if d := w.events(t, "signin.sso.sync")[0].DetailsMap(); toJSON(d["roles_removed"]) != `["Admin"]` {
			t.Errorf("sync audit: %v", d)
		}

		// bob becomes the only admin; then the provider drops him from the group.
		w.op.SetGroups("bob", "gatehouse-admins")
		w.mustSignIn(t, "bob", "bob-pw")
		first := w.user(t, handlertest.Admin)
		member := []string{"Member"}
		if _, _, err := s.UpdateUser(ctx, first.ID, models.UserUpdate{Roles: &member}); err != nil {
			t.Fatal(err)
		}
		w.op.SetGroups("bob")
		bob = w.mustSignIn(t, "bob", "bob-pw")
		if u := w.user(t, "bob@example.com"); !u.IsAdmin() {
			t.Fatal("a sign-in removed the last active admin")
		}
		want(t, bob.Get("/admin/users"), http.StatusOK)
		if evs := w.events(t, "signin.sso.last_admin"); len(evs) != 1 || evs[0].Target != "bob@example.com" {
			t.Fatalf("last-admin audit: %+v", evs)
		}
	})
}

// TestSSOSyncedTeams: mapped teams exist from the start, are marked synced,
// and refuse hand-made membership changes in the UI and the API.
func TestSSOSyncedTeams(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		admin := w.srv.AsAdmin()
		var teams struct{ Teams []handlers.TeamJSON }
		admin.Get("/api/teams").JSON(t, &teams)
		if len(teams.Teams) != 2 || teams.Teams[0].Name != "Engineering" || !teams.Teams[0].Synced || !teams.Teams[1].Synced {
			t.Fatalf("mapped teams: %+v", teams.Teams)
		}
		if evs := w.events(t, "team.create"); len(evs) != 2 {
			t.Errorf("team creation audited %d times", len(evs))
		}
		want(t, admin.SendJSON("POST", "/api/teams", map[string]any{"name": "Design"}), http.StatusCreated)
		page := admin.Get("/admin/teams").Body
		if strings.Count(page, ">Synced<") != 2 || !strings.Contains(page, "Members follow the group eng") {
			t.Errorf("teams page does not mark synced teams: %s", page)
		}
		eng := teams.Teams[0].ID
		dialog := admin.Get("/admin/teams/" + itoa(eng) + "/members")
		if !strings.Contains(dialog.Body, `data-testid="synced-members"`) || strings.Contains(dialog.Body, "Save members") {
			t.Errorf("members dialog of a synced team is editable: %s", dialog.Body)
		}
		res := admin.PostForm("/admin/teams/"+itoa(eng)+"/members", url.Values{"members": {handlertest.Admin}})
		want(t, res, http.StatusConflict)
		if !strings.Contains(res.Body, "follow the group") {
			t.Errorf("no clear message: %s", res.Body)
		}
		res = admin.SendJSON("PATCH", "/api/teams/"+itoa(eng), map[string]any{"members": []string{handlertest.Admin}})
		want(t, res, http.StatusConflict)
		if msg := res.Map(t)["message"].(string); !strings.Contains(msg, `"eng" at Test IdP`) {
			t.Errorf("API message: %s", msg)
		}
		// A synced team deleted by hand cannot come back with members picked by hand.
		want(t, admin.SendJSON("DELETE", "/api/teams/"+itoa(eng), nil), http.StatusNoContent)
		want(t, admin.SendJSON("POST", "/api/teams", map[string]any{"name": "engineering", "members": []string{handlertest.Admin}}), http.StatusConflict)
		if n := len(teamsNamed(t, w, "engineering")); n != 0 {
			t.Fatalf("a refused team was created")
		}
		if t2, err := w.srv.Store.Team(t.Context(), teams.Teams[1].ID); err != nil || len(t2.Members) != 0 {
			t.Fatalf("Operations changed: %v %v", t2, err)
		}
		// Hand-made teams are edited as before.
		var design struct{ Team handlers.TeamJSON }
		admin.SendJSON("POST", "/api/teams", map[string]any{"name": "Research", "members": []string{handlertest.Admin}}).JSON(t, &design)
		if design.Team.Synced || len(design.Team.Members) != 1 {
			t.Errorf("hand-made team: %+v", design.Team)
		}
		// The next sign-in brings the deleted synced team back, empty of grants.
		w.mustSignIn(t, "alice", "alice-pw")
		if got := teamsNamed(t, w, "engineering"); len(got) != 1 || len(got[0].Members) != 1 {
			t.Fatalf("Engineering after the sign-in: %+v", got)
		}
	})
}

func teamsNamed(t *testing.T, w *ssoWorld, name string) []models.Team {
	t.Helper()
	var out []models.Team
	ts, err := w.srv.Store.Teams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range ts {
		if strings.EqualFold(tm.Name, name) {
			out = append(out, tm)
		}
	}
	return out
}

// refusal is what a refused sign-in must look like.
type refusal struct {
	status int
	msg    string // part of the message on the sign-in page
	action string // audit action
	check  string // the audit event's check
}

// expectRefused checks a refused sign-in: the status and a clear message on
// the sign-in page, no session, nothing created, the refusal audited, and
// neither the code, the state nor the provider's words in page or log.
func (w *ssoWorld) expectRefused(t *testing.T, c *handlertest.Client, res *handlertest.Response, callback string, users int64, want refusal) {
	t.Helper()
	if res.StatusCode != want.status || !strings.Contains(res.Body, want.msg) || !strings.Contains(res.Body, `role="alert"`) {
		t.Errorf("status %d, want %d with %q: %s", res.StatusCode, want.status, want.msg, res.Body)
	}
	if !strings.Contains(res.Body, "Sign in with Test IdP") {
		t.Error("the refusal page offers no way to start again")
	}
	if got := c.Get("/tokens"); got.StatusCode != http.StatusSeeOther {
		t.Errorf("signed in after a refusal: %d", got.StatusCode)
	}
	var n int64
	w.srv.Store.DB().Model(&models.User{}).Count(&n)
	if n != users {
		t.Errorf("users: %d, want %d: a refused sign-in created one", n, users)
	}
	evs := w.events(t, want.action)
	if len(evs) == 0 || evs[0].DetailsMap()["check"] != want.check {
		t.Errorf("audit %s: %+v", want.action, evs)
	} else if strings.Contains(evs[0].Details, "Bearer") {
		t.Errorf("audit holds a token: %s", evs[0].Details)
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(callback[strings.Index(callback, "?"):], "?"))
	log := w.log.String()
	for _, secret := range []string{q.Get("code"), q.Get("state"), "invalid code", "redirect_uri", "oidc:", "failed to verify"} {
		if secret == "" {
			continue
		}
		if strings.Contains(res.Body, secret) {
			t.Errorf("the page shows %q", secret)
		}
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q: %s", secret, log)
		}
	}
	if !strings.Contains(log, "reason="+strings.TrimPrefix(want.action, "signin.sso.")) {
		t.Errorf("the log does not name the refusal: %s", log)
	}
}

func (w *ssoWorld) userCount(t *testing.T) int64 {
	var n int64
	if err := w.srv.Store.DB().Model(&models.User{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSSORefusedAnswers: what the provider vouches for must pass every
// check; each failure is refused with a clear message and nothing created.
func TestSSORefusedAnswers(t *testing.T) {
	tooMany := make([]string, sso.MaxGroups+1)
	for i := range tooMany {
		tooMany[i] = "g" + itoa(uint(i))
	}
	verified := func(name string) oidctest.User {
		return oidctest.User{Username: name, Password: "pw-" + name, Email: name + "@example.com", EmailVerified: true, Groups: []string{"eng"}}
	}
	cases := []struct {
		name  string
		user  oidctest.User
		setup func(w *ssoWorld)
		want  refusal
	}{
		{"email not verified", oidctest.User{Username: "u1", Password: "pw-u1", Email: "u1@example.com"},
			nil, refusal{403, "not verified at Test IdP", "signin.sso.email_unverified", "email_verified"}},
		{"no email", oidctest.User{Username: "u2", Password: "pw-u2", EmailVerified: true},
			nil, refusal{403, "did not give Gatehouse a usable email", "signin.sso.email_missing", "email"}},
		{"groups not a list", func() oidctest.User { u := verified("u3"); u.GroupsClaim = "eng"; return u }(),
			nil, refusal{403, "list of groups Gatehouse cannot use", "signin.sso.groups_invalid", "groups_not_a_list"}},
		{"too many groups", func() oidctest.User { u := verified("u4"); u.GroupsClaim = tooMany; return u }(),
			nil, refusal{403, "list of groups Gatehouse cannot use", "signin.sso.groups_invalid", "groups_too_many"}},
		{"groups not names", func() oidctest.User { u := verified("u5"); u.GroupsClaim = []int{1, 2}; return u }(),
			nil, refusal{403, "list of groups Gatehouse cannot use", "signin.sso.groups_invalid", "groups_not_names"}},
		{"signed with another key", verified("u6"), func(w *ssoWorld) { w.op.SetTamper(oidctest.WrongKey) },
			refusal{401, "could not be verified", "signin.sso.token_invalid", "signature"}},
		{"issued to another client", verified("u7"), func(w *ssoWorld) { w.op.SetTamper(oidctest.WrongAudience) },
			refusal{401, "could not be verified", "signin.sso.token_invalid", "audience"}},
		{"another issuer", verified("u8"), func(w *ssoWorld) { w.op.SetTamper(oidctest.WrongIssuer) },
			refusal{401, "could not be verified", "signin.sso.token_invalid", "issuer"}},
		{"expired ID token", verified("u9"), func(w *ssoWorld) { w.op.SetTamper(oidctest.Expired) },
			refusal{401, "could not be verified", "signin.sso.token_invalid", "expired"}},
		{"wrong nonce", verified("u10"), func(w *ssoWorld) { w.op.SetTamper(oidctest.WrongNonce) },
			refusal{401, "could not be verified", "signin.sso.token_invalid", "nonce"}},
		{"expired code", verified("u11"), func(w *ssoWorld) { w.op.SetCodeLifetime(time.Nanosecond) },
			refusal{400, "expired or was already used", "signin.sso.code_refused", "invalid_grant"}},
		{"disabled account", verified("u12"), func(w *ssoWorld) {
			u := modeltest.MustUser(t, w.srv.Store, "u12@example.com")
			off := true
			if _, _, err := w.srv.Store.UpdateUser(t.Context(), u.ID, models.UserUpdate{Disabled: &off}); err != nil {
				t.Fatal(err)
			}
		}, refusal{403, "This account is disabled", "signin.sso.disabled", "disabled"}},
	}
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				w.op.AddUser(tc.user)
				if tc.setup != nil {
					tc.setup(w)
				}
				defer w.op.SetTamper(oidctest.Honest)
				defer w.op.SetCodeLifetime(0)
				users := w.userCount(t)
				c := w.srv.Anonymous()
				back := w.op.Authorize(t, c, "/auth/oidc/login", tc.user.Username, tc.user.Password)
				res := c.Get(back)
				w.expectRefused(t, c, res, back, users, tc.want)
				if tc.want.action == "signin.sso.disabled" {
					if u := w.user(t, "u12@example.com"); u.FromSSO() || u.LastSignInAt != nil || len(u.Teams) != 0 {
						t.Errorf("a disabled account changed: %+v", u)
					}
				}
			})
		}
	})
}

// TestSSOStateAndCode: the provider's answer counts only in the browser
// that asked, once.
func TestSSOStateAndCode(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		users := w.userCount(t)
		a := w.srv.Anonymous()
		back := w.op.Authorize(t, a, "/auth/oidc/login?next=/channels", "alice", "alice-pw")

		// Another browser, with a sign-in of its own, opens alice's answer.
		b := w.srv.Anonymous()
		want(t, b.Get("/auth/oidc/login"), http.StatusSeeOther)
		w.expectRefused(t, b, b.Get(back), back, users,
			refusal{400, "started in another browser or tab", "signin.sso.state_mismatch", "state"})
		// A browser with no sign-in in progress.
		fresh := w.srv.Anonymous()
		w.expectRefused(t, fresh, fresh.Get(back), back, users,
			refusal{400, "expired or was already used", "signin.sso.state_missing", "no_sign_in_in_progress"})
		// Neither spent alice's code: her own browser still signs in, once.
		res := a.Get(back)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/channels" {
			t.Fatalf("alice's own answer: %d %s", res.StatusCode, res.Body)
		}
		users = w.userCount(t)
		want(t, a.PostForm("/logout", nil), http.StatusSeeOther)
		w.expectRefused(t, a, a.Get(back), back, users,
			refusal{400, "expired or was already used", "signin.sso.state_missing", "no_sign_in_in_progress"})

		// The used code, brought back under a new sign-in's state, is refused
		// by the provider.
		start := a.Get("/auth/oidc/login")
		authURL, _ := url.Parse(start.Header.Get("Location"))
		q, _ := url.ParseQuery(back[strings.Index(back, "?")+1:])
		replay := "/auth/oidc/callback?" + url.Values{"code": {q.Get("code")}, "state": {authURL.Query().Get("state")}}.Encode()
		w.expectRefused(t, a, a.Get(replay), replay, users,
			refusal{400, "expired or was already used", "signin.sso.code_refused", "invalid_grant"})

		// The provider says no; its description is not repeated.
		start = a.Get("/auth/oidc/login")
		authURL, _ = url.Parse(start.Header.Get("Location"))
		denied := "/auth/oidc/callback?" + url.Values{"state": {authURL.Query().Get("state")}, "error": {"access_denied"},
			"error_description": {"<script>alert(1)</script> from the provider"}}.Encode()
		res = a.Get(denied)
		w.expectRefused(t, a, res, denied, users, refusal{403, "cancelled or refused there", "signin.sso.provider_refused", "access_denied"})
		if strings.Contains(res.Body, "from the provider") {
			t.Error("the provider's description is on the page")
		}

		// A code no provider would issue.
		start = a.Get("/auth/oidc/login")
		authURL, _ = url.Parse(start.Header.Get("Location"))
		huge := "/auth/oidc/callback?" + url.Values{"state": {authURL.Query().Get("state")}, "code": {strings.Repeat("c", 5000)}}.Encode()
		w.expectRefused(t, a, a.Get(huge), huge, users, refusal{400, "expired or was already used", "signin.sso.code_refused", "code_missing_or_too_long"})

		// A forged cookie is no sign-in in progress.
		forged := w.srv.Anonymous()
		u, _ := url.Parse(w.srv.URL + "/auth/oidc/")
		forged.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "gatehouse_sso", Value: "forged", Path: "/auth/oidc/"}})
		w.expectRefused(t, forged, forged.Get(back), back, users,
			refusal{400, "expired or was already used", "signin.sso.state_missing", "no_sign_in_in_progress"})
	})
}

// TestSSOProviderDown: an unreachable provider is a clear 502, at the start
// and on the way back.
func TestSSOProviderDown(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newSSOWorld(t, b, func(cfg *web.Config) { cfg.SSO.Issuer = "http://127.0.0.1:1" })
			c := w.srv.Anonymous()
			res := c.Get("/auth/oidc/login")
			w.expectRefused(t, c, res, "?", w.userCount(t), refusal{502, "cannot reach Test IdP", "signin.sso.provider_down", "discovery"})

			w = newSSOWorld(t, b, nil)
			users := w.userCount(t)
			c = w.srv.Anonymous()
			back := w.op.Authorize(t, c, "/auth/oidc/login", "alice", "alice-pw")
			w.op.Close()
			w.expectRefused(t, c, c.Get(back), back, users, refusal{502, "cannot reach Test IdP", "signin.sso.provider_down", "token_endpoint"})
		})
	}
}

// TestSSOUserinfo: claims missing from the ID token come from the userinfo
// endpoint, as many providers send groups (and some emails) only there.
func TestSSOUserinfo(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		w.op.AddUser(oidctest.User{Username: "carol", Password: "carol-pw", Email: "carol@example.com", EmailVerified: true,
			Groups: []string{"ops", "gatehouse-admins"}, GroupsOnlyFromUserinfo: true})
		w.mustSignIn(t, "carol", "carol-pw")
		if u := w.user(t, "carol@example.com"); !slices.Equal(u.TeamNames(), []string{"Operations"}) || !u.IsAdmin() {
			t.Fatalf("groups from userinfo: teams %v roles %v", u.TeamNames(), u.RoleNames())
		}
		w.op.EmailInUserinfoOnly()
		w.op.SetGroups("carol", "eng")
		w.mustSignIn(t, "carol", "carol-pw")
		if u := w.user(t, "carol@example.com"); !slices.Equal(u.TeamNames(), []string{"Engineering"}) || u.IsAdmin() {
			t.Fatalf("email and groups from userinfo: teams %v roles %v", u.TeamNames(), u.RoleNames())
		}
		// Unverified stays unverified wherever the claim comes from.
		w.op.AddUser(oidctest.User{Username: "dan", Password: "dan-pw", Email: "dan@example.com"})
		users := w.userCount(t)
		c := w.srv.Anonymous()
		back := w.op.Authorize(t, c, "/auth/oidc/login", "dan", "dan-pw")
		w.expectRefused(t, c, c.Get(back), back, users, refusal{403, "not verified", "signin.sso.email_unverified", "email_verified"})
	})
}

// TestSSOExistingAccounts: an account made by hand is linked by its
// verified email; one email cannot belong to two people at the provider;
// a changed email follows the provider.
func TestSSOExistingAccounts(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		made := modeltest.MustUser(t, w.srv.Store, "alice@example.com")
		w.mustSignIn(t, "alice", "alice-pw")
		u := w.user(t, "alice@example.com")
		if u.ID != made.ID || !u.FromSSO() || !slices.Equal(u.TeamNames(), []string{"Engineering"}) {
			t.Fatalf("not linked: %+v", u)
		}
		if evs := w.events(t, "user.sso.link"); len(evs) != 1 {
			t.Errorf("link audit: %+v", evs)
		}
		// Her password still works; password sign-in is on.
		want(t, w.srv.Anonymous().PostForm("/login", url.Values{"email": {"alice@example.com"}, "password": {modeltest.Password}}), http.StatusSeeOther)

		// Someone else at the provider claims the same (verified) email.
		w.op.AddUser(oidctest.User{Username: "mallory", Password: "m-pw", Email: "alice@example.com", EmailVerified: true})
		users := w.userCount(t)
		c := w.srv.Anonymous()
		back := w.op.Authorize(t, c, "/auth/oidc/login", "mallory", "m-pw")
		w.expectRefused(t, c, c.Get(back), back, users, refusal{409, "belongs to another Gatehouse account", "signin.sso.account_conflict", "email_taken"})

		// The provider renames alice; the account follows.
		w.op.AddUser(oidctest.User{Username: "alice", Password: "alice-pw", Email: "alice.smith@example.com", EmailVerified: true, Groups: []string{"eng"}})
		w.mustSignIn(t, "alice", "alice-pw")
		if u := w.user(t, "alice.smith@example.com"); u.ID != made.ID {
			t.Fatalf("renamed account: %+v", u)
		}
		if d := w.events(t, "user.update")[0].DetailsMap(); toJSON(d["email"]) != `{"new":"alice.smith@example.com","old":"alice@example.com"}` {
			t.Errorf("rename audit: %v", d)
		}
	})
}

// TestSSONext: after the provider a person lands where they were going, on
// this site only.
func TestSSONext(t *testing.T) {
	forEachSSO(t, nil, func(t *testing.T, w *ssoWorld) {
		for next, land := range map[string]string{
			"/tokens?x=1":          "/tokens?x=1",
			"//evil.example/x":     "/",
			"https://evil.example": "/",
			"/\\evil.example":      "/",
		} {
			_, res := w.signIn(t, "alice", "alice-pw", next)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != land {
				t.Errorf("next %q: %d %q, want %q", next, res.StatusCode, res.Header.Get("Location"), land)
			}
		}
		// The sign-in page passes the target on to the button.
		page := w.srv.Anonymous().Get("/login?next=%2Ftokens").Body
		if !strings.Contains(page, `href="/auth/oidc/login?next=%2Ftokens"`) {
			t.Errorf("button does not keep next: %s", page)
		}
		// A signed-in person is sent straight on.
		c := w.mustSignIn(t, "alice", "alice-pw")
		if res := c.Get("/auth/oidc/login?next=/tokens"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tokens" {
			t.Errorf("signed in: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// TestSSOAllowedDomains: only the listed email domains sign in.
func TestSSOAllowedDomains(t *testing.T) {
	forEachSSO(t, func(cfg *web.Config) { cfg.SSO.AllowedDomains = []string{"example.org"} }, func(t *testing.T, w *ssoWorld) {
		users := w.userCount(t)
		c := w.srv.Anonymous()
		back := w.op.Authorize(t, c, "/auth/oidc/login", "alice", "alice-pw")
		w.expectRefused(t, c, c.Get(back), back, users, refusal{403, "Email addresses at example.com may not sign in here", "signin.sso.domain_refused", "domain"})
		if evs := w.events(t, "signin.sso.domain_refused"); evs[0].Target != "alice@example.com" {
			t.Errorf("audit target: %q", evs[0].Target)
		}
		// An address no account could have is refused all the same, and the
		// audit log keeps the refusal without it.
		w.op.AddUser(oidctest.User{Username: "long", Password: "long-pw", Email: strings.Repeat("x", 300) + "@example.net", EmailVerified: true})
		back = w.op.Authorize(t, c, "/auth/oidc/login", "long", "long-pw")
		w.expectRefused(t, c, c.Get(back), back, users, refusal{403, "Email addresses at example.net may not sign in", "signin.sso.domain_refused", "domain"})
		if evs := w.events(t, "signin.sso.domain_refused"); len(evs) != 2 || evs[0].Target != "" {
			t.Errorf("audit of an overlong address: %+v", evs)
		}
		w.op.AddUser(oidctest.User{Username: "erin", Password: "erin-pw", Email: "erin@EXAMPLE.org", EmailVerified: true})
		w.mustSignIn(t, "erin", "erin-pw")
	})
}

// TestPasswordSignInOff: the sign-in page offers only the provider, and
// the password form's endpoint refuses too.
func TestPasswordSignInOff(t *testing.T) {
	forEachSSO(t, func(cfg *web.Config) { cfg.NoPasswordSignIn = true }, func(t *testing.T, w *ssoWorld) {
		c := w.srv.Anonymous()
		page := c.Get("/login").Body
		if !strings.Contains(page, "Sign in with Test IdP") || strings.Contains(page, `name="password"`) {
			t.Errorf("sign-in page: %s", page)
		}
		res := c.PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {modeltest.Password}})
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "turned off") {
			t.Fatalf("password sign-in: %d %s", res.StatusCode, res.Body)
		}
		want(t, c.Get("/tokens"), http.StatusSeeOther)
		if evs := w.events(t, "signin.password_off"); len(evs) != 1 || evs[0].Target != handlertest.Admin {
			t.Errorf("audit: %+v", evs)
		}
		w.mustSignIn(t, "alice", "alice-pw")
	})
}

// TestSSOOff: without an issuer there is no provider to go to.
func TestSSOOff(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		c := srv.Anonymous()
		want(t, c.Get("/auth/oidc/login"), http.StatusNotFound)
		want(t, c.Get("/auth/oidc/callback?code=x&state=y"), http.StatusNotFound)
		if strings.Contains(c.Get("/login").Body, "Sign in with") {
			t.Error("the sign-in page offers single sign-on")
		}
	})
}
