package e2e

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"os"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"

	"github.com/playwright-community/playwright-go"
)

// TestMirrorPage: a channel manager creates a mirror of another Gatehouse
// on loopback from the channel's Mirrors page, runs it, and sees the
// counts, the refusals and the packages, with no axe violations.
func TestMirrorPage(t *testing.T) {
	up := handlertest.Start(t, modeltest.SQLite)
	upAdmin := up.AsAdmin()
	if res := upAdmin.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "up", "privacy": "public"}); res.StatusCode != http.StatusCreated {
		t.Fatalf("upstream channel: %d %s", res.StatusCode, res.Body)
	}
	for _, p := range []condatest.Pkg{{Name: "alpha", Version: "1.0"}, {Name: "beta", Version: "2.0", Subdir: "noarch", Noarch: "generic"}, {Name: "gamma", Version: "0.1", Subdir: "noarch", Noarch: "generic"}} {
		uploadPackage(t, upAdmin, "up", p.Defaults())
	}
	cfg := handlertest.Config(t)
	cfg.MirrorPrivateNetworks, cfg.MirrorCheckInterval = true, -1
	srv := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	if _, err := srv.Store.CreateChannel(t.Context(), models.NewChannel{Name: "down"}); err != nil {
		t.Fatal(err)
	}
	axe := axePath(t)
	e := auditTab(t, srv, "admin", 1280)
	e.Go("/channels/down")
	if err := e.Page.Locator("#main").GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Mirrors", Exact: playwright.Bool(true)}).Click(); err != nil {
		t.Fatal(err)
	}
	e.AtPath("/channels/down/mirrors")
	e.See("No mirrors yet.")
	auditOne(t, e, dialog("mirror-new", "admin", "/channels/down/mirrors", "button", "New mirror"), axe, 1280, "")
	e.Fill("Upstream channel URL", up.URL+"/api/repo/up")
	e.Fill("Subdirs", "linux-64, noarch")
	e.Fill("Exclude packages", "gamma")
	e.Click("button", "Create mirror")
	e.See("Mirror of down created.")
	e.See("Not run yet.")
	e.Click("button", "Run now")
	e.See("Run finished: 2 added, 0 removed, 0 unchanged, 0 refused.")
	for id, want := range map[string]string{"run-added": "2", "run-removed": "0", "run-refused": "0"} {
		if err := expect.Locator(e.Page.GetByTestId(id).First()).ToHaveText(want); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	e.See("exclude: gamma")
	auditOne(t, e, page("mirrors-channel", "admin", "/channels/down/mirrors"), axe, 1280, "")
	auditOne(t, e, page("mirrors-all", "admin", "/mirrors"), axe, 1280, "")
	e.See("down ← " + up.URL + "/api/repo/up")
	shots := os.Getenv("GATEHOUSE_SCREENSHOTS")
	phone := auditTab(t, srv, "admin", 390)
	auditOne(t, phone, page("mirrors-channel", "admin", "/channels/down/mirrors"), axe, 390, shots)
	auditOne(t, phone, page("mirrors-all", "admin", "/mirrors"), axe, 390, shots)
	auditOne(t, phone, dialog("mirror-new", "admin", "/channels/down/mirrors", "button", "New mirror"), axe, 390, shots)
	auditOne(t, e, page("mirrors-channel", "admin", "/channels/down/mirrors"), axe, 1280, shots)
	// The packages are served in the channel.
	e.Go("/channels/down")
	e.See("alpha-1.0-h1234_0.conda")
	e.See("beta-2.0-h1234_0.conda")
	e.NotSee("gamma-0.1-h1234_0.conda")
	// Edit: a bad version spec is refused in the dialog, a good one saved.
	e.Go("/channels/down/mirrors")
	e.Click("button", "Edit mirror of down from "+up.URL+"/api/repo/up")
	e.Fill("Versions", ">=")
	e.Click("button", "Save")
	e.See("The version spec is not valid")
	auditOne(t, e, auditView{name: "mirror-edit-error", as: "admin", path: "", dialog: true}, axe, 1280, "")
	e.Fill("Versions", ">=2")
	e.Click("button", "Save")
	e.See("Mirror of down saved.")
	e.Click("button", "Run now")
	e.See("Run finished: 0 added, 1 removed, 1 unchanged, 0 refused.")
	if err := expect.Locator(e.Page.GetByTestId("mirror-runs").First().Locator("tbody tr")).ToHaveCount(2); err != nil {
		t.Error(err)
	}
}

func uploadPackage(t *testing.T, c *handlertest.Client, channel string, p condatest.Pkg) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", p.Filename(conda.Conda))
	w.Write(condatest.Build(t, p, conda.Conda))
	mw.Close()
	if res := c.Do(http.MethodPost, "/api/channels/"+channel+"/artifacts", &buf, mw.FormDataContentType(), false); res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, res.Body)
	}
}
