package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/modeltest"
)

const tokenMember = "m@example.com"

// tokenChannels makes the private channels alpha, beta and gamma and lets
// the member read all three.
func tokenChannels(t *testing.T, srv *handlertest.Server) {
	t.Helper()
	modeltest.MustUser(t, srv.Store, tokenMember)
	adm := srv.AsAdmin()
	for _, name := range []string{"alpha", "beta", "gamma"} {
		if res := adm.SendJSON("POST", "/api/channels", map[string]any{"name": name, "privacy": "private"}); res.StatusCode != http.StatusCreated {
			t.Fatalf("create channel %s: %d %s", name, res.StatusCode, res.Body)
		}
		res := adm.SendJSON("PATCH", "/api/channels/"+name+"/permissions", map[string]any{"read": map[string]any{"users": []string{tokenMember}}})
		if res.StatusCode != http.StatusOK {
			t.Fatalf("grant read on %s: %d %s", name, res.StatusCode, res.Body)
		}
	}
}

// repodata fetches a channel's noarch repodata.json, with the token in the
// path when tok is not empty, and returns the status and body.
func repodata(t *testing.T, srv *handlertest.Server, tok, channel string) (int, string) {
	t.Helper()
	u := srv.URL
	if tok != "" {
		u += "/t/" + tok
	}
	res, err := http.Get(u + "/api/repo/" + channel + "/noarch/repodata.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// mustFetch asserts that the token fetches channel's repodata: 200 with an
// "info" object.
func mustFetch(t *testing.T, srv *handlertest.Server, tok, channel string) {
	t.Helper()
	status, body := repodata(t, srv, tok, channel)
	if status != http.StatusOK {
		t.Fatalf("repodata of %s with the token: status %d, want 200: %s", channel, status, body)
	}
	var rd map[string]any
	if err := json.Unmarshal([]byte(body), &rd); err != nil {
		t.Fatalf("repodata of %s is not JSON: %v", channel, err)
	}
	if _, ok := rd["info"]; !ok {
		t.Fatalf("repodata of %s has no info: %s", channel, body)
	}
}

// mustRefuse asserts that fetching channel's repodata with tok gets want.
func mustRefuse(t *testing.T, srv *handlertest.Server, tok, channel string, want int) {
	t.Helper()
	if status, body := repodata(t, srv, tok, channel); status != want {
		t.Fatalf("repodata of %s: status %d, want %d: %s", channel, status, want, body)
	}
}

// expectOK fails the test with msg when an assertion failed.
func expectOK(t *testing.T, err error, msg string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
}

// openTokens goes home and follows Tokens in the left-hand navigation.
func (e *Env) openTokens() {
	e.T.Helper()
	e.Go("/")
	nav := e.Page.GetByRole("navigation", playwright.PageGetByRoleOptions{Name: "Left-hand navigation"})
	if err := nav.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Tokens", Exact: playwright.Bool(true)}).Click(); err != nil {
		e.T.Fatalf("click Tokens in the navigation: %v", err)
	}
	e.AtPath("/tokens")
}

// selectLabel picks the option with this label in a select.
func selectLabel(t *testing.T, l playwright.Locator, label string) {
	t.Helper()
	if _, err := l.SelectOption(playwright.SelectOptionValues{Labels: &[]string{label}}); err != nil {
		t.Fatalf("select %q: %v", label, err)
	}
}

// secret waits for the one token string in the notification area and returns it.
func (e *Env) secret() string {
	e.T.Helper()
	box := e.Page.Locator("#token-notices").GetByTestId("token-secret")
	expectOK(e.T, expect.Locator(box).ToHaveCount(1), "one token string in the notifications")
	expectOK(e.T, expect.Locator(box).ToBeVisible(), "token string visible")
	s, err := box.TextContent()
	if err != nil {
		e.T.Fatal(err)
	}
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "gth_") {
		e.T.Fatalf("token string %q lacks the gth_ prefix", s)
	}
	return s
}

