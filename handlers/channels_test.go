package handlers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/blobs/blobstest"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// eachBackend runs fn against a fresh server per database and blob store.
func eachBackend(t *testing.T, fn func(t *testing.T, srv *handlertest.Server)) {
	for _, b := range handlertest.Backends(t) {
		t.Run(b.String(), func(t *testing.T) { fn(t, handlertest.StartOn(t, b)) })
	}
}

func multipartBody(t testing.TB, filename string, content []byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// Fields in a fixed order, _csrf first, as a browser sends our form.
	keys := slices.Sorted(maps.Keys(fields))
	if i := slices.Index(keys, "_csrf"); i > 0 {
		keys = append([]string{"_csrf"}, slices.Delete(keys, i, i+1)...)
	}
	for _, k := range keys {
		if err := mw.WriteField(k, fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	if filename != "" {
		w, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func uploadTo(t testing.TB, c *handlertest.Client, channel, query, filename string, content []byte) *handlertest.Response {
	t.Helper()
	body, ct := multipartBody(t, filename, content, nil)
	return c.Do(http.MethodPost, "/api/channels/"+channel+"/artifacts"+query, body, ct, false)
}

func want(t testing.TB, r *handlertest.Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.Body)
	}
}

func mustChannel(t testing.TB, c *handlertest.Client, name, privacy string) {
	t.Helper()
	want(t, c.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": name, "description": "Test " + name, "privacy": privacy}), http.StatusCreated)
}

// blobFiles lists the blobs and staging files the server holds.
func blobFiles(t testing.TB, srv *handlertest.Server) []string {
	t.Helper()
	return blobstest.List(t, srv.Blobs)
}

func TestChannelAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		ann := srv.Login("ann@example.com")

		mustChannel(t, adm, "internal", "")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "internal"}), http.StatusConflict)
		for _, bad := range []string{"Upper", "has space", "", "-dash", strings.Repeat("a", 101), "a/b"} {
			want(t, adm.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": bad}), http.StatusUnprocessableEntity)
		}
		want(t, adm.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "x", "privacy": "secret"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "x", "owner": "me"}), http.StatusBadRequest)
		want(t, ann.SendJSON(http.MethodPost, "/api/channels", map[string]any{"name": "mine"}), http.StatusForbidden)
		want(t, srv.Anonymous().Get("/api/channels"), http.StatusUnauthorized)

		got := adm.Get("/api/channels/internal").Map(t)["channel"].(map[string]any)
		if got["privacy"] != "private" || got["level"] != "manage" || got["description"] != "Test internal" {
			t.Errorf("channel = %v", got)
		}
		// A member sees nothing of a private channel: not in the list, 404 by name.
		if list := ann.Get("/api/channels").Map(t)["channels"].([]any); len(list) != 0 {
			t.Errorf("member lists %v", list)
		}
		missing := ann.Get("/api/channels/nope")
		hidden := ann.Get("/api/channels/internal")
		want(t, hidden, http.StatusNotFound)
		if hidden.Body != missing.Body {
			t.Errorf("a hidden channel answers differently from a missing one: %s vs %s", hidden.Body, missing.Body)
		}
		want(t, ann.SendJSON(http.MethodPatch, "/api/channels/internal", map[string]any{"privacy": "public"}), http.StatusNotFound)

		// Public: readable by a member, still not editable.
		up := adm.SendJSON(http.MethodPatch, "/api/channels/internal", map[string]any{"privacy": "public", "description": "Now public"})
		want(t, up, http.StatusOK)
		got = ann.Get("/api/channels/internal").Map(t)["channel"].(map[string]any)
		if got["level"] != "read" || got["description"] != "Now public" {
			t.Errorf("member sees %v", got)
		}
		want(t, ann.SendJSON(http.MethodPatch, "/api/channels/internal", map[string]any{"description": "x"}), http.StatusForbidden)
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/internal", map[string]any{"privacy": "open"}), http.StatusUnprocessableEntity)

		// Subchannels: subdir names refused.
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/internal/subchannels", map[string]any{"name": "linux-64"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/internal/subchannels", map[string]any{"name": "noarch"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/internal/subchannels", map[string]any{"name": "beta"}), http.StatusCreated)
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/internal/subchannels", map[string]any{"name": "beta"}), http.StatusConflict)
		want(t, ann.SendJSON(http.MethodPost, "/api/channels/internal/subchannels", map[string]any{"name": "gamma"}), http.StatusForbidden)
		got = adm.Get("/api/channels/internal").Map(t)["channel"].(map[string]any)
		if subs := got["subchannels"].([]any); len(subs) != 1 || subs[0] != "beta" {
			t.Errorf("subchannels = %v", subs)
		}
		want(t, adm.Do(http.MethodDelete, "/api/channels/internal/subchannels/beta", nil, "", false), http.StatusNoContent)
		want(t, adm.Do(http.MethodDelete, "/api/channels/internal/subchannels/beta", nil, "", false), http.StatusNotFound)

		want(t, ann.Do(http.MethodDelete, "/api/channels/internal", nil, "", false), http.StatusForbidden)
		want(t, adm.Do(http.MethodDelete, "/api/channels/internal", nil, "", false), http.StatusNoContent)
		want(t, adm.Get("/api/channels/internal"), http.StatusNotFound)

		events, err := srv.Store.AuditEvents(t.Context(), models.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range events {
			seen[e.Action] = true
			if e.Action == "channel.update" && !strings.Contains(e.Details, `"old"`) {
				t.Errorf("update audit lacks old values: %s", e.Details)
			}
		}
		for _, a := range []string{"channel.create", "channel.update", "subchannel.create", "subchannel.delete", "channel.delete"} {
			if !seen[a] {
				t.Errorf("no %s audit event", a)
			}
		}
	})
}

func TestChannelPermissionsAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		ctx := t.Context()
		adm := srv.AsAdmin()
		ann := modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		modeltest.MustUser(t, srv.Store, "bob@example.com", access.RoleMember)
		team, err := srv.Store.CreateTeam(ctx, "ops", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := srv.Store.SetTeamMembers(ctx, team.ID, []string{ann.Email}); err != nil {
			t.Fatal(err)
		}
		mustChannel(t, adm, "tools", "private")
		path := "/api/channels/tools/permissions"

		perms := adm.Get(path).Map(t)["permissions"].(map[string]any)
		for _, l := range []string{"read", "write", "manage"} {
			g := perms[l].(map[string]any)
			if len(g["roles"].([]any))+len(g["users"].([]any))+len(g["teams"].([]any)) != 0 {
				t.Errorf("%s not empty: %v", l, g)
			}
		}
		for body, names := range map[string][]string{
			`{"owner": {"roles": []}}`:                 {"owner"},
			`{"read": {"groups": ["x"]}, "admin": {}}`: {"read.groups", "admin"},
			`{"read": {"roles": [], "people": []}}`:    {"read.people"},
		} {
			r := adm.SendJSON(http.MethodPatch, path, body)
			want(t, r, http.StatusBadRequest)
			for _, n := range names {
				if !strings.Contains(r.Body, n) {
					t.Errorf("%s: error does not name %s: %s", body, n, r.Body)
				}
			}
		}
		want(t, adm.SendJSON(http.MethodPatch, path, `{"read": "ops"}`), http.StatusBadRequest)
		want(t, adm.SendJSON(http.MethodPatch, path, `{"read": {"teams": "ops"}}`), http.StatusBadRequest)
		want(t, adm.SendJSON(http.MethodPatch, path, `{"read": {"teams": ["ops"]}`), http.StatusBadRequest)
		want(t, adm.Do(http.MethodPatch, path, bytes.NewReader(append([]byte(`{"read":{"users":["`), bytes.Repeat([]byte("a"), 2<<20)...)), "application/json", false), http.StatusRequestEntityTooLarge)
		r := adm.SendJSON(http.MethodPatch, path, `{"read": {"teams": ["ops", "ghosts"]}, "write": {"users": ["nobody@example.com"]}}`)
		want(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, "ghosts") || !strings.Contains(r.Body, "nobody@example.com") {
			t.Errorf("422 does not name the unknown principals: %s", r.Body)
		}
		if g, _ := srv.Store.GrantsFor(ctx, models.ResourceChannel, []uint{1}); !g[1]["read"].Empty() {
			t.Errorf("a refused PATCH wrote %v", g[1])
		}

		annC := srv.Login("ann@example.com")
		bobC := srv.Login("bob@example.com")
		want(t, annC.Get("/api/channels/tools"), http.StatusNotFound)

		// Team read: ann reads, cannot upload; bob still sees nothing.
		r = adm.SendJSON(http.MethodPatch, path, map[string]any{"read": map[string]any{"teams": []string{"ops"}}})
		want(t, r, http.StatusOK)
		if got := r.Map(t)["permissions"].(map[string]any)["read"].(map[string]any)["teams"].([]any); len(got) != 1 || got[0] != "ops" {
			t.Errorf("read.teams = %v", got)
		}
		want(t, annC.Get("/api/channels/tools"), http.StatusOK)
		want(t, annC.Get(path), http.StatusOK)
		want(t, bobC.Get("/api/channels/tools"), http.StatusNotFound)
		pkg := condatest.Pkg{}
		want(t, uploadTo(t, annC, "tools", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusForbidden)
		want(t, annC.SendJSON(http.MethodPatch, path, map[string]any{"read": map[string]any{"users": []string{"bob@example.com"}}}), http.StatusForbidden)

		// User write (keys left out are unchanged): ann uploads.
		want(t, adm.SendJSON(http.MethodPatch, path, map[string]any{"write": map[string]any{"users": []string{"ANN@example.com"}}}), http.StatusOK)
		want(t, uploadTo(t, annC, "tools", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
		want(t, annC.Do(http.MethodDelete, "/api/channels/tools/artifacts/linux-64/"+pkg.Filename(conda.Conda), nil, "", false), http.StatusForbidden)

		// Role manage: everyone with Member manages; the read list is unchanged.
		r = adm.SendJSON(http.MethodPatch, path, map[string]any{"manage": map[string]any{"roles": []string{"Member"}}})
		want(t, r, http.StatusOK)
		perms = r.Map(t)["permissions"].(map[string]any)
		if got := perms["read"].(map[string]any)["teams"].([]any); len(got) != 1 {
			t.Errorf("read changed by a manage PATCH: %v", perms["read"])
		}
		want(t, bobC.Do(http.MethodDelete, "/api/channels/tools/artifacts/linux-64/"+pkg.Filename(conda.Conda), nil, "", false), http.StatusNoContent)

		// Emptying a list revokes.
		want(t, adm.SendJSON(http.MethodPatch, path, `{"manage": {"roles": []}, "write": {"users": []}, "read": {"teams": []}}`), http.StatusOK)
		want(t, annC.Get("/api/channels/tools"), http.StatusNotFound)

		events, _ := srv.Store.AuditEvents(ctx, models.AuditFilter{})
		n := 0
		for _, e := range events {
			if e.Action == "channel.permissions" {
				n++
				d := e.DetailsMap()
				if d["old"] == nil || d["new"] == nil {
					t.Errorf("permission audit lacks old/new: %s", e.Details)
				}
			}
		}
		if n != 4 {
			t.Errorf("%d permission audit events, want 4", n)
		}
	})
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func repodata(t testing.TB, c *handlertest.Client, path string) map[string]any {
	t.Helper()
	r := c.Get(path)
	want(t, r, http.StatusOK)
	var rd map[string]any
	if err := json.Unmarshal([]byte(r.Body), &rd); err != nil {
		t.Fatalf("repodata is not JSON: %v", err)
	}
	return rd
}

func TestUploadRepodataDownloadRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/main/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		for _, f := range []conda.Format{conda.Conda, conda.TarBz2} {
			for _, sub := range []string{"", "dev"} {
				t.Run(f.Ext()+"/"+sub, func(t *testing.T) {
					pkg := condatest.Pkg{Name: "tool", Version: "1.2.3", Build: "py_0", Subdir: "noarch", Noarch: "python", Depends: []string{"python >=3.9"}, License: "BSD-3-Clause", Timestamp: 1711111111111}
					file := condatest.Build(t, pkg, f)
					fn := pkg.Filename(f)
					query, base := "", "/api/repo/main/noarch/"
					if sub != "" {
						query, base = "?subchannel="+sub, "/api/repo/main/"+sub+"/noarch/"
					}
					r := uploadTo(t, adm, "main", query, fn, file)
					want(t, r, http.StatusCreated)
					art := r.Map(t)["artifact"].(map[string]any)
					if art["sha256"] != sha(file) || art["size"] != float64(len(file)) || art["subdir"] != "noarch" {
						t.Errorf("artifact = %v", art)
					}

					rd := repodata(t, adm, base+"repodata.json")
					key := "packages"
					if f == conda.Conda {
						key = "packages.conda"
					}
					rec, ok := rd[key].(map[string]any)[fn].(map[string]any)
					if !ok {
						t.Fatalf("%s not under %s: %v", fn, key, rd)
					}
					var ix map[string]any
					json.Unmarshal(pkg.IndexJSON(), &ix)
					for _, k := range []string{"name", "version", "build", "build_number", "subdir", "license", "timestamp", "noarch"} {
						if rec[k] != ix[k] {
							t.Errorf("record %s = %v, index.json says %v", k, rec[k], ix[k])
						}
					}
					if d := rec["depends"].([]any); len(d) != 1 || d[0] != "python >=3.9" {
						t.Errorf("depends = %v", d)
					}
					if rec["sha256"] != sha(file) || rec["size"] != float64(len(file)) || len(rec["md5"].(string)) != 32 {
						t.Errorf("record hashes = %v", rec)
					}
					if rd["info"].(map[string]any)["subdir"] != "noarch" || rd["repodata_version"] != float64(1) {
						t.Errorf("repodata head = %v %v", rd["info"], rd["repodata_version"])
					}

					// The download is the uploaded file, byte for byte, with ranges.
					dl := adm.Get(base + fn)
					want(t, dl, http.StatusOK)
					if sha([]byte(dl.Body)) != sha(file) {
						t.Fatal("download differs from the upload")
					}
					req, _ := http.NewRequest(http.MethodGet, srv.URL+base+fn, nil)
					req.Header.Set("Range", "bytes=2-9")
					res, err := adm.HTTP.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					buf := new(bytes.Buffer)
					buf.ReadFrom(res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusPartialContent || !bytes.Equal(buf.Bytes(), file[2:10]) {
						t.Errorf("range: %d %q", res.StatusCode, buf.Bytes())
					}

					// Same file name again: 409, unless overwrite.
					want(t, uploadTo(t, adm, "main", query, fn, file), http.StatusConflict)
					sep := "?"
					if query != "" {
						sep = "&"
					}
					want(t, uploadTo(t, adm, "main", query+sep+"overwrite=true", fn, file), http.StatusCreated)

					// ETag and 304; .zst is the same document.
					first := adm.Get(base + "repodata.json")
					etag := first.Header.Get("ETag")
					if etag == "" {
						t.Fatal("no ETag")
					}
					req, _ = http.NewRequest(http.MethodGet, srv.URL+base+"repodata.json", nil)
					req.Header.Set("If-None-Match", etag)
					res, err = adm.HTTP.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
					if res.StatusCode != http.StatusNotModified {
						t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
					}
					zr := adm.Get(base + "repodata.json.zst")
					want(t, zr, http.StatusOK)
					dec, _ := zstd.NewReader(nil)
					plain, err := dec.DecodeAll([]byte(zr.Body), nil)
					if err != nil || string(plain) != first.Body {
						t.Errorf(".zst does not decode to repodata.json: %v", err)
					}

					// Delete: gone from repodata (new ETag), file and blob gone.
					del := "/api/channels/main/artifacts/noarch/" + fn
					if sub != "" {
						del = "/api/channels/main/subchannels/" + sub + "/artifacts/noarch/" + fn
					}
					want(t, adm.Do(http.MethodDelete, del, nil, "", false), http.StatusNoContent)
					after := adm.Get(base + "repodata.json")
					if after.Header.Get("ETag") == etag || strings.Contains(after.Body, fn) {
						t.Errorf("repodata still lists %s after delete", fn)
					}
					want(t, adm.Get(base+fn), http.StatusNotFound)
					want(t, adm.Do(http.MethodDelete, del, nil, "", false), http.StatusNotFound)
					if files := blobFiles(t, srv); len(files) != 0 {
						t.Errorf("blobs left after delete: %v", files)
					}
				})
			}
		}
		// A known subdir without packages: empty but valid repodata.
		rd := repodata(t, adm, "/api/repo/main/win-64/repodata.json")
		if len(rd["packages"].(map[string]any)) != 0 || len(rd["packages.conda"].(map[string]any)) != 0 || rd["info"].(map[string]any)["subdir"] != "win-64" {
			t.Errorf("empty repodata = %v", rd)
		}
		want(t, adm.Get("/api/repo/main/plan9/repodata.json"), http.StatusNotFound)
		want(t, adm.Get("/api/repo/main/nosuchsub/noarch/repodata.json"), http.StatusNotFound)
		want(t, adm.Get("/api/repo/main/noarch/missing-1-0.conda"), http.StatusNotFound)

		events, _ := srv.Store.AuditEvents(t.Context(), models.AuditFilter{})
		seen := map[string]int{}
		for _, e := range events {
			seen[e.Action]++
		}
		if seen["artifact.upload"] != 4 || seen["artifact.overwrite"] != 4 || seen["artifact.delete"] != 4 {
			t.Errorf("audit counts: %v", seen)
		}
	})
}

