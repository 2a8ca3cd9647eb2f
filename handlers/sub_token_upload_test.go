package handlers_test

import (
	"net/http"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
)

// A token that may write only to one subchannel uploads there whether the
// subchannel is named in the query or, as the API documents, in a form
// field; it still cannot upload to the channel itself or another subchannel.
func TestSubchannelTokenUploadsWithTheSubchannelAsAField(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		for _, s := range []string{"dev", "qa"} {
			want(t, adm.SendJSON(http.MethodPost, "/api/channels/main/subchannels", map[string]any{"name": s}), http.StatusCreated)
		}
		secret := mustToken(t, srv.Store, handlertest.Admin, "dev-ci", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Sub: "dev", Level: access.Write}}})
		ci := withToken(srv, secret)
		pkg := condatest.Pkg{}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		send := func(query string, fields map[string]string) *handlertest.Response {
			body, ct := multipartBody(t, fn, file, fields)
			return ci.Do(http.MethodPost, "/api/channels/main/artifacts"+query, body, ct, false)
		}
		want(t, send("", map[string]string{"subchannel": "dev"}), http.StatusCreated)
		want(t, send("?subchannel=dev", map[string]string{"overwrite": "true"}), http.StatusCreated)
		if r := send("", nil); r.StatusCode < 400 {
			t.Fatalf("upload to the channel itself: %d", r.StatusCode)
		}
		if r := send("", map[string]string{"subchannel": "qa"}); r.StatusCode < 400 {
			t.Fatalf("upload to another subchannel: %d", r.StatusCode)
		}
		if files := blobFiles(t, srv); len(files) != 1 {
			t.Fatalf("blobs %v", files)
		}
	})
}
