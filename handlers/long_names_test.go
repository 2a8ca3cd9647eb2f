package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// A package whose file name would not fit the catalog is a clear 422 on
// every database, and nothing is stored.
func TestOverlongPackageFileNameIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		pkg := condatest.Pkg{Name: "n" + strings.Repeat("a", 150), Build: "b" + strings.Repeat("c", 150)}
		r := uploadTo(t, adm, "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda))
		want(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, "too long") {
			t.Errorf("message: %s", r.Body)
		}
		if files := blobFiles(t, srv); len(files) != 0 {
			t.Errorf("files left: %v", files)
		}
	})
}

// index.json text PostgreSQL cannot store is refused up front.
func TestLicenseWithNULIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		for _, field := range []string{"license", "license_family"} {
			pkg := condatest.Pkg{Index: map[string]any{"name": "demo", "version": "1.0.0", "build": "h1234_0", "build_number": 0, "subdir": "linux-64", field: "MIT\x00"}}
			want(t, uploadTo(t, adm, "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusUnprocessableEntity)
		}
		if files := blobFiles(t, srv); len(files) != 0 {
			t.Errorf("files left: %v", files)
		}
	})
}