func TestPrivateChannelStaysClosed(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "secret", "private")
		mustChannel(t, adm, "open", "public")
		pkg := condatest.Pkg{}
		for _, ch := range []string{"secret", "open"} {
			want(t, uploadTo(t, adm, ch, "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
		}
		modeltest.MustUser(t, srv.Store, "eve@example.com", access.RoleMember)
		for name, c := range map[string]*handlertest.Client{"anonymous": srv.Anonymous(), "member": srv.Login("eve@example.com")} {
			t.Run(name, func(t *testing.T) {
				for _, p := range []string{"linux-64/repodata.json", "linux-64/repodata.json.zst", "linux-64/" + pkg.Filename(conda.Conda)} {
					hidden := c.Get("/api/repo/secret/" + p)
					missing := c.Get("/api/repo/no-such-channel/" + p)
					want(t, hidden, http.StatusNotFound)
					if hidden.Body != missing.Body {
						t.Errorf("%s: private answers %q, missing answers %q", p, hidden.Body, missing.Body)
					}
					want(t, c.Get("/api/repo/open/"+p), http.StatusOK)
				}
				want(t, c.Do(http.MethodHead, "/api/repo/secret/linux-64/repodata.json", nil, "", false), http.StatusNotFound)
				head := c.Do(http.MethodHead, "/api/repo/open/linux-64/repodata.json", nil, "", false)
				want(t, head, http.StatusOK)
				if head.Header.Get("Content-Length") != fmt.Sprint(len(c.Get("/api/repo/open/linux-64/repodata.json").Body)) || head.Header.Get("ETag") == "" {
					t.Errorf("HEAD headers: %v", head.Header)
				}
				want(t, c.Get("/api/repo/open/linux-64/current_repodata.json"), http.StatusOK)
			})
		}
		// Anonymous cannot upload even to a public channel.
		want(t, uploadTo(t, srv.Anonymous(), "open", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusUnauthorized)
	})
}

