package handlers_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// eachDB runs fn against a fresh server per database (file blobs).
func eachDB(t *testing.T, fn func(t *testing.T, srv *handlertest.Server)) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) { fn(t, handlertest.Start(t, b)) })
	}
}

func osvFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/osv/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func importOSV(c *handlertest.Client, body []byte) *handlertest.Response {
	return c.Do(http.MethodPost, "/api/cves", bytes.NewReader(body), "application/json", false)
}

func auditCount(t testing.TB, c *handlertest.Client, action string) int {
	t.Helper()
	return len(c.Get("/api/audit?action=" + action).Map(t)["events"].([]any))
}

func countRows(t testing.TB, srv *handlertest.Server, model any) int64 {
	t.Helper()
	var n int64
	if err := srv.Store.DB().Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBlockedLicenseRefusesUploads(t *testing.T) {
	eachDB(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "lic", "private")

		// Bad input: unknown license, no reason, malformed, unknown field.
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "Totally-Made-Up", "reason": "x"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "GPL-3.0-only", "reason": " "}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "GPL-3.0-only", "reason": strings.Repeat("r", 1001)}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", `{"license": "GPL-3.0-only"`), http.StatusBadRequest)
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "GPL-3.0-only", "reason": "x", "until": "never"}), http.StatusBadRequest)
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "GPL\x00", "reason": "x"}), http.StatusBadRequest)
		if n := countRows(t, srv, &models.BlockedLicense{}); n != 0 {
			t.Fatalf("%d blocks stored from bad input", n)
		}

		// "GPLv3" is normalised; blocking it again conflicts.
		res := adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "GPLv3", "reason": "copyleft, not for our products"})
		want(t, res, http.StatusCreated)
		if got := res.Map(t)["blocked"].(map[string]any)["license"]; got != "GPL-3.0-only" {
			t.Fatalf("blocked %v", got)
		}
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "GPL-3.0-only", "reason": "again"}), http.StatusConflict)
		if n := auditCount(t, adm, "license.block"); n != 1 {
			t.Fatalf("%d license.block events", n)
		}

		// Uploads under it, through the API and the browser form, are
		// refused with 422 and leave nothing behind.
		gpl := condatest.Pkg{Name: "copyleft", License: "GPL-3.0-only"}
		res = uploadTo(t, adm, "lic", "", gpl.Filename(conda.Conda), condatest.Build(t, gpl, conda.Conda))
		want(t, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "GPL-3.0-only are blocked") {
			t.Fatalf("refusal says %s", res.Body)
		}
		spelled := condatest.Pkg{Name: "spelled", License: "GPLv3"}
		want(t, uploadTo(t, adm, "lic", "", spelled.Filename(conda.TarBz2), condatest.Build(t, spelled, conda.TarBz2)), http.StatusUnprocessableEntity)
		body, ct := multipartBody(t, gpl.Filename(conda.Conda), condatest.Build(t, gpl, conda.Conda), nil)
		res = adm.Do(http.MethodPost, "/channels/lic/upload", body, ct, false)
		want(t, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "are blocked on this server") {
			t.Fatalf("the upload dialog does not say why: %s", res.Body)
		}
		if n := countRows(t, srv, &models.Artifact{}); n != 0 {
			t.Fatalf("%d artifacts stored under a blocked license", n)
		}
		if files := blobFiles(t, srv); len(files) != 0 {
			t.Fatalf("blobs left behind: %v", files)
		}

		// Other licenses pass, and the overview counts them.
		mit := condatest.Pkg{Name: "free", License: "MIT License"}
		want(t, uploadTo(t, adm, "lic", "", mit.Filename(conda.Conda), condatest.Build(t, mit, conda.Conda)), http.StatusCreated)
		var over struct {
			Licenses []struct {
				License   string
				Artifacts int
				Written   []string
				Channels  []string
				Blocked   *struct{ Reason string }
			}
		}
		adm.Get("/api/licenses").JSON(t, &over)
		if len(over.Licenses) != 2 || over.Licenses[0].License != "MIT" || over.Licenses[0].Artifacts != 1 || over.Licenses[0].Written[0] != "MIT License" ||
			over.Licenses[0].Channels[0] != "lic" || over.Licenses[1].Blocked == nil {
			t.Fatalf("overview %+v", over)
		}
		page := adm.Get("/admin/licenses")
		want(t, page, http.StatusOK)
		if !strings.Contains(page.Body, "GPL-3.0-only") || !strings.Contains(page.Body, "copyleft, not for our products") {
			t.Fatal("the license page does not show the block")
		}

		// Unblocking lets the package in; a second unblock is a 404.
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/unblock", map[string]any{"license": "GPL-3.0-only", "reason": "legal agreed"}), http.StatusOK)
		want(t, adm.SendJSON(http.MethodPost, "/api/licenses/unblock", map[string]any{"license": "GPL-3.0-only"}), http.StatusNotFound)
		want(t, uploadTo(t, adm, "lic", "", gpl.Filename(conda.Conda), condatest.Build(t, gpl, conda.Conda)), http.StatusCreated)
		if n := auditCount(t, adm, "license.unblock"); n != 1 {
			t.Fatalf("%d license.unblock events", n)
		}

		// The browser form: errors re-render the page, success redirects.
		res = adm.PostForm("/admin/licenses/block", url.Values{"license": {"Nope-License-9"}, "reason": {"x"}})
		want(t, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "neither an SPDX license identifier") {
			t.Fatalf("form error: %s", res.Body)
		}
		want(t, adm.PostForm("/admin/licenses/block", url.Values{"license": {"Apache 2.0"}, "reason": {"patent terms"}}), http.StatusSeeOther)
		want(t, adm.PostForm("/admin/licenses/block", url.Values{"license": {"Apache-2.0"}, "reason": {"again"}}), http.StatusConflict)
		want(t, adm.PostForm("/admin/licenses/unblock", url.Values{"license": {"Apache-2.0"}}), http.StatusSeeOther)
	})
}

