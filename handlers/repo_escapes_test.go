package handlers_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// A package file name with "!" (an epoch) or "+" (a local version) is
// found however the client spells it in the URL; encoded slashes and dots
// never reach anything else.
func TestRepoPathsDecodeOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		mustChannel(t, adm, "other", "private")
		pkg := condatest.Pkg{Version: "1!2.0+x"}
		file := condatest.Build(t, pkg, conda.Conda)
		r := uploadTo(t, adm, "main", "", pkg.Filename(conda.Conda), file)
		want(t, r, http.StatusCreated)
		for _, p := range []string{
			r.Map(t)["artifact"].(map[string]any)["url"].(string),
			"/api/repo/main/linux-64/demo-1!2.0+x-h1234_0.conda",
			"/api/repo/main/linux-64/demo-1%212.0%2Bx-h1234_0.conda",
			"/api/repo/%6Dain/linux-64/demo-1%212.0%2Bx-h1234_0.conda",
		} {
			if res := adm.Get(p); res.StatusCode != http.StatusOK || string(res.Body) != string(file) {
				t.Errorf("%s: %d", p, res.StatusCode)
			}
		}
		for _, p := range []string{
			"/api/repo/main%2Flinux-64/repodata.json",
			"/api/repo/main/linux-64%2Frepodata.json",
			"/api/repo/other/..%2Fmain/linux-64/repodata.json",
			"/api/repo/other/%2E%2E/main/linux-64/repodata.json",
			"/api/repo/main/linux-64/..%2F..%2Fetc%2Fpasswd",
			"/api/repo/main/linux-64/demo-1%25212.0+x-h1234_0.conda",
			"/api/repo/main%5Clinux-64%5Crepodata.json",
		} {
			if res := adm.Get(p); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, res.StatusCode)
			}
		}
	})
}

// Deleting through the API takes the file name however the client encodes
// it (Python's quote() sends "+" as %2B).
func TestDeleteArtifactTakesAnEncodedFileName(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		pkg := condatest.Pkg{Version: "1!2.0+x"}
		want(t, uploadTo(t, adm, "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
		want(t, adm.Do(http.MethodDelete, "/api/channels/main/artifacts/linux-64/demo-1%212.0%2Bx-h1234_0.conda", nil, "", false), http.StatusNoContent)
		want(t, adm.Get("/api/repo/main/linux-64/demo-1!2.0+x-h1234_0.conda"), http.StatusNotFound)
	})
}
