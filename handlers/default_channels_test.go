package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func defaultsOf(t *testing.T, c *handlertest.Client) []string {
	t.Helper()
	r := c.Get("/api/default-channels")
	want(t, r, http.StatusOK)
	var body struct {
		Defaults struct {
			Channels []string `json:"default_channels"`
		} `json:"defaults"`
	}
	r.JSON(t, &body)
	return body.Defaults.Channels
}

func putDefaults(c *handlertest.Client, names ...string) *handlertest.Response {
	if names == nil {
		names = []string{}
	}
	return c.SendJSON(http.MethodPut, "/api/default-channels", map[string]any{"channels": names})
}

// Setting the default channels needs manage on each channel added or
// taken off; everyone sees only the defaults they read, in the JSON, the
// .condarc and the page; a change is audited with old and new.
func TestDefaultChannels(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		for _, n := range []string{"secret", "main", "forge"} {
			mustChannel(t, adm, n, "private")
		}
		for _, who := range []string{"mgr", "reader"} {
			modeltest.MustUser(t, srv.Store, who+"@example.com", access.RoleMember)
		}
		grant := func(ch string, perms map[string]any) {
			want(t, adm.SendJSON(http.MethodPatch, "/api/channels/"+ch+"/permissions", perms), http.StatusOK)
		}
		grant("main", map[string]any{"manage": map[string]any{"users": []string{"mgr@example.com"}}, "read": map[string]any{"users": []string{"reader@example.com"}}})
		grant("forge", map[string]any{"read": map[string]any{"users": []string{"mgr@example.com", "reader@example.com"}}})
		mgr, reader := srv.Login("mgr@example.com"), srv.Login("reader@example.com")

		want(t, putDefaults(adm, "secret", "forge"), http.StatusOK)
		if got := defaultsOf(t, adm); !slices.Equal(got, []string{"secret", "forge"}) {
			t.Fatalf("admin sees %v", got)
		}
		// The manager may add main (manages it) and keep forge (reads it);
		// secret, which they cannot see, keeps its place.
		if got := defaultsOf(t, mgr); !slices.Equal(got, []string{"forge"}) {
			t.Fatalf("manager sees %v", got)
		}
		want(t, putDefaults(mgr, "main", "forge"), http.StatusOK)
		if got := defaultsOf(t, adm); !slices.Equal(got, []string{"secret", "main", "forge"}) {
			t.Fatalf("after the manager's change: %v", got)
		}
		// Refusals, each storing nothing.
		for _, tc := range []struct {
			c      *handlertest.Client
			names  []string
			status int
			msg    string
		}{
			{mgr, []string{"main"}, 403, "manage access to forge"},               // takes forge off: needs manage
			{mgr, []string{"secret", "main", "forge"}, 422, "no channel secret"}, // unseen: same as unknown
			{mgr, []string{"main", "forge", "nosuch"}, 422, "no channel nosuch"},
			{reader, []string{"main", "forge"}, 403, "who manage a channel"},
			{mgr, []string{"forge", "main"}, 200, ""}, // moves main, which it manages
			{mgr, []string{"main", "forge"}, 200, ""},
			{adm, []string{"main", "main"}, 422, "listed twice"},
			{adm, []string{"Main"}, 422, "not a channel name"},
			{adm, []string{""}, 422, "not a channel name"},
			{adm, []string{strings.Repeat("a", 5000)}, 422, "not a channel name"},
			{adm, slices.Repeat([]string{"x"}, 51), 422, "at most 50"},
		} {
			r := putDefaults(tc.c, tc.names...)
			if r.StatusCode != tc.status || !strings.Contains(r.Body, tc.msg) {
				t.Errorf("%v: %d %s", tc.names, r.StatusCode, r.Body)
			}
		}
		for _, body := range []string{`{}`, `{"channels": "main"}`, `{"channels": [1]}`, `{"channels": ["main"], "x": 1}`, `[`} {
			r := adm.Do(http.MethodPut, "/api/default-channels", strings.NewReader(body), "application/json", false)
			if r.StatusCode != 400 && r.StatusCode != 422 {
				t.Errorf("%s: %d", body, r.StatusCode)
			}
		}
		if got := defaultsOf(t, adm); !slices.Equal(got, []string{"secret", "main", "forge"}) {
			t.Fatalf("a refused change stored something: %v", got)
		}
		evs := mustEvents(t, srv, "default_channels.update")
		if len(evs) != 4 || evs[2].ActorEmail != "mgr@example.com" || evs[3].ActorEmail != handlertest.Admin {
			t.Fatalf("audit: %v", evs)
		}
		if d := evs[2].DetailsMap(); toJSON(d["old"]) != `["secret","forge"]` || toJSON(d["new"]) != `["secret","main","forge"]` {
			t.Errorf("audit details: %v", d)
		}

		// The reader's .condarc names only what they read.
		rc := reader.Get("/api/condarc")
		want(t, rc, http.StatusOK)
		wantRC := "channel_alias: " + srv.URL + "/api/repo\ndefault_channels:\n  - " + srv.URL + "/api/repo/main\n  - " + srv.URL + "/api/repo/forge\nchannels:\n  - defaults\n"
		if rc.Body != wantRC || !strings.HasPrefix(rc.Header.Get("Content-Type"), "application/yaml") {
			t.Errorf(".condarc:\n%s\nwant\n%s", rc.Body, wantRC)
		}
		page := reader.Get("/default-channels")
		want(t, page, http.StatusOK)
		d := doc(t, page)
		if strings.Contains(page.Body, "secret") || d.Find(`[data-testid="condarc"]`).Text() != wantRC || d.Find("#f-channels").Length() != 0 {
			t.Errorf("reader's page: %s", d.Find("main").Text())
		}
		// The page form: the manager saves, a bad line is re-shown.
		mp := doc(t, mgr.Get("/default-channels"))
		if mp.Find("#f-channels").Text() != "main\nforge" {
			t.Errorf("manager's textarea: %q", mp.Find("#f-channels").Text())
		}
		bad := mgr.PostForm("/default-channels", url.Values{"channels": {"main\nnosuch"}})
		if bad.StatusCode != 422 || !strings.Contains(bad.Body, "no channel nosuch") || doc(t, bad).Find("#f-channels").Text() != "main\nnosuch" {
			t.Errorf("bad form: %d", bad.StatusCode)
		}
		ok := mgr.PostForm("/default-channels", url.Values{"channels": {" forge \n\nmain\n"}})
		if ok.StatusCode != http.StatusSeeOther {
			t.Fatalf("form: %d %s", ok.StatusCode, ok.Body)
		}
		if got := defaultsOf(t, adm); !slices.Equal(got, []string{"secret", "forge", "main"}) {
			t.Errorf("after the form: %v", got)
		}
		// A channel deleted drops out of the list.
		want(t, adm.Do(http.MethodDelete, "/api/channels/forge", nil, "", false), http.StatusNoContent)
		if got := defaultsOf(t, adm); !slices.Equal(got, []string{"secret", "main"}) {
			t.Errorf("after deleting forge: %v", got)
		}
		// The channel page's .condarc lists the defaults and the channel.
		cp := doc(t, reader.Get("/channels/main")).Find(`[data-testid="channel-condarc"]`).Text()
		if !strings.Contains(cp, "default_channels:\n  - "+srv.URL+"/api/repo/main\n") || !strings.Contains(cp, "channels:\n  - main\n  - defaults\n") {
			t.Errorf("channel page .condarc:\n%s", cp)
		}
	})
}

