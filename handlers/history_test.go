package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

type historyPage struct {
	Events []struct {
		Action     string         `json:"action"`
		Actor      string         `json:"actor"`
		Subchannel string         `json:"subchannel"`
		Details    map[string]any `json:"details"`
		IP         string         `json:"ip"`
	} `json:"events"`
	Next *int `json:"next_offset"`
}

func readHistory(t *testing.T, c *handlertest.Client, path string) historyPage {
	t.Helper()
	r := c.Get(path)
	want(t, r, http.StatusOK)
	var h historyPage
	r.JSON(t, &h)
	return h
}

func actions(h historyPage) string {
	var out []string
	for _, e := range h.Events {
		a := e.Action
		if e.Subchannel != "" {
			a += "@" + e.Subchannel
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// A channel's history shows uploads, overwrites, deletes, permission and
// subchannel changes of that channel only; a subchannel's only its own.
func TestChannelHistoryAPI(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "foo", "private")
		mustChannel(t, adm, "foobar", "private")
		mustChannel(t, adm, "foo_", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/foo/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		pkg := condatest.Pkg{Name: "tool", Version: "1.0", Build: "0", Subdir: "noarch", Timestamp: 1711111111111}
		file, fn := condatest.Build(t, pkg, conda.Conda), pkg.Filename(conda.Conda)
		want(t, uploadTo(t, adm, "foo", "", fn, file), http.StatusCreated)
		want(t, uploadTo(t, adm, "foo", "?overwrite=true", fn, file), http.StatusCreated)
		want(t, uploadTo(t, adm, "foo", "?subchannel=dev", fn, file), http.StatusCreated)
		want(t, uploadTo(t, adm, "foobar", "", fn, file), http.StatusCreated)
		want(t, uploadTo(t, adm, "foo_", "", fn, file), http.StatusCreated)
		want(t, adm.Do(http.MethodDelete, "/api/channels/foo/artifacts/noarch/"+fn, nil, "", false), http.StatusNoContent)
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/foo/permissions", map[string]any{"read": map[string]any{"roles": []string{"Member"}}}), http.StatusOK)

		h := readHistory(t, adm, "/api/channels/foo/history")
		if got, want := actions(h), "channel.permissions artifact.delete artifact.upload@dev artifact.overwrite artifact.upload subchannel.create@dev channel.create"; got != want {
			t.Errorf("foo history:\n got %s\nwant %s", got, want)
		}
		for _, e := range h.Events {
			if e.Actor != handlertest.Admin || e.IP != "" {
				t.Errorf("event %s: actor %q ip %q", e.Action, e.Actor, e.IP)
			}
		}
		if ow := h.Events[3]; ow.Details["old"] == nil || ow.Details["new"] == nil {
			t.Errorf("overwrite details: %v", ow.Details)
		}
		if got, want := actions(readHistory(t, adm, "/api/channels/foo/subchannels/dev/history")), "artifact.upload@dev subchannel.create@dev"; got != want {
			t.Errorf("foo/dev history: %s, want %s", got, want)
		}
		if got, want := actions(readHistory(t, adm, "/api/channels/foo_/history")), "artifact.upload channel.create"; got != want {
			t.Errorf("foo_ history: %s, want %s", got, want)
		}
		// Filters and paging.
		if got := actions(readHistory(t, adm, "/api/channels/foo/history?action=artifact")); got != "artifact.delete artifact.upload@dev artifact.overwrite artifact.upload" {
			t.Errorf("action=artifact: %s", got)
		}
		if got := actions(readHistory(t, adm, "/api/channels/foo/history?action=artifact.overwrite")); got != "artifact.overwrite" {
			t.Errorf("action=artifact.overwrite: %s", got)
		}
		if got := actions(readHistory(t, adm, "/api/channels/foo/history?actor=nobody")); got != "" {
			t.Errorf("actor=nobody: %s", got)
		}
		if got := actions(readHistory(t, adm, "/api/channels/foo/history?until=2000-01-01")); got != "" {
			t.Errorf("until 2000: %s", got)
		}
		p1 := readHistory(t, adm, "/api/channels/foo/history?limit=3")
		if len(p1.Events) != 3 || p1.Next == nil || *p1.Next != 3 {
			t.Fatalf("first page: %s next %v", actions(p1), p1.Next)
		}
		p3 := readHistory(t, adm, "/api/channels/foo/history?limit=3&offset=6")
		if actions(p3) != "channel.create" || p3.Next != nil {
			t.Errorf("last page: %s next %v", actions(p3), p3.Next)
		}

		// A channel deleted and created again starts with a clean history.
		want(t, adm.Do(http.MethodDelete, "/api/channels/foo", nil, "", false), http.StatusNoContent)
		mustChannel(t, adm, "foo", "private")
		if got := actions(readHistory(t, adm, "/api/channels/foo/history")); got != "channel.create" {
			t.Errorf("re-created foo history: %s", got)
		}

		// Malformed filters: 400 with the field's message.
		for _, q := range []string{"since=yesterday", "until=2026-13-01", "since=2026-02-01&until=2026-01-01", "limit=0", "limit=501", "limit=x", "offset=-1"} {
			if r := adm.Get("/api/channels/foo/history?" + q); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, `"ok":false`) {
				t.Errorf("%s: %d %s", q, r.StatusCode, r.Body)
			}
		}
		want(t, adm.Get("/api/channels/nosuch/history"), http.StatusNotFound)
		want(t, adm.Get("/api/channels/foo/subchannels/nosuch/history"), http.StatusNotFound)
	})
}

