package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// An admin creates a private channel, uploads a package, sees it listed and
// grants a team read access with the picker; a member of that team then
// reads the channel and sees the grants without edit controls.
func TestChannelCreateUploadGrant(t *testing.T) {
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

	e.Login(handlertest.Admin, modeltest.Password)
	e.Page.GetByRole("navigation", playwright.PageGetByRoleOptions{Name: "Left-hand navigation"}).
		GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Channels", Exact: playwright.Bool(true)}).Click()
	e.AtPath("/channels")
	e.Click("button", "New channel")
	e.Fill("Name", "web")
	e.Fill("Description", "Web things")
	if _, err := e.Page.GetByLabel("Privacy").SelectOption(playwright.SelectOptionValues{Values: &[]string{"private"}}); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Create")
	e.AtPath("/channels/web")

	pkg := condatest.Pkg{Name: "webtool", Subdir: "noarch", Noarch: "python"}
	file := filepath.Join(t.TempDir(), pkg.Filename(conda.Conda))
	if err := os.WriteFile(file, condatest.Build(t, pkg, conda.Conda), 0o644); err != nil {
		t.Fatal(err)
	}
	// A refused upload says why and keeps the chosen file; a good one says
	// it worked.
	bad := filepath.Join(t.TempDir(), "broken-1.0-0.conda")
	if err := os.WriteFile(bad, []byte("not a package"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Upload")
	upload := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "Upload a package"})
	input := upload.GetByLabel("Package file")
	if err := input.SetInputFiles(bad); err != nil {
		t.Fatal(err)
	}
	submit := upload.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Upload", Exact: playwright.Bool(true)})
	if err := submit.Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(upload.GetByRole("alert")).ToBeVisible(); err != nil {
		t.Fatalf("a refused upload shows no reason: %v", err)
	}
	if n, err := input.Evaluate("el => el.files.length", nil); err != nil || n != 1 {
		t.Fatalf("the chosen file is gone after a refused upload: %v %v", n, err)
	}
	if err := input.SetInputFiles(file); err != nil {
		t.Fatal(err)
	}
	if err := submit.Click(); err != nil {
		t.Fatal(err)
	}
	e.AtPath("/channels/web")
	e.See("Uploaded " + pkg.Filename(conda.Conda) + " to web (noarch).")
	e.See(pkg.Filename(conda.Conda))

	// The channel is private: nobody without access can fetch its repodata.
	res, err := http.Get(e.Srv.URL + "/api/repo/web/noarch/repodata.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("anonymous repodata of a private channel: %d", res.StatusCode)
	}

	e.Click("button", "Permissions")
	e.Fill("Search people, teams and roles", "op")
	if err := expect.Locator(e.Role("button", "Add ann@example.com")).Not().ToBeVisible(); err != nil {
		t.Fatal("search does not filter the options")
	}
	e.Click("button", "Add ops")
	e.Click("button", "Done")
	if err := expect.Locator(e.Page.Locator("dialog[open]")).ToHaveCount(0); err != nil {
		t.Fatal(err)
	}
	ch, err := store.ChannelByName(ctx, "web")
	if err != nil {
		t.Fatal(err)
	}
	grants, err := store.GrantsFor(ctx, models.ResourceChannel, []uint{ch.ID})
	if err != nil {
		t.Fatal(err)
	}
	if g := grants[ch.ID]["read"]; !slices.Equal(g.Teams, []string{"ops"}) {
		t.Fatalf("read grants after Done: %+v", g)
	}

	ann := e.Tab()
	ann.Login("ann@example.com", modeltest.Password)
	ann.Go("/channels")
	ann.Click("link", "web")
	ann.See(pkg.Filename(conda.Conda))
	ann.Click("button", "Permissions")
	picker := ann.Page.GetByTestId("picker")
	if err := expect.Locator(picker.GetByText("ops", playwright.LocatorGetByTextOptions{Exact: playwright.Bool(true)})).ToBeVisible(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Done", "Remove ops"} {
		if err := expect.Locator(ann.Role("button", name)).ToHaveCount(0); err != nil {
			t.Fatalf("a reader sees %q: %v", name, err)
		}
	}
}