// TestHostileUploads sends each bad upload on its own and checks that it is
// refused with a clear 4xx and that nothing is stored: no row, no blob, no
// staging file.
func TestHostileUploads(t *testing.T) {
	good := condatest.Pkg{}
	type hostile struct {
		filename string
		content  func(t testing.TB) []byte
		query    string
		status   int
		says     string
	}
	build := func(p condatest.Pkg, f conda.Format) func(testing.TB) []byte {
		return func(t testing.TB) []byte { return condatest.Build(t, p, f) }
	}
	cases := map[string]hostile{
		"too large":          {good.Filename(conda.Conda), func(testing.TB) []byte { return bytes.Repeat([]byte("x"), 300<<10) }, "", http.StatusRequestEntityTooLarge, "larger"},
		"decompression bomb": {good.Filename(conda.TarBz2), build(condatest.Pkg{InfoFiles: []condatest.Entry{{Name: "info/zeros", Zeros: 64 << 20}}}, conda.TarBz2), "", http.StatusUnprocessableEntity, "bomb"},
		"zstd bomb":          {good.Filename(conda.Conda), build(condatest.Pkg{InfoFiles: []condatest.Entry{{Name: "info/zeros", Zeros: 64 << 20}}}, conda.Conda), "", http.StatusUnprocessableEntity, "bomb"},
		"path traversal":     {good.Filename(conda.TarBz2), build(condatest.Pkg{Files: []condatest.Entry{{Name: "../../etc/cron.d/evil", Body: []byte("x")}}}, conda.TarBz2), "", http.StatusUnprocessableEntity, "escapes"},
		"symlink traversal":  {good.Filename(conda.Conda), build(condatest.Pkg{Files: []condatest.Entry{{Name: "bin/x", Link: "../../../../root/.ssh/id_rsa"}}}, conda.Conda), "", http.StatusUnprocessableEntity, "link"},
		"missing index.json": {good.Filename(conda.Conda), build(condatest.Pkg{NoIndex: true}, conda.Conda), "", http.StatusUnprocessableEntity, "index.json"},
		"malformed index":    {good.Filename(conda.TarBz2), build(condatest.Pkg{RawIndex: []byte(`{"name": "demo", "version": `)}, conda.TarBz2), "", http.StatusUnprocessableEntity, "malformed"},
		"subdir disagrees":   {good.Filename(conda.Conda), build(good, conda.Conda), "?subdir=osx-arm64", http.StatusUnprocessableEntity, "subdir"},
		"name disagrees":     {"other-9.9-0.conda", build(good, conda.Conda), "", http.StatusUnprocessableEntity, "does not match"},
		"not a package":      {"notes.txt", func(testing.TB) []byte { return []byte("hello") }, "", http.StatusUnprocessableEntity, ".conda"},
		"not an archive":     {good.Filename(conda.Conda), func(testing.TB) []byte { return []byte("PK but not really") }, "", http.StatusUnprocessableEntity, "zip"},
		"no file field":      {"", func(testing.TB) []byte { return nil }, "", http.StatusBadRequest, "file"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, b := range handlertest.Backends(t) {
				t.Run(b.String(), func(t *testing.T) {
					srv := handlertest.StartWith(t, modeltest.Open(t, b.DB), handlertest.WithBlobs(t, webConfig(t, 256<<10), b.Blobs))
					adm := srv.AsAdmin()
					mustChannel(t, adm, "target", "private")
					r := uploadTo(t, adm, "target", tc.query, tc.filename, tc.content(t))
					want(t, r, tc.status)
					if !strings.Contains(r.Body, tc.says) || !strings.Contains(r.Body, `"ok":false`) {
						t.Errorf("error does not explain (%q): %s", tc.says, r.Body)
					}
					arts, err := srv.Store.Artifacts(t.Context(), 1, models.ArtifactFilter{})
					if err != nil || len(arts) != 0 {
						t.Errorf("artifacts stored: %v %v", arts, err)
					}
					if files := blobFiles(t, srv); len(files) != 0 {
						t.Errorf("files left behind: %v", files)
					}
				})
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		srv := handlertest.Start(t, modeltest.SQLite)
		adm := srv.AsAdmin()
		mustChannel(t, adm, "target", "private")
		want(t, adm.Do(http.MethodPost, "/api/channels/target/artifacts", strings.NewReader("{}"), "application/json", false), http.StatusBadRequest)
	})
}

func TestParallelUploadsLoseNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "busy", "private")
		const n = 12
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := conda.Conda
				if i%2 == 1 {
					f = conda.TarBz2
				}
				pkg := condatest.Pkg{Name: "pkg" + string(rune('a'+i)), Subdir: "linux-64"}
				statuses[i] = uploadTo(t, adm, "busy", "", pkg.Filename(f), condatest.Build(t, pkg, f)).StatusCode
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusCreated {
				t.Errorf("upload %d: status %d", i, s)
			}
		}
		rd := repodata(t, adm, "/api/repo/busy/linux-64/repodata.json")
		got := len(rd["packages"].(map[string]any)) + len(rd["packages.conda"].(map[string]any))
		if got != n {
			t.Errorf("repodata lists %d packages, want %d", got, n)
		}
		if files := blobFiles(t, srv); len(files) != n {
			t.Errorf("%d blobs, want %d", len(files), n)
		}
		list := adm.Get("/api/channels/busy/artifacts").Map(t)["artifacts"].([]any)
		if len(list) != n {
			t.Errorf("list has %d artifacts", len(list))
		}
	})
}

