package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// subchannel:view, subchannel:view-artifacts and artifact:view each open
// their own read routes, to a reader of the channel, and nothing else.
func TestSubchannelAndArtifactReads(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/main/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		pkg := condatest.Pkg{Name: "tool", Version: "1.0", Build: "0", Subdir: "noarch", Timestamp: 1711111111111}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		want(t, uploadTo(t, adm, "main", "?subchannel=dev", fn, file), http.StatusCreated)
		want(t, uploadTo(t, adm, "main", "", fn, file), http.StatusCreated)
		modeltest.MustUser(t, srv.Store, "reader@example.com", access.RoleMember)
		modeltest.MustUser(t, srv.Store, "stranger@example.com", access.RoleMember)
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/main/permissions", map[string]any{"read": map[string]any{"users": []string{"reader@example.com"}}}), http.StatusOK)

		subs := "/api/channels/main/subchannels"
		sub := subs + "/dev"
		subArts := sub + "/artifacts"
		art := "/api/channels/main/artifacts/noarch/" + fn
		subArt := subArts + "/noarch/" + fn
		tok := func(scopes ...string) *handlertest.Client {
			return withToken(srv, mustToken(t, srv.Store, "reader@example.com", scopes[0], access.TokenGrant{Scopes: scopes}))
		}
		for _, tc := range []struct {
			c    *handlertest.Client
			want map[string]int
		}{
			{srv.Login("reader@example.com"), map[string]int{subs: 200, sub: 200, subArts: 200, art: 200, subArt: 200}},
			{srv.Login("stranger@example.com"), map[string]int{subs: 404, sub: 404, subArts: 404, art: 404, subArt: 404}},
			{tok("subchannel:view"), map[string]int{subs: 200, sub: 200, subArts: 403, art: 403, subArt: 403}},
			{tok("subchannel:view-artifacts"), map[string]int{subs: 403, sub: 403, subArts: 200, art: 403, subArt: 403}},
			{tok("artifact:view"), map[string]int{subs: 403, sub: 403, subArts: 403, art: 200, subArt: 200}},
			{tok("channel:view"), map[string]int{subs: 403, sub: 403, subArts: 403, art: 403, subArt: 403}},
		} {
			for path, status := range tc.want {
				if r := tc.c.Get(path); r.StatusCode != status {
					t.Errorf("%s: %d, want %d", path, r.StatusCode, status)
				}
			}
		}
		r := adm.Get(subArts)
		want(t, r, http.StatusOK)
		if arts := r.Map(t)["artifacts"].([]any); len(arts) != 1 || arts[0].(map[string]any)["subchannel"] != "dev" {
			t.Errorf("subchannel artifacts: %v", arts)
		}
		if a := adm.Get(subArt).Map(t)["artifact"].(map[string]any); a["sha256"] != sha(file) || a["subchannel"] != "dev" {
			t.Errorf("artifact: %v", a)
		}
		want(t, adm.Get("/api/channels/main/artifacts/noarch/missing-1-0.conda"), http.StatusNotFound)
		want(t, adm.Get("/api/channels/main/subchannels/nosuch"), http.StatusNotFound)
		want(t, adm.Get("/api/channels/main/artifacts/plan9/"+fn), http.StatusNotFound)
	})
}

// subchannel:edit changes a subchannel's description and artifact:edit an
// artifact's summary and home page, at manage; both are audited where the
// history finds them, and bad input stores nothing.
func TestSubchannelAndArtifactEdits(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/main/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		pkg := condatest.Pkg{Name: "tool", Version: "1.0", Build: "0", Subdir: "noarch", Timestamp: 1711111111111}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		want(t, uploadTo(t, adm, "main", "?subchannel=dev", fn, file), http.StatusCreated)
		modeltest.MustUser(t, srv.Store, "mgr@example.com", access.RoleMember)
		modeltest.MustUser(t, srv.Store, "writer@example.com", access.RoleMember)
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/main/permissions", map[string]any{
			"manage": map[string]any{"users": []string{"mgr@example.com"}}, "write": map[string]any{"users": []string{"writer@example.com"}}}), http.StatusOK)
		sub := "/api/channels/main/subchannels/dev"
		art := sub + "/artifacts/noarch/" + fn
		subTok := withToken(srv, mustToken(t, srv.Store, "mgr@example.com", "sub", access.TokenGrant{Scopes: []string{"subchannel:edit"}}))
		artTok := withToken(srv, mustToken(t, srv.Store, "mgr@example.com", "art", access.TokenGrant{Scopes: []string{"artifact:edit"}}))
		writer := srv.Login("writer@example.com")

		want(t, subTok.SendJSON(http.MethodPatch, sub, map[string]any{"description": "Nightly builds"}), http.StatusOK)
		want(t, subTok.SendJSON(http.MethodPatch, art, map[string]any{"summary": "x"}), http.StatusForbidden)
		want(t, artTok.SendJSON(http.MethodPatch, sub, map[string]any{"description": "x"}), http.StatusForbidden)
		want(t, writer.SendJSON(http.MethodPatch, sub, map[string]any{"description": "x"}), http.StatusForbidden)
		want(t, writer.SendJSON(http.MethodPatch, art, map[string]any{"summary": "x"}), http.StatusForbidden)
		r := artTok.SendJSON(http.MethodPatch, art, map[string]any{"summary": "A tool", "home": "https://tool.example/"})
		want(t, r, http.StatusOK)
		if a := r.Map(t)["artifact"].(map[string]any); a["summary"] != "A tool" || a["home"] != "https://tool.example/" {
			t.Errorf("artifact: %v", a)
		}
		for _, tc := range []struct {
			path string
			body any
			code int
		}{
			{sub, map[string]any{"description": strings.Repeat("d", 1001)}, 422},
			{sub, map[string]any{}, 422},
			{sub, map[string]any{"description": 5}, 400},
			{sub, map[string]any{"name": "renamed"}, 400},
			{art, map[string]any{"home": "javascript:alert(1)"}, 422},
			{art, map[string]any{"summary": "ok", "home": "ftp://x"}, 422},
			{art, map[string]any{"summary": strings.Repeat("s", 100000)}, 422},
			{art, map[string]any{"sha256": "00"}, 400},
			{"/api/channels/main/subchannels/nosuch", map[string]any{"description": "x"}, 404},
			{sub + "/artifacts/noarch/missing-1-0.conda", map[string]any{"summary": "x"}, 404},
		} {
			if r := adm.SendJSON(http.MethodPatch, tc.path, tc.body); r.StatusCode != tc.code {
				t.Errorf("%s %v: %d, want %d: %s", tc.path, tc.body, r.StatusCode, tc.code, r.Body)
			}
		}
		if s := adm.Get(sub).Map(t)["subchannel"].(map[string]any); s["description"] != "Nightly builds" {
			t.Errorf("subchannel after refusals: %v", s)
		}
		if a := adm.Get(art).Map(t)["artifact"].(map[string]any); a["summary"] != "A tool" || a["home"] != "https://tool.example/" {
			t.Errorf("artifact after refusals: %v", a)
		}
		cd := adm.Get("/api/repo/main/dev/channeldata.json")
		if cd.StatusCode == http.StatusOK && !strings.Contains(cd.Body, "A tool") {
			t.Errorf("channeldata still has the old summary: %s", cd.Body)
		}
		h := readHistory(t, adm, "/api/channels/main/subchannels/dev/history")
		if got := actions(h); got != "artifact.edit@dev subchannel.update@dev artifact.upload@dev subchannel.create@dev" {
			t.Errorf("history: %s", got)
		}
	})
}
