package handlers_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/handlertest"
)

// Names no channel can have (NUL, invalid UTF-8) are refused at the edge
// with 400 on every database, never a server error.
func TestImpossibleChannelNamesAreRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "public")
		for _, p := range []string{
			"/api/repo/%00/linux-64/repodata.json",
			"/api/repo/%FF/linux-64/repodata.json",
			"/api/repo/main/%00/linux-64/repodata.json",
			"/api/repo/main/%FF/linux-64/repodata.json",
			"/api/channels/%00",
			"/api/channels/main/artifacts?subchannel=%00",
			"/channels/main?sub=%FF",
		} {
			for name, c := range map[string]*handlertest.Client{"admin": adm, "anonymous": srv.Anonymous()} {
				r := c.Get(p)
				// Anonymous callers are sent to sign in first where the route needs it.
				if r.StatusCode != http.StatusBadRequest && (name == "admin" || r.StatusCode >= 500 || r.StatusCode < 300) {
					t.Errorf("%s %s: %d", name, p, r.StatusCode)
				}
			}
		}
	})
}

// The same for package file names and subdirs.
func TestImpossibleArtifactNamesAreRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "public")
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, "/api/repo/main/linux-64/%00.conda"},
			{http.MethodGet, "/api/repo/main/linux-64/%FF.conda"},
			{http.MethodDelete, "/api/channels/main/artifacts/linux-64/%00.conda"},
			{http.MethodDelete, "/api/channels/main/artifacts/%FF/x.conda"},
			{http.MethodGet, "/channels/main/artifacts/delete?subdir=linux-64&filename=%00"},
		} {
			if res := adm.Do(r.method, r.path, nil, "", false); res.StatusCode != http.StatusBadRequest {
				t.Errorf("%s %s: %d", r.method, r.path, res.StatusCode)
			}
		}
		if res := adm.Get("/api/channels/main/artifacts?subdir=%00"); res.StatusCode != http.StatusBadRequest {
			t.Errorf("list with a NUL subdir: %d", res.StatusCode)
		}
	})
}
