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

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/handlers/oidctest"
	"gatehouse/models"
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