// A member generates a resource token for two channels, uses it from
// outside the browser, edits it, re-issues it and deletes it.
func TestTokenResourceLifecycle(t *testing.T) {
	e := NewEnv(t)
	tokenChannels(t, e.Srv)
	if err := e.Page.Context().GrantPermissions([]string{"clipboard-read", "clipboard-write"}); err != nil {
		t.Fatal(err)
	}
	e.Login(tokenMember, modeltest.Password)
	e.AtPath("/")
	e.openTokens()
	e.See("No tokens yet.")

	e.Click("button", "Generate Token")
	dialog := e.Page.GetByRole("dialog")
	expectOK(t, expect.Locator(dialog).ToBeVisible(), "Generate Token dialog")
	e.Fill("Name", "laptop")
	e.Fill("Expiration date", time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly))
	expectOK(t, expect.Locator(e.Page.GetByLabel("Type", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToHaveValue("resources"), "Type defaults to Resources")
	// A label wrapping a select: its accessible name is the label's text.
	channel := e.Role("combobox", "Channel")
	permission := e.Role("combobox", "Permission")
	expectOK(t, expect.Locator(channel).ToHaveCount(1), "one resource row")
	selectLabel(t, channel.Nth(0), "alpha")
	e.Click("button", "Add Resource")
	expectOK(t, expect.Locator(channel).ToHaveCount(2), "Add Resource adds a row")
	selectLabel(t, channel.Nth(1), "beta")
	selectLabel(t, permission.Nth(1), "Read")
	e.Fill("Description", "conda on my laptop")
	e.Click("button", "Create")

	expectOK(t, expect.Locator(dialog).ToHaveCount(0), "dialog closes after Create")
	notes := e.Page.Locator("#token-notices")
	expectOK(t, expect.Locator(notes).ToContainText("Token laptop created"), "created notification")
	expectOK(t, expect.Locator(notes).ToContainText("shown only once"), "shown-once warning")
	first := e.secret()
	conda := notes.GetByTestId("conda-line")
	expectOK(t, expect.Locator(conda).ToHaveCount(2), "a conda line per channel")
	expectOK(t, expect.Locator(conda.Nth(0)).ToHaveText("conda config --add channels "+e.Srv.URL+"/t/"+first+"/api/repo/alpha"), "conda line for alpha")
	expectOK(t, expect.Locator(conda.Nth(1)).ToHaveText("conda config --add channels "+e.Srv.URL+"/t/"+first+"/api/repo/beta"), "conda line for beta")
	copyBtn := notes.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Copy", Exact: playwright.Bool(true)})
	expectOK(t, expect.Locator(copyBtn).ToBeVisible(), "Copy button")
	if err := copyBtn.Click(); err != nil {
		t.Fatal(err)
	}
	expectOK(t, expect.Locator(notes.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Copied", Exact: playwright.Bool(true)})).ToBeVisible(), "Copy says Copied")
	clip, err := e.Page.Evaluate("navigator.clipboard.readText()")
	if err != nil {
		t.Fatal(err)
	}
	if clip != first {
		t.Fatalf("clipboard holds %q, want the token string", clip)
	}

	row := e.Page.GetByTestId("tokens-table").Locator(`tr[data-token="laptop"]`)
	expectOK(t, expect.Locator(row).ToContainText("…"+first[len(first)-4:]), "row shows the hint")
	expectOK(t, expect.Locator(row).ToContainText("Resources"), "row shows the type")
	expectOK(t, expect.Locator(row).ToContainText("alpha: read"), "row grants alpha")
	expectOK(t, expect.Locator(row).ToContainText("beta: read"), "row grants beta")
	expectOK(t, expect.Locator(row).ToContainText("Never"), "not used yet")

	// The string works for conda; nothing else does.
	mustFetch(t, e.Srv, first, "alpha")
	mustFetch(t, e.Srv, first, "beta")
	mustRefuse(t, e.Srv, first, "gamma", http.StatusNotFound) // the member reads gamma, the token does not
	mustRefuse(t, e.Srv, "", "alpha", http.StatusNotFound)
	mustRefuse(t, e.Srv, "gth_not-a-real-token", "alpha", http.StatusUnauthorized)

	// Gone once the member navigates away; only the hint remains. (Last
	// use is batched in memory; flush it rather than wait for the ticker.)
	if err := e.Srv.Store.FlushTokenUse(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.openTokens()
	expectOK(t, expect.Locator(e.Page.GetByTestId("token-secret")).ToHaveCount(0), "string gone after navigating away")
	html, err := e.Page.Content()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, first) {
		t.Fatal("the token string is shown a second time")
	}
	expectOK(t, expect.Locator(row).ToBeVisible(), "token listed")
	expectOK(t, expect.Locator(row).Not().ToContainText("Never"), "last use recorded")

	// Edit without re-issue: the string keeps working.
	e.Click("button", "Edit laptop")
	expectOK(t, expect.Locator(dialog).ToBeVisible(), "Edit dialog")
	warning := dialog.GetByRole("alert")
	expectOK(t, expect.Locator(warning).ToBeHidden(), "no warning before Issue a new token is checked")
	reissue := e.Page.GetByLabel("Issue a new token", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
	expectOK(t, reissue.Check(), "check Issue a new token")
	expectOK(t, expect.Locator(warning).ToBeVisible(), "warning shown")
	expectOK(t, expect.Locator(warning).ToContainText("current string stops working"), "warning text")
	expectOK(t, reissue.Uncheck(), "uncheck Issue a new token")
	expectOK(t, expect.Locator(warning).ToBeHidden(), "warning hidden again")
	e.Fill("Description", "conda on the old laptop")
	e.Click("button", "Edit")
	expectOK(t, expect.Locator(dialog).ToHaveCount(0), "dialog closes after Edit")
	expectOK(t, expect.Locator(notes).ToContainText("Token laptop saved."), "saved notification")
	expectOK(t, expect.Locator(e.Page.GetByTestId("token-secret")).ToHaveCount(0), "no new string without re-issue")
	expectOK(t, expect.Locator(row).ToContainText("conda on the old laptop"), "description changed")
	mustFetch(t, e.Srv, first, "alpha")

	// Re-issue: the old string fails at once, the new one works.
	e.Click("button", "Edit laptop")
	expectOK(t, expect.Locator(dialog).ToBeVisible(), "Edit dialog")
	expectOK(t, reissue.Check(), "check Issue a new token")
	expectOK(t, expect.Locator(warning).ToBeVisible(), "warning shown")
	e.Click("button", "Edit")
	expectOK(t, expect.Locator(dialog).ToHaveCount(0), "dialog closes after re-issue")
	expectOK(t, expect.Locator(notes).ToContainText("New string for token laptop"), "re-issued notification")
	second := e.secret()
	if second == first {
		t.Fatal("re-issue kept the same string")
	}
	expectOK(t, expect.Locator(notes.GetByTestId("conda-line").First()).ToContainText("/t/"+second+"/api/repo/alpha"), "conda line with the new string")
	mustRefuse(t, e.Srv, first, "alpha", http.StatusUnauthorized)
	mustFetch(t, e.Srv, second, "alpha")

	// Delete: confirm, then the string fails.
	e.Click("button", "Delete Token laptop")
	confirm := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "Delete Token laptop"})
	expectOK(t, expect.Locator(confirm).ToBeVisible(), "Delete Token dialog")
	expectOK(t, expect.Locator(confirm).ToContainText("cannot be undone"), "delete warning")
	e.Click("button", "Delete")
	expectOK(t, expect.Locator(confirm).ToHaveCount(0), "dialog closes after Delete")
	expectOK(t, expect.Locator(notes).ToContainText("Token laptop deleted."), "deleted notification")
	expectOK(t, expect.Locator(row).ToHaveCount(0), "row gone")
	e.See("No tokens yet.")
	mustRefuse(t, e.Srv, second, "alpha", http.StatusUnauthorized)
}

// A scope token: Type switches the fields to the scope list; the string is
// shown once without a conda line and downloads what its scope allows.
func TestTokenScope(t *testing.T) {
	e := NewEnv(t)
	tokenChannels(t, e.Srv)
	e.Login(tokenMember, modeltest.Password)
	e.AtPath("/")
	e.openTokens()

	e.Click("button", "Generate Token")
	dialog := e.Page.GetByRole("dialog")
	expectOK(t, expect.Locator(dialog).ToBeVisible(), "Generate Token dialog")
	e.Fill("Name", "ci")
	e.Fill("Expiration date", time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly))
	selectLabel(t, e.Page.GetByLabel("Type", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}), "Scopes")
	expectOK(t, expect.Locator(e.Role("button", "Add Resource")).ToHaveCount(0), "resource fields leave with Type Scopes")
	expectOK(t, expect.Locator(e.Role("combobox", "Channel")).ToHaveCount(0), "no Channel field for scopes")
	expectOK(t, e.Page.GetByLabel("artifact:download", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Check(), "check artifact:download")
	e.Click("button", "Create")

	expectOK(t, expect.Locator(dialog).ToHaveCount(0), "dialog closes after Create")
	notes := e.Page.Locator("#token-notices")
	expectOK(t, expect.Locator(notes).ToContainText("Token ci created"), "created notification")
	secret := e.secret()
	expectOK(t, expect.Locator(notes.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Copy", Exact: playwright.Bool(true)})).ToBeVisible(), "Copy button")
	expectOK(t, expect.Locator(notes.GetByTestId("conda-line")).ToHaveCount(0), "no conda line for a scope token")
	row := e.Page.GetByTestId("tokens-table").Locator(`tr[data-token="ci"]`)
	expectOK(t, expect.Locator(row).ToContainText("Scopes"), "row shows the type")
	expectOK(t, expect.Locator(row).ToContainText("artifact:download"), "row shows the scope")
	expectOK(t, expect.Locator(row).ToContainText("Expires in 5 days"), "five days left is marked")

	// artifact:download reaches every channel the member reads.
	mustFetch(t, e.Srv, secret, "alpha")
	mustFetch(t, e.Srv, secret, "gamma")

	// Closing the notification removes the string for good.
	expectOK(t, notes.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Close notification"}).First().Click(), "close notification")
	expectOK(t, expect.Locator(e.Page.GetByTestId("token-secret")).ToHaveCount(0), "string gone after closing")
	e.Go("/tokens")
	expectOK(t, expect.Locator(row).ToBeVisible(), "token listed")
	expectOK(t, expect.Locator(e.Page.GetByTestId("token-secret")).ToHaveCount(0), "string not shown again")
}