func TestCVEImportMatchAndAnnotate(t *testing.T) {
	eachDB(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "vuln", "private")
		demo := condatest.Pkg{} // demo 1.0.0
		want(t, uploadTo(t, adm, "vuln", "", demo.Filename(conda.Conda), condatest.Build(t, demo, conda.Conda)), http.StatusCreated)
		fixed := condatest.Pkg{Version: "2.1"}
		want(t, uploadTo(t, adm, "vuln", "", fixed.Filename(conda.Conda), condatest.Build(t, fixed, conda.Conda)), http.StatusCreated)

		// Malformed and oversized documents store nothing.
		res := importOSV(adm, osvFile(t, "malformed-event.json"))
		want(t, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "GHSA-bad-0002") || !strings.Contains(res.Body, "exactly one of introduced") {
			t.Fatalf("malformed: %s", res.Body)
		}
		want(t, importOSV(adm, []byte(`{"vulns": [`)), http.StatusUnprocessableEntity)
		want(t, importOSV(adm, []byte(`"just a string"`)), http.StatusUnprocessableEntity)
		want(t, importOSV(adm, bytes.Repeat([]byte(" "), 9<<20+10)), http.StatusRequestEntityTooLarge)
		want(t, adm.Do(http.MethodPost, "/api/cves", strings.NewReader(`{}`), "text/plain", false), http.StatusUnsupportedMediaType)
		if n := countRows(t, srv, &models.Vulnerability{}); n != 0 {
			t.Fatalf("%d records stored from bad documents", n)
		}

		// A file of two records, then one more; importing again updates.
		res = importOSV(adm, osvFile(t, "demo-vulns.json"))
		want(t, res, http.StatusOK)
		if got := res.Map(t)["imported"].(map[string]any); len(got["created"].([]any)) != 2 {
			t.Fatalf("import: %v", got)
		}
		want(t, importOSV(adm, osvFile(t, "demo-critical.json")), http.StatusOK)
		res = importOSV(adm, osvFile(t, "demo-vulns.json"))
		if got := res.Map(t)["imported"].(map[string]any); len(got["updated"].([]any)) != 2 || len(got["created"].([]any)) != 0 {
			t.Fatalf("re-import: %v", got)
		}
		if n := countRows(t, srv, &models.Vulnerability{}); n != 3 {
			t.Fatalf("%d records after re-import, want 3", n)
		}
		if n := auditCount(t, adm, "cve.import"); n != 3 {
			t.Fatalf("%d cve.import events", n)
		}

		// The artifacts show what affects them, worst first.
		var arts struct {
			Artifacts []struct {
				Version         string
				Vulnerabilities []struct{ ID, Severity string }
				WorstSeverity   string `json:"worst_severity"`
			}
		}
		adm.Get("/api/channels/vuln/artifacts").JSON(t, &arts)
		byVersion := map[string][]string{}
		for _, a := range arts.Artifacts {
			for _, v := range a.Vulnerabilities {
				byVersion[a.Version] = append(byVersion[a.Version], v.ID+":"+v.Severity)
			}
			if a.Version == "1.0.0" && a.WorstSeverity != "critical" || a.Version == "2.1" && a.WorstSeverity != "none" {
				t.Errorf("%s worst %s", a.Version, a.WorstSeverity)
			}
		}
		if got := strings.Join(byVersion["1.0.0"], " "); got != "GHSA-demo-0003:critical GHSA-demo-0001:high CVE-2025-0002:medium" {
			t.Fatalf("demo 1.0.0 has %q", got)
		}
		if len(byVersion["2.1"]) != 0 {
			t.Fatalf("demo 2.1 has %v", byVersion["2.1"])
		}
		page := adm.Get("/channels/vuln")
		if !strings.Contains(page.Body, "GHSA-demo-0003") || !strings.Contains(page.Body, "Vulnerabilities") {
			t.Fatal("the channel page shows no vulnerabilities")
		}
		// A member who reads the channel sees no records: they need cve:view.
		modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/vuln/permissions", map[string]any{"read": map[string]any{"users": []string{"ann@example.com"}}}), http.StatusOK)
		ann := srv.Login("ann@example.com")
		if body := ann.Get("/channels/vuln").Body; !strings.Contains(body, "demo-1.0.0") || strings.Contains(body, "GHSA-demo") {
			t.Fatal("a member without cve:view sees the records on the channel page")
		}
		if body := ann.Get("/api/channels/vuln/artifacts").Body; strings.Contains(body, "vulnerabilities") {
			t.Fatalf("a member without cve:view sees records: %s", body)
		}
		// A resource token reads the channel but not the records.
		tok := mustToken(t, srv.Store, handlertest.Admin, "reader", access.TokenGrant{Resources: []access.Resource{{Channel: "vuln", Level: access.Read}}})
		if body := withToken(srv, tok).Get("/api/channels/vuln/artifacts").Body; strings.Contains(body, "vulnerabilities") {
			t.Fatalf("a token without cve:view sees records: %s", body)
		}

		// The list and its severity filter; the record's page.
		var list struct{ Vulnerabilities []struct{ ID string } }
		adm.Get("/api/cves?severity=high").JSON(t, &list)
		if len(list.Vulnerabilities) != 2 {
			t.Fatalf("high or worse: %+v", list)
		}
		want(t, adm.Get("/api/cves?severity=urgent"), http.StatusBadRequest)
		want(t, adm.Get("/admin/cves?severity=urgent"), http.StatusBadRequest)
		want(t, adm.Get("/api/cves/GHSA-none"), http.StatusNotFound)
		one := adm.Get("/api/cves/GHSA-demo-0001").Map(t)["vulnerability"].(map[string]any)
		if arts := one["affected_artifacts"].([]any); len(arts) != 1 {
			t.Fatalf("GHSA-demo-0001 affects %v", arts)
		}
		want(t, adm.Get("/admin/cves"), http.StatusOK)
		if body := adm.Get("/admin/cves/GHSA-demo-0001").Body; !strings.Contains(body, "demo-1.0.0-h1234_0.conda") {
			t.Fatal("the record's page does not list the affected artifact")
		}

		// Annotating "not affected" removes it from the artifact.
		want(t, adm.SendJSON(http.MethodPost, "/api/cves/GHSA-demo-0003/annotations", map[string]any{"package": "pandas", "reason": "x"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/cves/GHSA-demo-0003/annotations", map[string]any{"package": "demo"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/cves/GHSA-none/annotations", map[string]any{"package": "demo", "reason": "x"}), http.StatusNotFound)
		want(t, adm.SendJSON(http.MethodPost, "/api/cves/GHSA-demo-0003/annotations", map[string]any{"package": "demo", "reason": "our build disables the plugin"}), http.StatusOK)
		adm.Get("/api/channels/vuln/artifacts").JSON(t, &arts)
		for _, a := range arts.Artifacts {
			if a.Version == "1.0.0" && a.WorstSeverity != "high" {
				t.Fatalf("after the annotation demo 1.0.0 is %s", a.WorstSeverity)
			}
		}
		if n := auditCount(t, adm, "cve.annotate"); n != 1 {
			t.Fatalf("%d cve.annotate events", n)
		}
		want(t, adm.Do(http.MethodDelete, "/api/cves/GHSA-demo-0003/annotations/demo", nil, "", false), http.StatusNoContent)
		want(t, adm.Do(http.MethodDelete, "/api/cves/GHSA-demo-0003/annotations/demo", nil, "", false), http.StatusNotFound)
		// The browser form.
		want(t, adm.PostForm("/admin/cves/GHSA-demo-0003/annotations", url.Values{"package": {"demo"}, "reason": {""}}), http.StatusUnprocessableEntity)
		want(t, adm.PostForm("/admin/cves/GHSA-demo-0003/annotations", url.Values{"package": {"demo"}, "reason": {"vendored copy patched"}}), http.StatusSeeOther)
		want(t, adm.PostForm("/admin/cves/GHSA-demo-0003/annotations/delete", url.Values{"package": {"demo"}}), http.StatusSeeOther)
	})
}