// Tokens: channel.default-channel:edit lets a token set the defaults (at
// its owner's levels) and nothing else; /api/condarc answers any token
// that may list channels, with the /t/<TOKEN>/ alias as a placeholder.
func TestDefaultChannelsTokens(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		mustChannel(t, adm, "other", "private")
		modeltest.MustUser(t, srv.Store, "mgr@example.com", access.RoleMember)
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/main/permissions", map[string]any{"manage": map[string]any{"users": []string{"mgr@example.com"}}}), http.StatusOK)
		edit := withToken(srv, mustToken(t, srv.Store, "mgr@example.com", "edit", access.TokenGrant{Scopes: []string{"channel.default-channel:edit"}}))
		view := withToken(srv, mustToken(t, srv.Store, "mgr@example.com", "view", access.TokenGrant{Scopes: []string{"channel:view", "channel:edit"}}))
		res := withToken(srv, mustToken(t, srv.Store, "mgr@example.com", "res", access.TokenGrant{Resources: []access.Resource{mustResource(t, "main", "read")}}))

		want(t, putDefaults(edit, "main"), http.StatusOK)
		want(t, putDefaults(edit, "main", "other"), http.StatusUnprocessableEntity) // the owner cannot see other
		want(t, edit.Get("/api/default-channels"), http.StatusForbidden)
		want(t, edit.Get("/api/channels"), http.StatusForbidden)
		want(t, putDefaults(view, "main"), http.StatusForbidden)
		want(t, putDefaults(res, "main"), http.StatusForbidden) // read is not manage
		if got := defaultsOf(t, view); !slices.Equal(got, []string{"main"}) {
			t.Errorf("view token sees %v", got)
		}
		rc := res.Get("/api/condarc")
		want(t, rc, http.StatusOK)
		if !strings.Contains(rc.Body, "channel_alias: "+srv.URL+"/t/<TOKEN>/api/repo\n") || !strings.Contains(rc.Body, "/t/<TOKEN>/api/repo/main") {
			t.Errorf("token .condarc:\n%s", rc.Body)
		}
		// Through the token path too; the string is never echoed.
		secret := mustToken(t, srv.Store, "mgr@example.com", "path", access.TokenGrant{Resources: []access.Resource{mustResource(t, "main", "read")}})
		pr := srv.Anonymous().Get("/t/" + secret + "/api/condarc")
		want(t, pr, http.StatusOK)
		if strings.Contains(pr.Body, secret) {
			t.Error("the .condarc echoes the token")
		}
		want(t, srv.Anonymous().Get("/api/condarc"), http.StatusUnauthorized)
		if evs := mustEvents(t, srv, "default_channels.update"); len(evs) != 1 {
			t.Errorf("%d audit events", len(evs))
		}
		// A member with no channel to manage cannot put the scope on a token.
		modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		u, _ := srv.Store.UserByEmail(t.Context(), "ann@example.com")
		if _, _, err := srv.Store.CreateToken(t.Context(), u, models.NewToken{Name: "x", ExpiresOn: future(3), Grant: access.TokenGrant{Scopes: []string{"channel.default-channel:edit"}}}); err == nil {
			t.Error("a member without manage made a token with channel.default-channel:edit")
		}
	})
}
