package e2e

import (
	"bytes"
	"encoding/json"
	mp "mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// checkAxe runs axe-core on the page as it is and fails on any violation.
func checkAxe(t *testing.T, e *Env, axe string) {
	t.Helper()
	if _, err := e.Page.AddScriptTag(playwright.PageAddScriptTagOptions{Path: playwright.String(axe)}); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	raw, err := e.Page.Evaluate(axeJS)
	if err != nil {
		t.Fatalf("run axe: %v", err)
	}
	b, _ := json.Marshal(raw)
	var vs []axeViolation
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("axe on %s: %s (%s): %s — %v", e.Page.URL(), v.ID, v.Impact, v.Help, v.Nodes)
	}
}

func nav(e *Env, name string) {
	e.T.Helper()
	if err := e.Page.GetByRole("navigation", playwright.PageGetByRoleOptions{Name: "Left-hand navigation"}).
		GetByRole("link", playwright.LocatorGetByRoleOptions{Name: name, Exact: playwright.Bool(true)}).Click(); err != nil {
		e.T.Fatalf("nav %s: %v", name, err)
	}
}

// An admin blocks a license and sees an upload under it refused; imports
// vulnerability records from a file and sees them on the artifact, then
// marks the package not affected by one.
func TestLicenseBlockAndCVEImport(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	axe := axePath(t)
	api := srv.AsAdmin()
	if res := api.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "lab", "privacy": "private"}); res.StatusCode != http.StatusCreated {
		t.Fatal(res.Body)
	}
	demo := condatest.Pkg{} // demo 1.0.0, MIT
	body, ct := uploadBody(t, demo.Filename(conda.Conda), condatest.Build(t, demo, conda.Conda))
	if res := api.Do(http.MethodPost, "/api/channels/lab/artifacts", body, ct, false); res.StatusCode != http.StatusCreated {
		t.Fatal(res.Body)
	}
	gpl := condatest.Pkg{Name: "copyleft", License: "GPL-3.0-only"}
	gplFile := filepath.Join(t.TempDir(), gpl.Filename(conda.Conda))
	if err := os.WriteFile(gplFile, condatest.Build(t, gpl, conda.Conda), 0o644); err != nil {
		t.Fatal(err)
	}
	osv, err := filepath.Abs(filepath.Join("..", "handlers", "testdata", "osv", "demo-vulns.json"))
	if err != nil {
		t.Fatal(err)
	}

	e := auditTab(t, srv, "admin", 1280)
	nav(e, "Licenses")
	e.AtPath("/admin/licenses")
	e.Fill("License", "GPL-3.0-only")
	e.Fill("Reason", "Copyleft: not for our products")
	e.Click("button", "Block license")
	e.See("Blocked GPL-3.0-only: uploads under it are refused.")
	if err := expect.Locator(e.Page.GetByTestId("licenses-table").GetByRole("row").Filter(playwright.LocatorFilterOptions{HasText: "GPL-3.0-only"}).GetByText("Blocked")).ToBeVisible(); err != nil {
		t.Fatalf("the license is not shown blocked: %v", err)
	}
	checkAxe(t, e, axe)

	e.Go("/channels/lab")
	e.Click("button", "Upload")
	upload := e.Page.GetByRole("dialog", playwright.PageGetByRoleOptions{Name: "Upload a package"})
	if err := upload.GetByLabel("Package file").SetInputFiles(gplFile); err != nil {
		t.Fatal(err)
	}
	if err := upload.GetByRole("button", playwright.LocatorGetByRoleOptions{Name: "Upload", Exact: playwright.Bool(true)}).Click(); err != nil {
		t.Fatal(err)
	}
	if err := expect.Locator(upload.GetByRole("alert")).ToContainText("GPL-3.0-only are blocked on this server"); err != nil {
		t.Fatalf("the refused upload does not say why: %v", err)
	}
	checkAxe(t, e, axe)

	e.Go("/")
	nav(e, "Vulnerabilities")
	e.AtPath("/admin/cves")
	if err := e.Page.GetByLabel("OSV file").SetInputFiles(osv); err != nil {
		t.Fatal(err)
	}
	e.Click("button", "Import")
	e.See("Imported 2 new and 0 updated records.")
	if err := expect.Locator(e.Role("link", "GHSA-demo-0001")).ToBeVisible(); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, e, axe)

	// The artifact shows both records; its record page lists it.
	e.Go("/channels/lab")
	cves := e.Page.GetByTestId("artifact-cves")
	if err := expect.Locator(cves.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "GHSA-demo-0001"})).ToBeVisible(); err != nil {
		t.Fatalf("the artifact shows no record: %v", err)
	}
	if err := expect.Locator(cves.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "CVE-2025-0002"})).ToBeVisible(); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, e, axe)
	if err := cves.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "GHSA-demo-0001"}).Click(); err != nil {
		t.Fatal(err)
	}
	e.AtPath("/admin/cves/GHSA-demo-0001")
	if err := expect.Locator(e.Page.GetByTestId("affected-artifacts")).ToContainText("demo-1.0.0-h1234_0.conda"); err != nil {
		t.Fatal(err)
	}
	checkAxe(t, e, axe)
	e.Fill("Reason", "Our build leaves the parser out")
	e.Click("button", "Mark not affected")
	e.See("Marked demo not affected.")
	e.See("No stored artifact is affected.")
	checkAxe(t, e, axe)
	e.Go("/channels/lab")
	if err := expect.Locator(cves.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "GHSA-demo-0001"})).ToHaveCount(0); err != nil {
		t.Fatalf("the annotated record still shows: %v", err)
	}
}

// uploadBody is an upload body holding one file.
func uploadBody(t *testing.T, filename string, content []byte) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := mp.NewWriter(&buf)
	w, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}
