package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/modeltest"
)

// TestUpgradedServer runs Gatehouse on a database the first release made:
// people sign in with their passwords, the old token strings still work
// with the same reach, and pages keep their permissions.
func TestUpgradedServer(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dsn, secrets := modeltest.FirstRelease(t, b)
			srv := handlertest.StartWith(t, modeltest.OpenDSN(t, dsn), handlertest.Config(t))

			bob := srv.Login("bob@example.com") // reads "internal" and the page through team ops
			if res := bob.Get("/pages/services"); res.StatusCode != http.StatusOK {
				t.Errorf("bob reads the page: %d", res.StatusCode)
			}
			if res := bob.Get("/api/channels/internal"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"level":"read"`) {
				t.Errorf("bob on internal: %d %s", res.StatusCode, res.Body)
			}
			if res := srv.Anonymous().PostForm("/login", map[string][]string{"email": {"gone@example.com"}, "password": {modeltest.Password}}); res.StatusCode == http.StatusSeeOther {
				t.Error("a disabled user signed in")
			}

			ann := srv.Anonymous()
			res := ann.Get("/t/" + secrets.AnnWrite + "/api/repo/internal/noarch/repodata.json")
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "demo-1.0-py_0.conda") || strings.Contains(res.Body, "demo-1.1-py_0.conda") {
				t.Errorf("ann's old token reads repodata: %d %s", res.StatusCode, res.Body)
			}
			if res := ann.Get("/t/" + secrets.AnnWrite + "/api/repo/internal/staging/noarch/repodata.json"); !strings.Contains(res.Body, "demo-1.1-py_0.conda") {
				t.Errorf("ann's old token reads the subchannel: %d %s", res.StatusCode, res.Body)
			}
			if res := ann.Get("/t/" + secrets.AnnWrite + "/api/audit"); res.StatusCode != http.StatusForbidden {
				t.Errorf("ann's resource token reaches the audit log: %d", res.StatusCode)
			}

			admin := srv.Anonymous()
			admin.Header.Set("Authorization", "Bearer "+secrets.AdminScopes)
			res = admin.Get("/v1/pages/services/permissions")
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"read":{"roles":["Admin"],"users":["ann@example.com"],"teams":["ops"]}`) {
				t.Errorf("page permissions after the upgrade: %d %s", res.StatusCode, res.Body)
			}
		})
	}
}