// History needs manage on the channel: a reader or writer is refused (a
// reader sees the channel, so 403; someone without read, 404), and a
// token needs the history scope for the place it reads.
func TestChannelHistoryNeedsManageAndScope(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "foo", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/foo/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		for _, who := range []string{"reader", "writer", "manager", "stranger"} {
			modeltest.MustUser(t, srv.Store, who+"@example.com")
		}
		want(t, adm.SendJSON(http.MethodPatch, "/api/channels/foo/permissions", map[string]any{
			"read":   map[string]any{"users": []string{"reader@example.com"}},
			"write":  map[string]any{"users": []string{"writer@example.com"}},
			"manage": map[string]any{"users": []string{"manager@example.com"}},
		}), http.StatusOK)
		paths := []string{"/api/channels/foo/history", "/api/channels/foo/subchannels/dev/history", "/channels/foo/history", "/channels/foo/subchannels/dev/history"}
		for who, status := range map[string]int{"reader": 403, "writer": 403, "manager": 200, "stranger": 404} {
			c := srv.Login(who + "@example.com")
			for _, p := range paths {
				if r := c.Get(p); r.StatusCode != status {
					t.Errorf("%s %s: %d, want %d", who, p, r.StatusCode, status)
				}
			}
		}
		tok := func(name string, g access.TokenGrant) *handlertest.Client {
			return withToken(srv, mustToken(t, srv.Store, "manager@example.com", name, g))
		}
		for _, tc := range []struct {
			name         string
			g            access.TokenGrant
			channel, sub int
			pageRefused  bool
		}{
			{"channel-history", access.TokenGrant{Scopes: []string{"channel:history"}}, 200, 403, true},
			{"sub-history", access.TokenGrant{Scopes: []string{"subchannel:history"}}, 403, 200, true},
			{"both", access.TokenGrant{Scopes: []string{"channel:history", "subchannel:history"}}, 200, 200, true},
			{"view-only", access.TokenGrant{Scopes: []string{"channel:view", "channel:edit"}}, 403, 403, true},
			{"resource-read", access.TokenGrant{Resources: []access.Resource{mustResource(t, "foo", "read")}}, 403, 403, true},
		} {
			c := tok(tc.name, tc.g)
			if r := c.Get(paths[0]); r.StatusCode != tc.channel {
				t.Errorf("%s token, channel history: %d, want %d", tc.name, r.StatusCode, tc.channel)
			}
			if r := c.Get(paths[1]); r.StatusCode != tc.sub {
				t.Errorf("%s token, subchannel history: %d, want %d", tc.name, r.StatusCode, tc.sub)
			}
			if r := c.Get(paths[2]); r.StatusCode != http.StatusForbidden {
				t.Errorf("%s token on the page: %d", tc.name, r.StatusCode)
			}
		}
		// Someone who only reads cannot even put the scope on a token.
		u, _ := srv.Store.UserByEmail(t.Context(), "reader@example.com")
		if _, _, err := srv.Store.CreateToken(t.Context(), u, models.NewToken{Name: "r", ExpiresOn: future(3), Grant: access.TokenGrant{Scopes: []string{"channel:history"}}}); err == nil {
			t.Error("a reader made a token with channel:history")
		}
	})
}

func mustResource(t *testing.T, path, level string) access.Resource {
	t.Helper()
	r, err := access.ParseResource(path, level)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