func TestCVEImportByURLAndForm(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) { testCVEImportByURL(t, b) })
	}
}

func testCVEImportByURL(t *testing.T, b modeltest.Backend) {
	// The upstream is on loopback: by default an internal address is
	// refused, as for mirrors; the setting that lets mirrors reach inside
	// lets imports too.
	guarded := handlertest.Start(t, b)
	refused := guarded.AsAdmin().SendJSON(http.MethodPost, "/api/cves/fetch", map[string]any{"url": guarded.URL + "/healthz"})
	want(t, refused, http.StatusUnprocessableEntity)
	if !strings.Contains(refused.Body, "internal address") {
		t.Fatalf("an internal address says %s", refused.Body)
	}
	cfg := handlertest.Config(t)
	cfg.MirrorPrivateNetworks = true
	func(srv *handlertest.Server) {
		adm := srv.AsAdmin()
		upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/osv.json":
				w.Write(osvFile(t, "demo-critical.json"))
			case "/huge.json":
				w.Write(bytes.Repeat([]byte(" "), 8<<20+1))
			case "/broken.json":
				w.Write([]byte(`{"id": `))
			case "/slow.json":
				time.Sleep(3 * time.Second)
			default:
				http.NotFound(w, r)
			}
		}))
		defer upstream.Close()
		fetch := func(u string) *handlertest.Response {
			return adm.SendJSON(http.MethodPost, "/api/cves/fetch", map[string]any{"url": u})
		}
		for u, status := range map[string]int{
			"ftp://example.com/osv.json":          http.StatusUnprocessableEntity,
			"file:///etc/passwd":                  http.StatusUnprocessableEntity,
			"not a url at all":                    http.StatusUnprocessableEntity,
			"http://":                             http.StatusUnprocessableEntity,
			upstream.URL + "/missing.json":        http.StatusUnprocessableEntity,
			upstream.URL + "/broken.json":         http.StatusUnprocessableEntity,
			upstream.URL + "/huge.json":           http.StatusRequestEntityTooLarge,
			"http://127.0.0.1:1/osv.json":         http.StatusUnprocessableEntity,
			"http://" + strings.Repeat("a", 2001): http.StatusUnprocessableEntity,
		} {
			if res := fetch(u); res.StatusCode != status {
				t.Errorf("%.60s: %d, want %d: %s", u, res.StatusCode, status, res.Body)
			}
		}
		if n := countRows(t, srv, &models.Vulnerability{}); n != 0 {
			t.Fatalf("%d records stored from failed fetches", n)
		}
		res := fetch(upstream.URL + "/osv.json?token=secret-in-query")
		want(t, res, http.StatusOK)
		v := adm.Get("/api/cves/GHSA-demo-0003").Map(t)["vulnerability"].(map[string]any)
		if v["source"] != upstream.URL+"/osv.json" {
			t.Fatalf("source %v keeps the query", v["source"])
		}
		if body := adm.Get("/api/audit?action=cve.import").Body; strings.Contains(body, "secret-in-query") {
			t.Fatal("the audit log holds the URL's query")
		}

		// The browser form: a file, a URL, both, neither.
		body, ct := multipartBody(t, "demo-vulns.json", osvFile(t, "demo-vulns.json"), map[string]string{"_csrf": csrfOf(t, adm)})
		want(t, adm.Do(http.MethodPost, "/admin/cves/import", body, ct, false), http.StatusSeeOther)
		body, ct = multipartBody(t, "demo-vulns.json", osvFile(t, "demo-vulns.json"), map[string]string{"_csrf": csrfOf(t, adm), "url": upstream.URL + "/osv.json"})
		want(t, adm.Do(http.MethodPost, "/admin/cves/import", body, ct, false), http.StatusUnprocessableEntity)
		body, ct = multipartBody(t, "", nil, map[string]string{"_csrf": csrfOf(t, adm)})
		want(t, adm.Do(http.MethodPost, "/admin/cves/import", body, ct, false), http.StatusUnprocessableEntity)
		body, ct = multipartBody(t, "bad.json", osvFile(t, "malformed-event.json"), map[string]string{"_csrf": csrfOf(t, adm)})
		res = adm.Do(http.MethodPost, "/admin/cves/import", body, ct, false)
		want(t, res, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "Not imported") {
			t.Fatalf("form error: %s", res.Body)
		}
		body, ct = multipartBody(t, "", nil, map[string]string{"_csrf": csrfOf(t, adm), "url": upstream.URL + "/osv.json"})
		want(t, adm.Do(http.MethodPost, "/admin/cves/import", body, ct, false), http.StatusSeeOther)
		if n := countRows(t, srv, &models.Vulnerability{}); n != 3 {
			t.Fatalf("%d records, want 3", n)
		}
	}(handlertest.StartWith(t, modeltest.Open(t, b), cfg))
}

