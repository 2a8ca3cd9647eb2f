package e2e

import (
	"net/http"
	"testing"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// seedCatalog makes a public channel "alpha" with five artifacts and a
// catalog page "services" (title "Services") showing them; new pages may be
// read by Admin and Member.
func seedCatalog(e *Env) {
	e.T.Helper()
	admin := e.Srv.AsAdmin()
	if res := admin.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "alpha", "privacy": "public"}); res.StatusCode != http.StatusCreated {
		e.T.Fatalf("create channel: %d %s", res.StatusCode, res.Body)
	}
	ctx := e.T.Context()
	ch, err := e.Srv.Store.ChannelByName(ctx, "alpha")
	if err != nil {
		e.T.Fatal(err)
	}
	if err := modeltest.SeedArtifacts(ctx, e.Srv.Store, ch, "noarch", 5); err != nil {
		e.T.Fatal(err)
	}
	res := admin.SendJSON(http.MethodPost, "/v1/pages", map[string]any{
		"identifier": "services", "title": "Services", "icon": "page",
		"widgets": []map[string]any{{"type": "table", "kind": "artifacts"}},
	})
	if res.StatusCode != http.StatusCreated {
		e.T.Fatalf("create page: %d %s", res.StatusCode, res.Body)
	}
}

// openFilters unfolds a catalog page's filter bar.
func (e *Env) openFilters() {
	e.T.Helper()
	bar := e.Page.GetByTestId("view-controls")
	if open, _ := bar.GetAttribute("open"); open != "" {
		return
	}
	if err := bar.Locator("summary").Click(); err != nil {
		e.T.Fatalf("open the filters: %v", err)
	}
}

// navPage is the page's link in the Catalog section of the navigation.
func (e *Env) navPage(title string) playwright.Locator {
	return e.Page.GetByTestId("nav-pages").GetByRole("link", playwright.LocatorGetByRoleOptions{Name: title, Exact: playwright.Bool(true)})
}

// permissionsDialog opens the Permissions dialog of the page on screen.
func (e *Env) permissionsDialog() playwright.Locator {
	e.T.Helper()
	e.Click("button", "Permissions")
	d := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "Permissions"})
	if err := expect.Locator(d).ToBeVisible(); err != nil {
		e.T.Fatalf("the Permissions dialog did not open: %v", err)
	}
	return d
}

// readers is the dialog's list of who may read the page.
func readers(d playwright.Locator) playwright.Locator {
	return d.GetByRole("list", playwright.LocatorGetByRoleOptions{Name: "Who has Read", Exact: playwright.Bool(true)})
}

func button(l playwright.Locator, name string) playwright.Locator {
	return l.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: name, Exact: playwright.Bool(true)})
}

