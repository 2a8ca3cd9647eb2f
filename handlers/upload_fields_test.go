package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// curl -F file=@pkg.conda -F subchannel=dev sends the file first: the
// fields after it still decide where the package goes.
func TestUploadFieldsAfterTheFileCount(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/main/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		pkg := condatest.Pkg{}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		send := func(fields ...string) *handlertest.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			w, _ := mw.CreateFormFile("file", fn)
			w.Write(file)
			for i := 0; i < len(fields); i += 2 {
				mw.WriteField(fields[i], fields[i+1])
			}
			mw.Close()
			return adm.Do(http.MethodPost, "/api/channels/main/artifacts", &buf, mw.FormDataContentType(), false)
		}
		r := send("subchannel", "dev")
		want(t, r, http.StatusCreated)
		if got := r.Map(t)["artifact"].(map[string]any)["subchannel"]; got != "dev" {
			t.Fatalf("uploaded into %q, want dev", got)
		}
		want(t, adm.Get("/api/repo/main/dev/linux-64/"+fn), http.StatusOK)
		want(t, adm.Get("/api/repo/main/linux-64/"+fn), http.StatusNotFound)
		want(t, send("subchannel", "dev"), http.StatusConflict)
		want(t, send("subchannel", "dev", "overwrite", "true"), http.StatusCreated)
		want(t, send("subchannel", "nope"), http.StatusNotFound)
		want(t, send("subdir", "osx-64"), http.StatusUnprocessableEntity)
		if files := blobFiles(t, srv); len(files) != 1 {
			t.Fatalf("blobs %v", files)
		}
	})
}
