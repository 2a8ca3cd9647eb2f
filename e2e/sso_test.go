package e2e

import (
	"slices"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/handlers/oidctest"
	"gatehouse/models/modeltest"
	"gatehouse/web/sso"
)

// TestSignInWithProvider: a person clicks "Sign in with …", signs in on the
// provider's own form, lands where they were going with the teams their
// groups give; after the provider drops a group, the next sign-in takes the
// page that group's team could read away.
func TestSignInWithProvider(t *testing.T) {
	op := oidctest.Start(t)
	op.AddUser(oidctest.User{Username: "alice", Password: "alice-pw", Email: "alice@example.com", EmailVerified: true, Groups: []string{"eng"}})
	cfg := handlertest.Config(t)
	cfg.SSO = sso.Config{Issuer: op.URL, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret, Name: "Acme SSO",
		Scopes: sso.SplitList(sso.DefaultScopes), GroupsClaim: sso.DefaultGroupsClaim,
		Teams: []sso.TeamMapping{{Group: "eng", Team: "Engineering"}}}
	srv := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	op.AllowRedirect(srv.URL + "/auth/oidc/callback")
	admin := srv.AsAdmin()
	for _, call := range []struct{ method, path, body string }{
		{"POST", "/v1/pages", `{"identifier":"eng-handbook","title":"Engineering handbook","widgets":[{"type":"table","kind":"channels"}]}`},
		{"PATCH", "/v1/pages/eng-handbook/permissions", `{"read":{"roles":[],"teams":["Engineering"]}}`},
	} {
		if res := admin.SendJSON(call.method, call.path, call.body); res.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", call.method, call.path, res.StatusCode, res.Body)
		}
	}
	e := &Env{T: t, Srv: srv, Page: newTab(t, srv.URL)}

	signIn := func() {
		t.Helper()
		e.Go("/pages/eng-handbook")
		e.AtPath("/login")
		e.Click("link", "Sign in with Acme SSO")
		e.See("Test Identity Provider") // the provider's own page
		e.Fill("Username", "alice")
		e.Fill("Password", "alice-pw")
		e.Click("button", "Log in")
	}
	signIn()
	e.AtPath("/pages/eng-handbook")
	e.See("Engineering handbook")
	e.See("alice@example.com")
	if u, err := srv.Store.UserByEmail(t.Context(), "alice@example.com"); err != nil || !slices.Equal(u.TeamNames(), []string{"Engineering"}) {
		t.Fatalf("alice's teams after signing in: %v %v", u, err)
	}

	// An admin sees where alice comes from, and that Engineering is synced.
	a := e.Tab()
	a.Login(handlertest.Admin, modeltest.Password)
	a.Go("/admin/users")
	a.See("SSO")
	a.Go("/admin/teams")
	a.See("Synced")
	a.Click("button", "Members of Engineering")
	a.See("follow the group")
	a.NotSee("Save members")

	// The provider drops alice from eng; her next sign-in loses the page.
	op.SetGroups("alice")
	e.Click("button", "Sign out")
	e.AtPath("/login")
	signIn()
	e.AtPath("/pages/eng-handbook")
	e.See("There is nothing here")
}