// An admin restricts a page to a team in the picker; a member outside the
// team loses it (nav and URL, 404); a member of the team keeps it and sees
// the permissions read-only.
func TestPagePermissionsRestrictToTeam(t *testing.T) {
	e := NewEnv(t)
	ctx := t.Context()
	seedCatalog(e)
	modeltest.MustUser(t, e.Srv.Store, "alice@example.com", access.RoleMember)
	modeltest.MustUser(t, e.Srv.Store, "bob@example.com", access.RoleMember)
	modeltest.MustUser(t, e.Srv.Store, "carol@example.com", access.RoleMember)
	team, err := e.Srv.Store.CreateTeam(ctx, "Platform", "Runs the platform")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Srv.Store.SetTeamMembers(ctx, team.ID, []string{"alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Srv.Store.CreateTeam(ctx, "Data", "Crunches numbers"); err != nil {
		t.Fatal(err)
	}

	// Before the change bob, a plain member, sees the page.
	bob := e.Tab()
	bob.Login("bob@example.com", modeltest.Password)
	bob.AtPath("/")
	if err := expect.Locator(bob.navPage("Services")).ToBeVisible(); err != nil {
		t.Fatalf("a member should see a new page in the navigation: %v", err)
	}

	e.Login(handlertest.Admin, modeltest.Password)
	if err := e.navPage("Services").Click(); err != nil {
		t.Fatal(err)
	}
	e.AtPath("/pages/services")
	d := e.permissionsDialog()
	list := readers(d)
	for _, name := range []string{"Admin", "Member"} {
		if err := expect.Locator(button(list, "Remove "+name)).ToBeVisible(); err != nil {
			t.Fatalf("new pages are read by %s: %v", name, err)
		}
	}

	// The search narrows the options.
	if err := d.GetByLabel("Search people, teams and roles", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).Fill("plat"); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(button(d, "Add Platform")).ToBeVisible(); err != nil {
		t.Fatal(err)
	}
	for _, hidden := range []string{"Add Data", "Add bob@example.com", "Add Member"} {
		if err := expect.Locator(button(d, hidden)).ToBeHidden(); err != nil {
			t.Fatalf("%q should be filtered out: %v", hidden, err)
		}
	}
	if err := button(d, "Add Platform").Click(); err != nil {
		t.Fatal(err)
	}
	if err := button(d, "Add Platform").Click(); err != nil { // twice adds it once
		t.Fatal(err)
	}
	if err := expect.Locator(button(list, "Remove Platform")).ToHaveCount(1); err != nil {
		t.Fatal(err)
	}

	// Add a user and take them out again; take Member out.
	if err := d.GetByLabel("Search people, teams and roles", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).Fill("carol"); err != nil {
		t.Fatal(err)
	}
	if err := button(d, "Add carol@example.com").Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(list.GetByText("carol@example.com")).ToBeVisible(); err != nil {
		t.Fatal(err)
	}
	if err := button(list, "Remove carol@example.com").Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(list.GetByText("carol@example.com")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	if err := button(list, "Remove Member").Click(); err != nil {
		t.Fatal(err)
	}
	if err := button(d, "Done").Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(d).ToHaveCount(0); err != nil {
		t.Fatalf("Done should close the dialog: %v", err)
	}
	e.AtPath("/pages/services")

	var got struct {
		Permissions struct {
			Read access.Grants `json:"read"`
		} `json:"permissions"`
	}
	e.Srv.AsAdmin().Get("/v1/pages/services/permissions").JSON(t, &got)
	r := got.Permissions.Read
	if len(r.Roles) != 1 || r.Roles[0] != "Admin" || len(r.Teams) != 1 || r.Teams[0] != "Platform" || len(r.Users) != 0 {
		t.Fatalf("read after Done = %+v, want roles [Admin], teams [Platform], no users", r)
	}

	// Reopening shows what was saved.
	d = e.permissionsDialog()
	list = readers(d)
	if err := expect.Locator(list.Locator("[data-picker-chip]")).ToHaveCount(2); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(button(list, "Remove Platform")).ToBeVisible(); err != nil {
		t.Fatal(err)
	}

	// Bob, outside the team, no longer sees it, and its URL is a 404.
	bob.Go("/")
	if err := expect.Locator(bob.navPage("Services")).ToHaveCount(0); err != nil {
		t.Fatalf("bob should not see the page in the navigation: %v", err)
	}
	res, err := bob.Page.Goto("/pages/services")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status() != http.StatusNotFound {
		t.Fatalf("bob at /pages/services: status %d, want 404", res.Status())
	}
	errPage := bob.Page.GetByTestId("error-page")
	if err := expect.Locator(errPage).ToContainText("404"); err != nil {
		t.Fatal(err)
	}
	bob.NotSee("Permissions")

	// Alice, in the team, sees it and its permissions, without edit controls.
	alice := e.Tab()
	alice.Login("alice@example.com", modeltest.Password)
	alice.AtPath("/")
	if err := alice.navPage("Services").Click(); err != nil {
		t.Fatal(err)
	}
	alice.AtPath("/pages/services")
	if err := expect.Locator(alice.Page.GetByTestId("catalog-table").GetByRole("row")).ToHaveCount(6); err != nil { // header + 5
		t.Fatal(err)
	}
	if err := expect.Locator(alice.Role("button", "Page menu")).ToHaveCount(0); err != nil {
		t.Fatalf("members have no page menu: %v", err)
	}
	ad := alice.permissionsDialog()
	alist := readers(ad)
	for _, name := range []string{"Admin", "Platform"} {
		if err := expect.Locator(alist.GetByText(name, playwright.LocatorGetByTextOptions{Exact: playwright.Bool(true)})).ToBeVisible(); err != nil {
			t.Fatalf("alice should see %s among the readers: %v", name, err)
		}
	}
	for _, l := range []playwright.Locator{
		button(ad, "Done"),
		button(ad, "Remove Platform"),
		button(ad, "Add Member"),
		ad.GetByLabel("Search people, teams and roles"),
	} {
		if err := expect.Locator(l).ToHaveCount(0); err != nil {
			t.Fatalf("members get no edit controls: %v", err)
		}
	}
	if err := button(ad, "Close").Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(ad).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}

	// A member posting the picker anyway is refused and nothing changes.
	if res := e.Srv.Login("alice@example.com").SendJSON(http.MethodPatch, "/v1/pages/services/permissions", map[string]any{"read": map[string]any{"roles": []string{"Admin", "Member"}}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member PATCH permissions: %d, want 403", res.StatusCode)
	}
}

// Any member opens Permissions on an ordinary page and sees the list
// read-only.
func TestPagePermissionsReadOnlyForMembers(t *testing.T) {
	e := NewEnv(t)
	seedCatalog(e)
	modeltest.MustUser(t, e.Srv.Store, "bob@example.com", access.RoleMember)
	e.Login("bob@example.com", modeltest.Password)
	e.Go("/pages/services")
	d := e.permissionsDialog()
	list := readers(d)
	for _, name := range []string{"Admin", "Member"} {
		if err := expect.Locator(list.GetByText(name, playwright.LocatorGetByTextOptions{Exact: playwright.Bool(true)})).ToBeVisible(); err != nil {
			t.Fatalf("bob should see %s among the readers: %v", name, err)
		}
	}
	if err := expect.Locator(d.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Remove"})).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(d.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Add"})).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(button(d, "Done")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}

	// Without htmx (a new tab at the dialog's URL) it is the same list.
	e.Go("/pages/services/permissions")
	if err := expect.Locator(readers(e.Page.Locator("body"))).ToContainText("Member"); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(e.Role("button", "Done")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
}

// Locking shows the lock icon and disables a member's filter and column
// controls; the admin keeps them; unlocking gives them back.
func TestLockPageDisablesMemberFilters(t *testing.T) {
	e := NewEnv(t)
	seedCatalog(e)
	modeltest.MustUser(t, e.Srv.Store, "bob@example.com", access.RoleMember)

	bob := e.Tab()
	bob.Login("bob@example.com", modeltest.Password)
	bob.Go("/pages/services")
	bob.openFilters()
	if err := expect.Locator(bob.Page.GetByLabel("Filter Name", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeEnabled(); err != nil {
		t.Fatalf("an unlocked page lets members filter: %v", err)
	}
	if err := expect.Locator(bob.Role("img", "Locked")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}

	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/pages/services")
	e.Click("button", "Page menu")
	e.Click("button", "Lock page")
	e.AtPath("/pages/services")
	if err := expect.Locator(e.Role("img", "Locked")).ToBeVisible(); err != nil {
		t.Fatalf("a locked page shows the lock icon: %v", err)
	}
	e.See("Services is locked: viewers see the saved view.")
	e.openFilters()
	if err := expect.Locator(e.Page.GetByLabel("Filter Name", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeEnabled(); err != nil {
		t.Fatalf("admins may still change the view of a locked page: %v", err)
	}

	if _, err := bob.Page.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(bob.Role("img", "Locked")).ToBeVisible(); err != nil {
		t.Fatalf("members see the lock icon too: %v", err)
	}
	bob.openFilters()
	for _, label := range []string{"Filter Name", "Filter Channel", "Filter Version", "Show Name", "Show Channel"} {
		if err := expect.Locator(bob.Page.GetByLabel(label, playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})).ToBeDisabled(); err != nil {
			t.Fatalf("%s should be disabled on a locked page: %v", label, err)
		}
	}
	if err := expect.Locator(bob.Role("button", "Apply")).ToBeDisabled(); err != nil {
		t.Fatal(err)
	}
	bob.See("This page is locked: only admins can change its filters and columns.")

	// A crafted URL does not get past the lock: the saved view applies.
	bob.Go("/pages/services?view=1&f.name=nothing-matches&show=name")
	if err := expect.Locator(bob.Page.GetByTestId("catalog-table").GetByRole("row")).ToHaveCount(6); err != nil {
		t.Fatal(err)
	}
	bob.See("This page is locked: the saved view applies")

	// The admin unlocks; the icon goes and bob may filter again.
	e.Click("button", "Page menu")
	e.Click("button", "Unlock page")
	if err := expect.Locator(e.Role("img", "Locked")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	bob.Go("/pages/services")
	if err := expect.Locator(bob.Role("img", "Locked")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	bob.openFilters()
	bob.Fill("Filter Name", "pkg00000")
	if err := bob.Page.GetByLabel("Filter Name", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Press("Enter"); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(bob.Page.GetByTestId("catalog-table").GetByRole("row")).ToHaveCount(5); err != nil { // header + 4 builds of pkg00000
		t.Fatal(err)
	}
}

// An admin creates a page through the Builder's dialog; it appears in the
// Catalog navigation with its table.
func TestBuilderCreatesPage(t *testing.T) {
	e := NewEnv(t)
	seedCatalog(e)
	e.Login(handlertest.Admin, modeltest.Password)
	e.Click("link", "Builder")
	e.AtPath("/builder")
	e.Click("button", "New page")
	d := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "New page"})
	if err := expect.Locator(d).ToBeVisible(); err != nil {
		t.Fatalf("the New page dialog did not open: %v", err)
	}
	e.Fill("Title", "Noarch packages")
	e.Fill("Identifier", "Not An Identifier!")
	e.Click("button", "Create page")
	e.See("may only hold lowercase letters and digits") // the dialog stays open with the error
	if err := expect.Locator(e.Page.GetByRole("dialog")).ToBeVisible(); err != nil {
		t.Fatalf("a bad identifier keeps the dialog open: %v", err)
	}
	e.Fill("Identifier", "noarch")
	if err := e.Role("radio", "Channel").Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Page.GetByLabel("Filter 1 column", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).SelectOption(playwright.SelectOptionValues{Values: &[]string{"subdir"}}); err != nil {
		t.Fatal(err)
	}
	e.Fill("Filter 1 value", "noarch")
	if err := e.Page.GetByLabel("Hide License", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Check(); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Create page")
	e.AtPath("/pages/noarch")
	if err := expect.Locator(e.Page.GetByTestId("page-title")).ToHaveText("Noarch packages"); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(e.navPage("Noarch packages")).ToBeVisible(); err != nil {
		t.Fatalf("the new page is in the Catalog navigation: %v", err)
	}
	table := e.Page.GetByTestId("catalog-table")
	if err := expect.Locator(table.GetByRole("row")).ToHaveCount(6); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(table.GetByRole("columnheader", playwright.LocatorGetByRoleOptions{Name: "License"})).ToHaveCount(0); err != nil {
		t.Fatalf("the hidden column is not shown: %v", err)
	}

	e.Click("link", "Builder")
	if err := expect.Locator(e.Page.GetByTestId("builder-table")).ToContainText("noarch"); err != nil {
		t.Fatal(err)
	}
	// A member sees the new page in the navigation too (new pages are read by Member).
	modeltest.MustUser(t, e.Srv.Store, "bob@example.com", access.RoleMember)
	bob := e.Tab()
	bob.Login("bob@example.com", modeltest.Password)
	bob.AtPath("/")
	if err := bob.navPage("Noarch packages").Click(); err != nil {
		t.Fatal(err)
	}
	bob.AtPath("/pages/noarch")
}
