package oidctest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
)

// Authorize plays a browser signing in: it opens start on Gatehouse with c
// (which keeps Gatehouse's cookies), follows Gatehouse to the provider,
// fills in the provider's login form, and returns the Gatehouse path the
// provider sends the browser back to, not yet visited.
func (p *Provider) Authorize(t testing.TB, c *handlertest.Client, start, username, password string) string {
	t.Helper()
	res := c.Get(start)
	to := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(to, p.URL+"/") {
		t.Fatalf("%s: want a redirect to the provider, got %d %q: %s", start, res.StatusCode, to, res.Body)
	}
	return p.AuthorizeAt(t, to, c.S.URL, username, password)
}

// AuthorizeAt signs in at the provider's authorization URL and returns the
// path under gatehouse that the provider redirects to.
func (p *Provider) AuthorizeAt(t testing.TB, authURL, gatehouse, username, password string) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	step := func(res *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if res.StatusCode/100 != 3 || err != nil {
			t.Fatalf("provider %s: status %d, no redirect", res.Request.URL.Path, res.StatusCode)
		}
		return loc.String()
	}
	form := step(hc.Get(authURL))
	u, err := url.Parse(form)
	if err != nil || u.Path != "/login/username" {
		t.Fatalf("provider sent the browser to %q, not to its login form", form)
	}
	back := step(hc.PostForm(p.URL+"/login/username", url.Values{
		"id": {u.Query().Get("authRequestID")}, "username": {username}, "password": {password}}))
	back = step(hc.Get(back))
	if !strings.HasPrefix(back, gatehouse+"/") {
		t.Fatalf("provider sent the browser to %q, not back to Gatehouse", back)
	}
	return strings.TrimPrefix(back, gatehouse)
}