func webConfig(t testing.TB, maxUpload int64) web.Config {
	return web.Config{DataDir: t.TempDir(), MaxUpload: maxUpload}
}

// TestRepodataCacheAcrossInstances runs two servers on one database and one
// blob directory: a change made through one is seen at once by the other,
// whose cache was warm.
func TestRepodataCacheAcrossInstances(t *testing.T) {
	for _, b := range handlertest.Backends(t) {
		if b.DB != modeltest.Postgres {
			continue // several instances share PostgreSQL; SQLite serves one
		}
		t.Run(b.String(), func(t *testing.T) {
			dsn := modeltest.DSN(t, b.DB)
			open := func() *models.Store {
				s, err := models.Open(dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			first := open()
			if err := first.Migrate(); err != nil {
				t.Fatal(err)
			}
			cfg := handlertest.WithBlobs(t, webConfig(t, 1<<20), b.Blobs)
			one := handlertest.StartWith(t, first, cfg)
			two := handlertest.StartWith(t, open(), cfg)
			a1, a2 := one.AsAdmin(), two.AsAdmin()
			mustChannel(t, a1, "shared", "private")
			path := "/api/repo/shared/linux-64/repodata.json"
			count := func(rd map[string]any) int {
				return len(rd["packages"].(map[string]any)) + len(rd["packages.conda"].(map[string]any))
			}
			if n := count(repodata(t, a2, path)); n != 0 { // warms instance two's cache
				t.Fatalf("%d packages before any upload", n)
			}
			// Instance two hears of a change within 100 ms (NOTIFY): poll that long.
			eventually := func(ok func() bool) bool {
				for deadline := time.Now().Add(100 * time.Millisecond); !ok(); {
					if time.Now().After(deadline) {
						return false
					}
				}
				return true
			}
			p1, p2 := condatest.Pkg{Name: "one"}, condatest.Pkg{Name: "two"}
			want(t, uploadTo(t, a1, "shared", "", p1.Filename(conda.Conda), condatest.Build(t, p1, conda.Conda)), http.StatusCreated)
			if !eventually(func() bool { return count(repodata(t, a2, path)) == 1 }) {
				t.Fatalf("instance two lists %d packages after an upload through one", count(repodata(t, a2, path)))
			}
			want(t, uploadTo(t, a2, "shared", "", p2.Filename(conda.TarBz2), condatest.Build(t, p2, conda.TarBz2)), http.StatusCreated)
			want(t, a1.Do(http.MethodDelete, "/api/channels/shared/artifacts/linux-64/"+p1.Filename(conda.Conda), nil, "", false), http.StatusNoContent)
			var rd map[string]any
			if !eventually(func() bool {
				rd = repodata(t, a2, path)
				return count(rd) == 1 && rd["packages"].(map[string]any)[p2.Filename(conda.TarBz2)] != nil
			}) {
				t.Fatalf("instance two serves stale repodata: %v", rd)
			}
			want(t, a1.Get("/api/repo/shared/linux-64/"+p2.Filename(conda.TarBz2)), http.StatusOK) // the blob directory or bucket is shared
		})
	}
}