func TestCVEFetchTimeout(t *testing.T) {
	cfg := handlertest.Config(t)
	cfg.FetchTimeout = 200 * time.Millisecond
	cfg.MirrorPrivateNetworks = true
	srv := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	res := srv.AsAdmin().SendJSON(http.MethodPost, "/api/cves/fetch", map[string]any{"url": slow.URL + "/osv.json"})
	want(t, res, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Body, "did not answer within") {
		t.Fatalf("timeout says %s", res.Body)
	}
}

func csrfOf(t testing.TB, c *handlertest.Client) string {
	t.Helper()
	u, _ := url.Parse(c.S.URL)
	c.Get("/admin/cves")
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "gatehouse_csrf" {
			return ck.Value
		}
	}
	t.Fatal("no CSRF cookie")
	return ""
}

// Each policy scope admits its own feature at the table's level and
// nothing else; members and tokens without the scope are refused.
func TestPolicyScopes(t *testing.T) {
	eachDB(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		ann := srv.Login("ann@example.com")
		want(t, importOSV(adm, osvFile(t, "demo-critical.json")), http.StatusOK)

		type call struct {
			method, path string
			body         any
		}
		calls := map[string]call{
			"system.license:view": {http.MethodGet, "/api/licenses", nil},
			"system.license:edit": {http.MethodPost, "/api/licenses/blocked", map[string]any{"license": "AGPL-3.0-only", "reason": "network copyleft"}},
			"cve:view":            {http.MethodGet, "/api/cves", nil},
			"cve:edit":            {http.MethodPost, "/api/cves/GHSA-demo-0003/annotations", map[string]any{"package": "demo", "reason": "not shipped"}},
		}
		send := func(c *handlertest.Client, k call) *handlertest.Response {
			if k.body == nil {
				return c.Do(k.method, k.path, nil, "", false)
			}
			return c.SendJSON(k.method, k.path, k.body)
		}
		for scope := range calls {
			tok := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "only-"+strings.NewReplacer(":", "-", ".", "-").Replace(scope), access.TokenGrant{Scopes: []string{scope}}))
			for other, k := range calls {
				res := send(tok, k)
				if other == scope && res.StatusCode >= 300 {
					t.Errorf("token with %s on %s %s: %d %s", scope, k.method, k.path, res.StatusCode, res.Body)
				}
				if other != scope && res.StatusCode != http.StatusForbidden {
					t.Errorf("token with %s on %s (%s): %d, want 403", scope, k.path, other, res.StatusCode)
				}
			}
			// Tokens never reach the pages, whatever scope they carry.
			for _, p := range []string{"/admin/licenses", "/admin/cves", "/admin/cves/GHSA-demo-0003"} {
				want(t, tok.Get(p), http.StatusForbidden)
			}
		}
		// A member is refused every policy feature; nobody is sent to sign in.
		for _, k := range calls {
			want(t, send(ann, k), http.StatusForbidden)
			want(t, send(srv.Anonymous(), k), http.StatusUnauthorized)
		}
		for _, p := range []string{"/admin/licenses", "/admin/cves", "/admin/cves/GHSA-demo-0003"} {
			want(t, ann.Get(p), http.StatusForbidden)
			want(t, srv.Anonymous().Get(p), http.StatusSeeOther)
		}
		want(t, ann.PostForm("/admin/licenses/block", url.Values{"license": {"MIT"}, "reason": {"x"}}), http.StatusForbidden)
		// A member's resource token with read cannot see records either.
		if n := countRows(t, srv, &models.BlockedLicense{}); n != 1 {
			t.Fatalf("%d blocks, want the one the edit token made", n)
		}
	})
}
