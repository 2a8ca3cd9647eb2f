package handlers_test

import (
	"net/http"
	"sync"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// One file lives in two channels as one blob. Deleting it from one channel
// while it is uploaded into the other must leave the other's copy
// downloadable; once both are gone, so is the blob.
func TestDeleteBesideUploadOfTheSameFileKeepsTheBlob(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "left", "private")
		mustChannel(t, adm, "right", "private")
		pkg := condatest.Pkg{Name: "shared"}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		for round := range 8 {
			want(t, uploadTo(t, adm, "left", "", fn, file), http.StatusCreated)
			var wg sync.WaitGroup
			var del, up int
			wg.Add(2)
			go func() {
				defer wg.Done()
				del = adm.Do(http.MethodDelete, "/api/channels/left/artifacts/linux-64/"+fn, nil, "", false).StatusCode
			}()
			go func() { defer wg.Done(); up = uploadTo(t, adm, "right", "", fn, file).StatusCode }()
			wg.Wait()
			if del != http.StatusNoContent || up != http.StatusCreated {
				t.Fatalf("round %d: delete %d, upload %d", round, del, up)
			}
			dl := adm.Get("/api/repo/right/linux-64/" + fn)
			if dl.StatusCode != http.StatusOK || string(dl.Body) != string(file) {
				t.Fatalf("round %d: the other channel's copy is gone: %d", round, dl.StatusCode)
			}
			want(t, adm.Do(http.MethodDelete, "/api/channels/right/artifacts/linux-64/"+fn, nil, "", false), http.StatusNoContent)
			if files := blobFiles(t, srv); len(files) != 0 {
				t.Fatalf("round %d: blobs left behind: %v", round, files)
			}
		}
	})
}
