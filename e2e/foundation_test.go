package e2e

import (
	"testing"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/modeltest"
)

func TestSignInWrongPasswordSignOut(t *testing.T) {
	e := NewEnv(t)
	e.Go("/admin/users")
	e.AtPath("/login")

	e.Fill("Email", handlertest.Admin)
	e.Fill("Password", "not-the-password")
	e.Click("button", "Sign in")
	e.See("Wrong email or password.")

	e.Fill("Password", modeltest.Password)
	e.Click("button", "Sign in")
	e.AtPath("/admin/users") // back where the visitor wanted to go
	e.See(handlertest.Admin)

	e.Click("button", "Sign out")
	e.AtPath("/login")
	e.Go("/")
	e.AtPath("/login")
}

// An admin creates a team, a role and a user; that user signs in, cannot
// reach admin pages, and the audit log shows what happened.
func TestAdminCreatesPeople(t *testing.T) {
	e := NewEnv(t)
	e.Login(handlertest.Admin, modeltest.Password)
	e.AtPath("/")

	e.Click("link", "Roles")
	e.Fill("Role name", "Services-Moderator")
	e.Click("button", "Create role")
	e.See("Services-Moderator")

	e.Click("link", "Teams")
	e.Click("button", "New team")
	dialog := e.Page.GetByRole("dialog")
	if err := expect.Locator(dialog).ToBeVisible(); err != nil {
		t.Fatalf("new team dialog did not open: %v", err)
	}
	e.Fill("Name", "Team 1")
	e.Fill("Description", "The first team")
	e.Click("button", "Create team")
	e.See("The first team")

	e.Click("link", "Users")
	e.Click("button", "New user")
	e.Fill("Email", "not-an-email")
	e.Fill("Password", "pw")
	e.Click("button", "Create user")
	e.See("is not a valid email address") // the dialog stays open with the error
	e.Fill("Email", "carol@example.com")
	e.Fill("Password", "carols-password")
	if err := e.Page.GetByLabel("Services-Moderator").Check(); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Create user")
	row := e.Page.GetByRole("row").Filter(playwright.LocatorFilterOptions{HasText: "carol@example.com"})
	if err := expect.Locator(row).ToContainText("Services-Moderator"); err != nil {
		t.Fatal(err)
	}

	e.Click("link", "Teams")
	e.Click("button", "Members of Team 1")
	members := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "Members of Team 1"})
	if err := members.GetByLabel("Search people", playwright.LocatorGetByLabelOptions{Exact: playwright.Bool(true)}).Fill("carol"); err != nil {
		t.Fatal(err)
	}
	if err := button(members, "Add carol@example.com").Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(members.GetByRole("list", playwright.LocatorGetByRoleOptions{Name: "Members of Team 1"})).ToContainText("carol@example.com"); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Done")
	e.See("Members of Team 1 saved.")
	e.See("carol@example.com")

	carol := e.Tab()
	carol.Login("carol@example.com", "carols-password")
	carol.AtPath("/")
	carol.NotSee("Administration")
	carol.Go("/admin/users")
	carol.See("Only admins may do this.")
	carol.Go("/audit-log")
	carol.See("Only admins may do this.")

	e.Click("link", "Audit log")
	table := e.Page.GetByTestId("audit-table")
	for _, action := range []string{"role.create", "team.create", "user.create", "team.members", "signin.success"} {
		if err := expect.Locator(table.GetByText(action, playwright.LocatorGetByTextOptions{Exact: playwright.Bool(true)}).First()).ToBeVisible(); err != nil {
			t.Fatalf("audit log lacks %s: %v", action, err)
		}
	}
	if _, err := e.Page.GetByLabel("Action").SelectOption(playwright.SelectOptionValues{Values: &[]string{"team.create"}}); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Filter")
	if err := expect.Locator(table.GetByRole("row")).ToHaveCount(2); err != nil { // header + one event
		t.Fatal(err)
	}
}

func TestPhoneWidthNavigation(t *testing.T) {
	e := NewEnv(t)
	if err := e.Page.SetViewportSize(390, 844); err != nil {
		t.Fatal(err)
	}
	e.Login(handlertest.Admin, modeltest.Password)
	nav := e.Page.GetByRole("link", playwright.PageGetByRoleOptions{Name: "Teams", Exact: playwright.Bool(true)})
	if err := expect.Locator(nav).Not().ToBeInViewport(); err != nil {
		t.Fatal("navigation should be tucked away on a phone")
	}
	if err := e.Role("button", "Open navigation").Click(); err != nil {
		t.Fatal(err)
	}
	if err := nav.Click(); err != nil {
		t.Fatal(err)
	}
	e.AtPath("/admin/teams")
}
