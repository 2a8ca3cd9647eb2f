package e2e

import (
	"slices"
	"testing"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// An admin creates a channel group on the Groups page, puts channels in
// it, grants a team read with the picker; a member of that team then
// reads the group and its channels. Every view on the way passes axe.
func TestGroupCreateAddGrant(t *testing.T) {
	e := NewEnv(t)
	ctx := t.Context()
	store := e.Srv.Store
	modeltest.MustUser(t, store, "ann@example.com", access.RoleMember)
	team, err := store.CreateTeam(ctx, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.SetTeamMembers(ctx, team.ID, []string{"ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	adm := e.Srv.AsAdmin()
	for _, name := range []string{"web", "data", "other"} {
		if r := adm.SendJSON("POST", "/api/channels", map[string]any{"name": name, "privacy": "private"}); r.StatusCode != 201 {
			t.Fatalf("channel %s: %d %s", name, r.StatusCode, r.Body)
		}
	}

	e.Login(handlertest.Admin, modeltest.Password)
	e.Page.GetByRole("navigation", playwright.PageGetByRoleOptions{Name: "Left-hand navigation"}).
		GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Groups", Exact: playwright.Bool(true)}).Click()
	e.AtPath("/groups")
	e.See("No channel groups you can read yet.")
	e.Click("button", "New group")
	e.Fill("Name", "Bad Name")
	e.Click("button", "Create")
	if err := expect.Locator(e.Page.GetByText("Use lowercase letters")).ToBeVisible(); err != nil {
		t.Fatalf("a malformed name says nothing: %v", err)
	}
	e.Fill("Name", "platform")
	e.Fill("Description", "What the platform team ships")
	if err := e.Page.GetByRole("checkbox", playwright.PageGetByRoleOptions{Name: "web", Exact: playwright.Bool(true)}).Check(); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Create")
	e.AtPath("/groups/platform")
	e.See("Group platform created.")
	members := e.Page.GetByTestId("group-channels")
	if err := expect.Locator(members.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "web"})).ToBeVisible(); err != nil {
		t.Fatal(err)
	}

	e.Click("button", "Edit group")
	if err := e.Page.GetByRole("checkbox", playwright.PageGetByRoleOptions{Name: "data", Exact: playwright.Bool(true)}).Check(); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Save")
	e.See("Group platform saved.")
	if err := expect.Locator(members.GetByRole("link")).ToHaveCount(2); err != nil {
		t.Fatalf("members after adding data: %v", err)
	}

	e.Click("button", "Permissions")
	e.Fill("Search people, teams and roles", "op")
	e.Click("button", "Add ops")
	e.Click("button", "Done")
	if err := expect.Locator(e.Page.Locator("dialog[open]")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	g, err := store.ChannelGroupByName(ctx, "platform")
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Grants["read"]; !slices.Equal(got.Teams, []string{"ops"}) || !slices.Equal(g.ChannelNames(), []string{"data", "web"}) {
		t.Fatalf("after Done: read %+v, channels %v", got, g.ChannelNames())
	}
	grants, _ := store.GrantsFor(ctx, models.ResourceGroup, []uint{g.ID})
	if len(grants[g.ID]["read"].Teams) != 1 {
		t.Fatalf("stored grants %+v", grants)
	}

	// Ann, in ops, reads the group and both channels; not the third.
	ann := e.Tab()
	ann.Login("ann@example.com", modeltest.Password)
	ann.Go("/groups")
	ann.Click("link", "platform")
	ann.AtPath("/groups/platform")
	for _, name := range []string{"Edit group", "Delete group"} {
		if err := expect.Locator(ann.Role("button", name)).ToHaveCount(0); err != nil {
			t.Fatalf("a reader sees %q", name)
		}
	}
	ann.Click("link", "web")
	ann.AtPath("/channels/web")
	if err := expect.Locator(ann.Page.GetByTestId("channel-groups").GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "platform"})).ToBeVisible(); err != nil {
		t.Fatalf("the channel page does not name its group: %v", err)
	}
	ann.Go("/channels")
	ann.NotSee("other")

	// axe over the views this flow used, and the subchannel group dialog.
	if r := adm.SendJSON("POST", "/api/channels/web/subchannels", map[string]any{"name": "nightly"}); r.StatusCode != 201 {
		t.Fatal(r.Body)
	}
	axe := axePath(t)
	a := auditTab(t, e.Srv, "admin", 1280)
	for _, v := range []auditView{
		page("groups", "admin", "/groups"),
		page("group", "admin", "/groups/platform"),
		dialog("group-new", "admin", "/groups", "button", "New group"),
		dialog("group-edit", "admin", "/groups/platform", "button", "Edit group"),
		dialog("group-permissions", "admin", "/groups/platform", "button", "Permissions"),
		dialog("group-delete", "admin", "/groups/platform", "button", "Delete group"),
		dialog("subgroup-new", "admin", "/channels/web", "button", "New subchannel group"),
	} {
		if n := auditOne(t, a, v, axe, 1280, ""); n > 0 {
			t.Errorf("%s: %d axe violations", v.name, n)
		}
	}
}
