package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// The flows a review of every page found wanting, each as a person meets it.

// focused describes the element that has the focus: its accessible name
// as far as the test needs it (aria-label, else text).
func (e *Env) focused() string {
	e.T.Helper()
	v, err := e.Page.Evaluate(`() => { const a = document.activeElement; return a ? (a.getAttribute('aria-label') || a.textContent || a.id || a.tagName).trim() : '' }`)
	if err != nil {
		e.T.Fatal(err)
	}
	return fmt.Sprint(v)
}

func (e *Env) press(key string) {
	e.T.Helper()
	if err := e.Page.Keyboard().Press(key); err != nil {
		e.T.Fatal(err)
	}
}

func box(t *testing.T, l playwright.Locator) *playwright.Rect {
	t.Helper()
	b, err := l.BoundingBox()
	if err != nil || b == nil {
		t.Fatalf("no box: %v", err)
	}
	return b
}

// Findings 2, 5, 6: a new string's notification sits above the table, takes
// the focus on Copy, copies the conda lines too, closes on Esc, and never
// shows a string that no longer works.
func TestTokenNotificationFollowsTheToken(t *testing.T) {
	e := NewEnv(t)
	tokenChannels(t, e.Srv)
	expectOK(t, e.Page.Context().GrantPermissions([]string{"clipboard-read", "clipboard-write"}), "clipboard")
	e.Login(tokenMember, modeltest.Password)
	e.openTokens()
	create := func(name string) {
		e.Click("button", "Generate Token")
		e.Fill("Name", name)
		e.Click("button", "Create")
		expectOK(t, expect.Locator(e.Page.GetByRole("dialog")).ToHaveCount(0), "dialog closes")
	}
	create("first")
	first := e.secret()
	if got := e.focused(); got != "Copy" {
		t.Fatalf("after Create the focus is on %q, want the notification's Copy button", got)
	}
	notes := e.Page.Locator("#token-notices")
	table := e.Page.GetByTestId("tokens-table")
	if n, tb := box(t, notes), box(t, table); n.Y+n.Height > tb.Y {
		t.Fatalf("the notification (y %.0f–%.0f) covers the table (from y %.0f)", n.Y, n.Y+n.Height, tb.Y)
	}
	conda := notes.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Copy conda line for alpha", Exact: playwright.Bool(true)})
	expectOK(t, conda.Click(), "copy the conda line")
	clip, err := e.Page.Evaluate("navigator.clipboard.readText()")
	if err != nil || clip != "conda config --add channels "+e.Srv.URL+"/t/"+first+"/api/repo/alpha" {
		t.Fatalf("clipboard after copying the conda line: %v %v", clip, err)
	}

	// A second token's notification joins the first (both strings work).
	create("second")
	expectOK(t, expect.Locator(notes.GetByTestId("token-secret")).ToHaveCount(2), "two live strings shown")

	// Re-issuing "first" replaces its string; the old one leaves the page.
	e.Click("button", "Edit first")
	expectOK(t, e.Page.GetByLabel("Issue a new token", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Check(), "check re-issue")
	e.Click("button", "Edit")
	expectOK(t, expect.Locator(notes).ToContainText("New string for token first"), "re-issued")
	if html, _ := e.Page.Content(); strings.Contains(html, first) {
		t.Fatal("the dead string of first is still on the page")
	}
	expectOK(t, expect.Locator(notes.GetByTestId("token-secret")).ToHaveCount(2), "the new string of first and the string of second")

	// Deleting "second" takes its string off the page too.
	second, _ := notes.GetByTestId("token-secret").Nth(1).TextContent()
	e.Click("button", "Delete Token second")
	e.Click("button", "Delete")
	expectOK(t, expect.Locator(notes).ToContainText("Token second deleted."), "deleted")
	if html, _ := e.Page.Content(); strings.Contains(html, strings.TrimSpace(second)) {
		t.Fatal("the deleted token's string is still on the page")
	}

	// Esc closes the notification that holds the focus, and the focus goes
	// back to Generate Token.
	expectOK(t, notes.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Copy", Exact: playwright.Bool(true)}).Focus(), "focus Copy")
	e.press("Escape")
	expectOK(t, expect.Locator(notes.GetByTestId("token-secret")).ToHaveCount(0), "Esc closes the notification")
	if got := e.focused(); got != "Generate Token" {
		t.Fatalf("after Esc the focus is on %q", got)
	}
}

// Finding 4: a skip link, a real menu button on a phone, and a closed
// drawer that takes no Tab stops.
func TestKeyboardReachesEverything(t *testing.T) {
	e := NewEnv(t)
	phone := e.TabWith(playwright.BrowserNewContextOptions{Viewport: &playwright.Size{Width: 390, Height: 844}, IsMobile: playwright.Bool(true), HasTouch: playwright.Bool(true)})
	phone.Login(handlertest.Admin, modeltest.Password)
	phone.Go("/channels")
	phone.press("Tab")
	if got := phone.focused(); got != "Skip to content" {
		t.Fatalf("the first Tab stop is %q, want the skip link", got)
	}
	phone.press("Tab")
	if got := phone.focused(); got != "Open navigation" {
		t.Fatalf("the second Tab stop is %q, want the menu button (the closed drawer takes none)", got)
	}
	phone.press("Enter")
	menu := phone.Role("button", "Open navigation")
	expectOK(t, expect.Locator(menu).ToHaveAttribute("aria-expanded", "true"), "the button says the drawer is open")
	teams := phone.Page.GetByRole("link", playwright.PageGetByRoleOptions{Name: "Teams", Exact: playwright.Bool(true)})
	expectOK(t, expect.Locator(teams).ToBeInViewport(), "the drawer is on screen")
	phone.press("Escape")
	expectOK(t, expect.Locator(teams).Not().ToBeInViewport(), "Esc closes the drawer")
	if got := phone.focused(); got != "Open navigation" {
		t.Fatalf("after Esc the focus is on %q", got)
	}

	// The skip link takes the keyboard past the navigation on a desktop.
	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/channels")
	e.press("Tab")
	e.press("Enter")
	if got, _ := e.Page.Evaluate("document.activeElement.id"); got != "main" {
		t.Fatalf("the skip link moved the focus to %v", got)
	}
}

// Findings 5, 6, 8, 9, 10, 11, 13: the catalog page and the Builder.
func TestCatalogPageAndBuilder(t *testing.T) {
	e := NewEnv(t)
	seedCatalog(e)
	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/pages/services")

	// The title appears once; the table comes first, filters folded away.
	expectOK(t, expect.Locator(e.Page.GetByText("Services", playwright.PageGetByTextOptions{Exact: playwright.Bool(true)}).And(e.Page.Locator("main *"))).ToHaveCount(0), "no second title in the page body")
	expectOK(t, expect.Locator(e.Page.GetByRole("heading", playwright.PageGetByRoleOptions{Level: playwright.Int(1)})).ToHaveText("Services"), "the title in the header")
	bar := e.Page.GetByTestId("view-controls")
	expectOK(t, expect.Locator(bar).Not().ToHaveAttribute("open", ""), "filters folded without a filter")
	expectOK(t, expect.Locator(e.Page.GetByLabel("Filter Name", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeHidden(), "filter fields out of the way")
	e.Go("/pages/services?view=1&f.name=pkg00000&show=name&show=version")
	expectOK(t, expect.Locator(bar).ToHaveAttribute("open", ""), "open while a filter is set")

	// The ⋯ menu closes on Esc.
	e.Click("button", "Page menu")
	lock := e.Role("button", "Lock page")
	expectOK(t, expect.Locator(lock).ToBeVisible(), "menu open")
	e.press("Escape")
	expectOK(t, expect.Locator(lock).ToBeHidden(), "Esc closes the menu")

	// Lock and Permissions → Done say what they did.
	e.Click("button", "Page menu")
	e.Click("button", "Lock page")
	e.See("Services is locked: viewers see the saved view.")
	d := e.permissionsDialog()
	expectOK(t, expect.Locator(d).ToHaveAccessibleName("Permissions of Services"), "the dialog names its page")
	expectOK(t, button(d, "Done").Click(), "Done")
	e.See("Permissions of Services saved.")

	// Three icons, three meanings: the logo, the lock and the "shield" page icon.
	icon := func(l playwright.Locator) string {
		d, err := l.Locator("svg path").First().GetAttribute("d")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	logo := icon(e.Page.Locator("#sidebar"))
	locked := icon(e.Page.GetByTestId("page-locked"))
	e.Go("/builder")
	e.Click("button", "New page")
	shield := icon(e.Page.Locator("label[title=Shield]"))
	if logo == locked || logo == shield || locked == shield {
		t.Fatal("the logo, the lock indicator and the shield icon are not three different icons")
	}

	// The Builder: words for operators, the identifier from the title, as
	// many filter rows as wanted, icons shown as icons.
	dlg := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "New page"})
	op := dlg.GetByLabel("Filter 1 operator", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)})
	expectOK(t, expect.Locator(op.Locator("option")).ToHaveText([]string{"contains", "equals", "starts with"}), "operators in words")
	expectOK(t, dlg.GetByLabel("Title", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).Fill("Nightly Builds: Ünicode!"), "type a title")
	expectOK(t, expect.Locator(dlg.GetByLabel("Identifier", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)})).ToHaveValue("nightly-builds-unicode"), "identifier from the title")
	for range 3 {
		expectOK(t, button(dlg, "Add filter").Click(), "add a filter row")
	}
	expectOK(t, expect.Locator(dlg.GetByLabel("Filter 4 value", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeVisible(), "a fourth filter row")
	if _, err := dlg.GetByLabel("Filter 4 column", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).SelectOption(playwright.SelectOptionValues{Values: &[]string{"subdir"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := dlg.GetByLabel("Filter 4 operator", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"equals"}}); err != nil {
		t.Fatal(err)
	}
	expectOK(t, dlg.GetByLabel("Filter 4 value", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).Fill("noarch"), "fill the fourth")
	expectOK(t, e.Role("radio", "Shield").Check(), "pick the shield icon")
	e.Click("button", "Create page")
	e.AtPath("/pages/nightly-builds-unicode")
	e.See("Page Nightly Builds: Ünicode! created")
	var got struct {
		Page struct {
			Icon    string
			Widgets []access.Widget
		}
	}
	e.Srv.AsAdmin().Get("/v1/pages/nightly-builds-unicode").JSON(t, &got)
	if got.Page.Icon != "shield" || len(got.Page.Widgets) != 1 || len(got.Page.Widgets[0].Filters) != 1 || got.Page.Widgets[0].Filters[0].Op != access.OpEq {
		t.Fatalf("page saved as %+v", got.Page)
	}
}

// Findings 7, 8, 15: searching the lists, part of an email in the audit
// log, a date range the wrong way round, times in the viewer's own zone,
// and date errors tied to their field.
func TestSearchFiltersAndTimes(t *testing.T) {
	e := NewEnv(t)
	tokenChannels(t, e.Srv)
	for name, days := range map[string]int{"soon": 3, "later": 100} {
		mustToken(t, e.Srv, tokenMember, name, days)
	}
	tokyo := e.TabWith(playwright.BrowserNewContextOptions{TimezoneId: playwright.String("Asia/Tokyo"), Locale: playwright.String("en-GB")})
	tokyo.Login(tokenMember, modeltest.Password)
	tokyo.Go("/tokens")
	rows := tokyo.Page.GetByTestId("tokens-table").Locator("tr[data-token]")
	expectOK(t, expect.Locator(rows).ToHaveCount(2), "two tokens")
	if _, err := tokyo.Page.GetByLabel("Expiry", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).SelectOption(playwright.SelectOptionValues{Values: &[]string{"7d"}}); err != nil {
		t.Fatal(err)
	}
	expectOK(t, expect.Locator(rows).ToHaveCount(1), "the Expiry filter applies at once")
	expectOK(t, expect.Locator(rows.First()).ToContainText("Expires in 3 days"), "the one expiring")
	created := rows.First().Locator("time").First()
	expectOK(t, expect.Locator(created).ToHaveAttribute("title", regexpOf(`GMT\+9|JST`)), "hovering shows the time in the viewer's zone")
	tokyo.Fill("Search tokens", "LAT")
	tokyo.Click("button", "Filter")
	expectOK(t, expect.Locator(rows).ToHaveCount(0), "search and filter together")
	tokyo.Click("link", "Clear")
	expectOK(t, expect.Locator(rows).ToHaveCount(2), "cleared")

	// A date in the past is refused beside its field.
	tokyo.Click("button", "Generate Token")
	tokyo.Fill("Name", "old")
	tokyo.Fill("Expiration date", "2020-01-01")
	tokyo.Click("button", "Create")
	date := tokyo.Page.GetByLabel("Expiration date", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
	expectOK(t, expect.Locator(date).ToHaveAttribute("aria-invalid", "true"), "the date is marked invalid")
	expectOK(t, expect.Locator(date).ToHaveAccessibleDescription(regexpOf("in the past")), "and described by its error")

	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/audit-log")
	e.Fill("Actor", "M@EXAMPLE")
	e.Click("button", "Filter")
	audit := e.Page.GetByTestId("audit-table").Locator("tbody tr")
	expectOK(t, expect.Locator(audit.First()).ToContainText(tokenMember), "part of an email finds its events")
	e.Fill("Actor", "")
	e.Fill("From", "2025-03-10")
	e.Fill("Until", "2025-03-01")
	e.Click("button", "Filter")
	until := e.Page.GetByLabel("Until", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
	expectOK(t, expect.Locator(until).ToHaveAttribute("aria-invalid", "true"), "the inverted range is marked on Until")
	expectOK(t, expect.Locator(until).ToHaveAccessibleDescription(regexpOf("Until is before From")), "and says so")
}

// Finding 12: the Scopes form searches, describes each scope, selects a
// whole category, and shows what the person cannot grant disabled, with
// the reason; a Permission above what they hold on a channel likewise.
func TestScopesForm(t *testing.T) {
	e := NewEnv(t)
	tokenChannels(t, e.Srv)
	e.Login(tokenMember, modeltest.Password)
	e.openTokens()
	e.Click("button", "Generate Token")
	perm := e.Role("combobox", "Permission")
	manage := perm.Locator("option[value=manage]")
	expectOK(t, expect.Locator(manage).ToHaveJSProperty("disabled", true), "manage on a channel read only is disabled")
	expectOK(t, expect.Locator(manage).ToHaveText("Manage (you hold read)"), "and says why")
	selectLabel(t, e.Page.GetByLabel("Type", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}), "Scopes")
	audit := e.Page.GetByLabel("audit:view", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
	expectOK(t, expect.Locator(audit).ToBeDisabled(), "an admin scope is disabled for a member")
	expectOK(t, expect.Locator(audit).ToHaveAccessibleDescription(regexpOf("Read the audit log.*You cannot grant it: needs the Admin role")), "with its description and the reason")
	e.Fill("Search scopes", "download")
	expectOK(t, expect.Locator(e.Page.GetByLabel("artifact:download", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeVisible(), "a match stays")
	expectOK(t, expect.Locator(e.Page.GetByLabel("channel:view", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeHidden(), "the rest hide")
	e.Fill("Search scopes", "")
	expectOK(t, e.Page.GetByLabel("Select all Artifacts scopes", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Check(), "select all Artifacts")
	for _, s := range []string{"artifact:download", "artifact:view"} {
		expectOK(t, expect.Locator(e.Page.GetByLabel(s, playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeChecked(), s+" checked")
	}
	expectOK(t, expect.Locator(e.Page.GetByLabel("artifact:delete", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).Not().ToBeChecked(), "a scope beyond the member stays unchecked")
	e.Fill("Name", "all-artifacts")
	e.Click("button", "Create")
	expectOK(t, expect.Locator(e.Page.GetByRole("dialog")).ToHaveCount(0), "created without a 422")
	row := e.Page.GetByTestId("tokens-table").Locator(`tr[data-token="all-artifacts"]`)
	expectOK(t, expect.Locator(row).ToContainText("artifact:view"), "the grantable scopes were granted")
}

// Who has access, from the Permissions dialog, searchable; and a leaked
// token reported from outside shows its owner a notice until dismissed.
func TestWhoHasAccessAndLeakedNotice(t *testing.T) {
	e := NewEnv(t)
	seedCatalog(e)
	ctx := t.Context()
	modeltest.MustUser(t, e.Srv.Store, "ann@example.com", access.RoleMember)
	if _, err := e.Srv.Store.CreateRole(ctx, "Guest"); err != nil {
		t.Fatal(err)
	}
	modeltest.MustUser(t, e.Srv.Store, "bob@example.com", "Guest")
	team, err := e.Srv.Store.CreateTeam(ctx, "Platform", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Srv.Store.SetTeamMembers(ctx, team.ID, []string{"bob@example.com"}); err != nil {
		t.Fatal(err)
	}
	if r := e.Srv.AsAdmin().SendJSON("PATCH", "/v1/pages/services/permissions", map[string]any{"read": map[string]any{"teams": []string{"Platform"}, "roles": []string{"Member"}}}); r.StatusCode != http.StatusOK {
		t.Fatal(r.Body)
	}
	secret := mustToken(t, e.Srv, "ann@example.com", "laptop", 90)

	e.Login("ann@example.com", modeltest.Password)
	e.Go("/pages/services")
	d := e.permissionsDialog()
	expectOK(t, button(d, "Who has access").Click(), "open Who has access")
	who := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "Who has access to Services"})
	expectOK(t, expect.Locator(who).ToBeVisible(), "the Access view")
	people := who.GetByTestId("access-people").Locator("li")
	expectOK(t, expect.Locator(people).ToHaveCount(3), "admin, ann (role) and bob (team)")
	expectOK(t, who.GetByLabel("Search by email, role or team").Fill("platform"), "search")
	expectOK(t, expect.Locator(people).ToHaveCount(1), "the search narrows as one types")
	expectOK(t, expect.Locator(people.First()).ToContainText("bob@example.com"), "bob")
	expectOK(t, expect.Locator(people.First()).ToContainText("Team"), "through his team")

	// Someone reports the string; nothing about it comes back.
	res, err := http.Post(e.Srv.URL+"/api/tokens/revoke", "application/json", strings.NewReader(`{"tokens":["`+secret+`"]}`))
	if err != nil || res.StatusCode != http.StatusAccepted {
		t.Fatalf("report: %v %v", res, err)
	}
	res.Body.Close()
	e.Go("/channels")
	alert := e.Page.GetByTestId("alerts").Locator("[data-alert]").Filter(playwright.LocatorFilterOptions{HasText: "reported as leaked"})
	expectOK(t, expect.Locator(alert).ToContainText("Your token laptop was revoked"), "ann is told on her next page")
	e.Go("/tokens")
	expectOK(t, expect.Locator(alert).ToBeVisible(), "and on every page")
	expectOK(t, alert.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Dismiss"}).Click(), "dismiss")
	expectOK(t, expect.Locator(alert).ToHaveCount(0), "gone at once")
	e.Go("/")
	expectOK(t, expect.Locator(alert).ToHaveCount(0), "and for good")
}

// mustToken creates a scope token for email that lasts days.
func mustToken(t *testing.T, srv *handlertest.Server, email, name string, days int) string {
	t.Helper()
	res := srv.Login(email).SendJSON("POST", "/api/tokens", map[string]any{"name": name, "expires_at": time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly), "scopes": []string{"artifact:download"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("token %s: %d %s", name, res.StatusCode, res.Body)
	}
	var out struct{ Token struct{ Secret string } }
	res.JSON(t, &out)
	return out.Token.Secret
}

func regexpOf(s string) *regexp.Regexp { return regexp.MustCompile(s) }
