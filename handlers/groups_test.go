package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// grantOn gives email level on a channel straight in the store.
func grantOn(t testing.TB, s *models.Store, resourceType string, id uint, level, email string) {
	t.Helper()
	users := []string{email}
	if _, _, err := s.ApplyGrantsPatch(t.Context(), resourceType, id, map[string]access.GrantsPatch{level: {Users: &users}}); err != nil {
		t.Fatal(err)
	}
}

func channelID(t testing.TB, s *models.Store, name string) uint {
	t.Helper()
	ch, err := s.ChannelByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return ch.ID
}

func groupChannels(t testing.TB, c *handlertest.Client, name string) []string {
	t.Helper()
	var out struct{ Group handlers.GroupJSON }
	r := c.Get("/api/groups/" + name)
	want(t, r, http.StatusOK)
	r.JSON(t, &out)
	return out.Group.Channels
}

// TestGroupAPI: creating (admins), names, duplicates whatever their case,
// unknown channels, bad bodies; a group manager adds only channels they
// manage, and nothing is half-stored; every change audited.
func TestGroupAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		s := srv.Store
		modeltest.MustUser(t, s, "ann@example.com")
		modeltest.MustUser(t, s, "bob@example.com")
		ann, bob := srv.Login("ann@example.com"), srv.Login("bob@example.com")
		for _, n := range []string{"alpha", "alpha2", "beta", "gamma"} {
			mustChannel(t, adm, n, "private")
		}
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "alpha"), "manage", "ann@example.com")
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "alpha2"), "manage", "ann@example.com")
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "beta"), "read", "ann@example.com")

		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "Team-A", "description": "first", "channels": []string{"beta"}}), http.StatusCreated)
		if got := groupChannels(t, adm, "team-a"); !slices.Equal(got, []string{"beta"}) {
			t.Fatalf("members %v", got)
		}
		for _, body := range []map[string]any{
			{"name": "TEAM-a"}, {"name": "team-a"},
		} {
			want(t, adm.SendJSON("POST", "/api/groups", body), http.StatusConflict)
		}
		for _, bad := range []string{"", "has space", "-dash", "a/b", "group:x", strings.Repeat("a", 101), "ünï"} {
			want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": bad}), http.StatusUnprocessableEntity)
		}
		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "a\x00b"}), http.StatusBadRequest)
		r := adm.SendJSON("POST", "/api/groups", map[string]any{"name": "x", "channels": []string{"alpha", "nope", "Bad Name"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "nope, Bad Name") {
			t.Fatalf("unknown channels: %d %s", r.StatusCode, r.Body)
		}
		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "x", "channels": []string{"alpha", "alpha"}}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "x", "owner": "me"}), http.StatusBadRequest)
		want(t, adm.SendJSON("POST", "/api/groups", `{"name": "x", "channels": "alpha"}`), http.StatusBadRequest)
		want(t, adm.SendJSON("POST", "/api/groups", `{"name": "x", "description": "`+strings.Repeat("d", 2<<20)+`"}`), http.StatusRequestEntityTooLarge)
		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "x", "description": strings.Repeat("d", models.MaxDescLen+1)}), http.StatusUnprocessableEntity)
		if list := adm.Get("/api/groups").Map(t)["groups"].([]any); len(list) != 1 {
			t.Fatalf("half-stored groups: %v", list)
		}
		// Members create no groups.
		want(t, ann.SendJSON("POST", "/api/groups", map[string]any{"name": "mine"}), http.StatusForbidden)
		want(t, srv.Anonymous().Get("/api/groups"), http.StatusUnauthorized)

		// Ann reads beta, the one member: she reads the group, no more.
		if got := ann.Get("/api/groups/team-a").Map(t)["group"].(map[string]any)["level"]; got != "read" {
			t.Fatalf("ann's level %v", got)
		}
		want(t, bob.Get("/api/groups/team-a"), http.StatusNotFound)
		want(t, bob.Get("/api/groups/nope"), http.StatusNotFound)
		if list := bob.Get("/api/groups").Map(t)["groups"].([]any); len(list) != 0 {
			t.Fatalf("bob lists %v", list)
		}
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"add": []string{"alpha"}}), http.StatusForbidden)
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a/permissions", map[string]any{"read": map[string]any{"users": []string{"bob@example.com"}}}), http.StatusForbidden)

		// Ann manages the group through a grant on it: beta is hers to manage now.
		want(t, adm.SendJSON("PATCH", "/api/groups/team-a/permissions", map[string]any{"manage": map[string]any{"users": []string{"ann@example.com"}}}), http.StatusOK)
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"add": []string{"alpha"}}), http.StatusOK)
		// gamma she cannot read (unknown to her); nothing is stored.
		r = ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"add": []string{"alpha2", "gamma"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Unknown channel: gamma") {
			t.Fatalf("unreadable channel: %d %s", r.StatusCode, r.Body)
		}
		if got := groupChannels(t, adm, "team-a"); !slices.Equal(got, []string{"alpha", "beta"}) {
			t.Fatalf("half-stored: %v", got)
		}
		// A channel she reads but does not manage: 403, nothing stored.
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "gamma"), "write", "ann@example.com")
		r = ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"add": []string{"alpha2", "gamma"}})
		if r.StatusCode != http.StatusForbidden || !strings.Contains(r.Body, "gamma") {
			t.Fatalf("unmanaged channel: %d %s", r.StatusCode, r.Body)
		}
		if got := groupChannels(t, adm, "team-a"); !slices.Equal(got, []string{"alpha", "beta"}) {
			t.Fatalf("half-stored: %v", got)
		}
		// Conflicting and malformed changes.
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"add": []string{"alpha2"}, "remove": []string{"alpha2"}}), http.StatusUnprocessableEntity)
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"channels": []string{"alpha"}, "add": []string{"alpha2"}}), http.StatusBadRequest)
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"channels": []string{"alpha", "alpha"}}), http.StatusUnprocessableEntity)
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"remove": []string{"nope"}}), http.StatusUnprocessableEntity)
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a", `[]`), http.StatusBadRequest)
		// Replacing the members; the description.
		r = ann.SendJSON("PATCH", "/api/groups/team-a", map[string]any{"channels": []string{"alpha2", "beta"}, "description": "second"})
		want(t, r, http.StatusOK)
		if got := groupChannels(t, adm, "team-a"); !slices.Equal(got, []string{"alpha2", "beta"}) {
			t.Fatalf("after replacing: %v", got)
		}
		ev := adm.Get("/api/audit?action=group.update").Map(t)["events"].([]any)
		if len(ev) != 2 {
			t.Fatalf("%d group.update events", len(ev))
		}
		if d := toJSON(ev[0].(map[string]any)["details"]); !strings.Contains(d, `"old":{"channels":["alpha","beta"],"description":"first"}`) || !strings.Contains(d, `"new":{"channels":["alpha2","beta"],"description":"second"}`) {
			t.Errorf("audit details %s", d)
		}
		perms := ann.Get("/api/groups/team-a/permissions").Map(t)["permissions"].(map[string]any)
		if toJSON(perms["manage"]) != `{"roles":[],"teams":[],"users":["ann@example.com"]}` {
			t.Errorf("permissions %v", perms)
		}
		want(t, ann.SendJSON("PATCH", "/api/groups/team-a/permissions", map[string]any{"read": map[string]any{"teams": []string{"nope"}}}), http.StatusUnprocessableEntity)
		// A member channel deleted leaves the group; its audit says which.
		want(t, adm.Do("DELETE", "/api/channels/beta", nil, "", false), http.StatusNoContent)
		if got := groupChannels(t, adm, "team-a"); !slices.Equal(got, []string{"alpha2"}) {
			t.Fatalf("after deleting beta: %v", got)
		}
		if d := toJSON(adm.Get("/api/audit?action=channel.delete").Map(t)["events"].([]any)[0].(map[string]any)["details"]); !strings.Contains(d, `"groups":["team-a"]`) {
			t.Errorf("channel.delete audit: %s", d)
		}
		// Deleting: the group's grants go with it, recorded.
		want(t, ann.Do("DELETE", "/api/groups/team-a", nil, "", false), http.StatusNoContent)
		want(t, adm.Get("/api/groups/team-a"), http.StatusNotFound)
		for _, action := range []string{"group.create", "group.permissions", "group.delete"} {
			if ev := adm.Get("/api/audit?action=" + action).Map(t)["events"].([]any); len(ev) == 0 {
				t.Errorf("no %s event", action)
			}
		}
		if d := toJSON(adm.Get("/api/audit?action=group.delete").Map(t)["events"].([]any)[0].(map[string]any)["details"]); !strings.Contains(d, "ann@example.com") {
			t.Errorf("delete audit lacks the permissions: %s", d)
		}
	})
}

// TestGroupsFollowMembership: a grant on a group and a resource token on
// it reach a channel added later — through the conda path with the token
// in the URL and through a session — and stop once it is removed.
func TestGroupsFollowMembership(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		s := srv.Store
		modeltest.MustUser(t, s, "bob@example.com")
		bob := srv.Login("bob@example.com")
		want(t, adm.SendJSON("POST", "/api/teams", map[string]any{"name": "Readers", "members": []string{"bob@example.com"}}), http.StatusCreated)
		mustChannel(t, adm, "late", "private")
		pkg := condatest.Pkg{Name: "tool", Subdir: "noarch", Noarch: "python"}
		want(t, uploadTo(t, adm, "late", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "g"}), http.StatusCreated)
		want(t, adm.SendJSON("PATCH", "/api/groups/g/permissions", map[string]any{"read": map[string]any{"teams": []string{"Readers"}}}), http.StatusOK)
		// Bob reads the (empty) group through his team, so may name it.
		r := bob.SendJSON("POST", "/api/tokens", map[string]any{"name": "ci", "expires_at": future(5), "resources": []map[string]string{{"group": "g", "level": "read"}}})
		want(t, r, http.StatusCreated)
		var created struct{ Token handlers.TokenJSON }
		r.JSON(t, &created)
		if len(created.Token.Resources) != 1 || created.Token.Resources[0].Group != "g" || created.Token.Resources[0].Channel != "" {
			t.Fatalf("token resources %+v", created.Token.Resources)
		}
		want(t, bob.SendJSON("POST", "/api/tokens", map[string]any{"name": "ci2", "expires_at": future(5), "resources": []map[string]string{{"group": "g", "level": "write"}}}), http.StatusUnprocessableEntity)
		cl := srv.Anonymous()
		path := "/t/" + created.Token.Secret + "/api/repo/late/noarch/repodata.json"
		file := "/t/" + created.Token.Secret + "/api/repo/late/noarch/" + pkg.Filename(conda.Conda)
		session := "/api/repo/late/noarch/repodata.json"
		want(t, cl.Get(path), http.StatusNotFound)
		want(t, bob.Get(session), http.StatusNotFound)
		want(t, bob.Get("/channels/late"), http.StatusNotFound)

		want(t, adm.SendJSON("PATCH", "/api/groups/g", map[string]any{"add": []string{"late"}}), http.StatusOK)
		want(t, cl.Get(path), http.StatusOK)
		want(t, cl.Get(file), http.StatusOK)
		want(t, bob.Get(session), http.StatusOK)
		want(t, bob.Get("/channels/late"), http.StatusOK)
		if list := withToken(srv, created.Token.Secret).Get("/api/channels").Map(t)["channels"].([]any); len(list) != 1 {
			t.Errorf("the group token lists %v", list)
		}
		// The channel page names the groups it is in.
		if page := bob.Get("/channels/late").Body; !strings.Contains(page, `data-testid="channel-groups"`) || !strings.Contains(page, ">g<") {
			t.Errorf("the channel page does not name its group")
		}
		// Still read only: the group grants read.
		want(t, uploadTo(t, withToken(srv, created.Token.Secret), "late", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusForbidden)

		want(t, adm.SendJSON("PATCH", "/api/groups/g", map[string]any{"remove": []string{"late"}}), http.StatusOK)
		want(t, cl.Get(path), http.StatusNotFound)
		want(t, cl.Get(file), http.StatusNotFound)
		want(t, bob.Get(session), http.StatusNotFound)
		want(t, bob.Get("/channels/late"), http.StatusNotFound)

		// Back in, then the group deleted: gone again.
		want(t, adm.SendJSON("PATCH", "/api/groups/g", map[string]any{"channels": []string{"late"}}), http.StatusOK)
		want(t, cl.Get(path), http.StatusOK)
		want(t, adm.Do("DELETE", "/api/groups/g", nil, "", false), http.StatusNoContent)
		want(t, cl.Get(path), http.StatusNotFound)
		want(t, bob.Get(session), http.StatusNotFound)
	})
}

// TestSubchannelGroupsFollowMembership: a token on a subchannel group
// reaches each member subchannel, including one added later, and nothing
// else of the channel.
func TestSubchannelGroupsFollowMembership(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		s := srv.Store
		modeltest.MustUser(t, s, "bob@example.com")
		mustChannel(t, adm, "main", "private")
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "main"), "write", "bob@example.com")
		pkg := condatest.Pkg{Name: "tool", Subdir: "noarch", Noarch: "python"}
		for _, sub := range []string{"s1", "s2"} {
			want(t, adm.SendJSON("POST", "/api/channels/main/subchannels", map[string]any{"name": sub}), http.StatusCreated)
			want(t, uploadTo(t, adm, "main", "?subchannel="+sub, pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
		}
		want(t, adm.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "QA", "subchannels": []string{"s1"}}), http.StatusCreated)
		want(t, adm.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "qa"}), http.StatusConflict)
		want(t, adm.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "x", "subchannels": []string{"nope"}}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "bad name"}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "x", "extra": 1}), http.StatusBadRequest)
		want(t, adm.SendJSON("PATCH", "/api/channels/main/subchannel-groups/nope", map[string]any{"subchannels": []string{}}), http.StatusNotFound)
		want(t, adm.SendJSON("PATCH", "/api/channels/main/subchannel-groups/qa", map[string]any{}), http.StatusBadRequest)

		bob := srv.Login("bob@example.com")
		r := bob.SendJSON("POST", "/api/tokens", map[string]any{"name": "qa", "expires_at": future(5), "resources": []map[string]string{{"channel": "main", "group": "qa", "level": "read"}}})
		want(t, r, http.StatusCreated)
		var created struct{ Token handlers.TokenJSON }
		r.JSON(t, &created)
		want(t, bob.SendJSON("POST", "/api/tokens", map[string]any{"name": "qa2", "expires_at": future(5), "resources": []map[string]string{{"channel": "main", "group": "qa", "level": "manage"}}}), http.StatusUnprocessableEntity)
		want(t, bob.SendJSON("POST", "/api/tokens", map[string]any{"name": "qa3", "expires_at": future(5), "resources": []map[string]string{{"channel": "main", "subchannel": "s1", "group": "qa", "level": "read"}}}), http.StatusUnprocessableEntity)
		c := srv.Anonymous()
		repo := func(sub string) string {
			return "/t/" + created.Token.Secret + "/api/repo/main/" + sub + "noarch/repodata.json"
		}
		want(t, c.Get(repo("s1/")), http.StatusOK)
		want(t, c.Get(repo("s2/")), http.StatusNotFound)
		want(t, c.Get(repo("")), http.StatusNotFound)
		want(t, bob.SendJSON("PATCH", "/api/channels/main/subchannel-groups/qa", map[string]any{"subchannels": []string{"s2"}}), http.StatusForbidden) // write, not manage
		want(t, adm.SendJSON("PATCH", "/api/channels/main/subchannel-groups/qa", map[string]any{"subchannels": []string{"s2", "s2"}}), http.StatusUnprocessableEntity)
		want(t, adm.SendJSON("PATCH", "/api/channels/main/subchannel-groups/qa", map[string]any{"subchannels": []string{"s2"}}), http.StatusOK)
		want(t, c.Get(repo("s1/")), http.StatusNotFound)
		want(t, c.Get(repo("s2/")), http.StatusOK)
		var list struct {
			SubchannelGroups []handlers.SubGroupJSON `json:"subchannel_groups"`
		}
		bob.Get("/api/channels/main/subchannel-groups").JSON(t, &list)
		if len(list.SubchannelGroups) != 1 || !slices.Equal(list.SubchannelGroups[0].Subchannels, []string{"s2"}) {
			t.Fatalf("list %+v", list)
		}
		if d := toJSON(adm.Get("/api/audit?action=subchannel-group.update").Map(t)["events"].([]any)[0].(map[string]any)["details"]); d != `{"new":{"subchannels":["s2"]},"old":{"subchannels":["s1"]}}` {
			t.Errorf("audit %s", d)
		}
		// Deleting the subchannel takes it out; deleting the group ends the token's reach.
		want(t, adm.Do("DELETE", "/api/channels/main/subchannel-groups/qa", nil, "", false), http.StatusNoContent)
		want(t, c.Get(repo("s2/")), http.StatusNotFound)
		want(t, adm.Do("DELETE", "/api/channels/main/subchannel-groups/qa", nil, "", false), http.StatusNotFound)
	})
}

// TestGroupScopes: each group scope lets a token do its feature at the
// table's level and nothing else; without it the token is refused.
func TestGroupScopes(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		s := srv.Store
		modeltest.MustUser(t, s, "ann@example.com")
		mustChannel(t, adm, "main", "private")
		mustChannel(t, adm, "other", "private")
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "main"), "manage", "ann@example.com")
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "other"), "read", "ann@example.com")
		want(t, adm.SendJSON("POST", "/api/channels/main/subchannels", map[string]any{"name": "s1"}), http.StatusCreated)
		want(t, adm.SendJSON("POST", "/api/groups", map[string]any{"name": "g", "channels": []string{"main"}}), http.StatusCreated)
		tok := func(email string, scopes ...string) *handlertest.Client {
			return withToken(srv, mustToken(t, s, email, strings.Join(scopes, "+")+email, access.TokenGrant{Scopes: scopes}))
		}
		view, edit := tok("ann@example.com", "channel.group:view"), tok("ann@example.com", "channel.group:edit")
		adminEdit := tok(handlertest.Admin, "channel.group:edit")
		want(t, view.Get("/api/groups"), http.StatusOK)
		want(t, view.Get("/api/groups/g"), http.StatusOK)
		want(t, view.Get("/api/groups/g/permissions"), http.StatusOK)
		want(t, view.SendJSON("PATCH", "/api/groups/g", map[string]any{"description": "x"}), http.StatusForbidden)
		want(t, view.Get("/api/channels"), http.StatusForbidden)
		want(t, view.Get("/api/channels/main/subchannel-groups"), http.StatusForbidden)
		want(t, edit.Get("/api/groups/g"), http.StatusForbidden) // scopes do not imply one another
		want(t, edit.SendJSON("PATCH", "/api/groups/g", map[string]any{"description": "x"}), http.StatusOK)
		want(t, edit.SendJSON("PATCH", "/api/groups/g", map[string]any{"add": []string{"other"}}), http.StatusForbidden) // ann only reads other
		want(t, edit.SendJSON("POST", "/api/groups", map[string]any{"name": "h"}), http.StatusForbidden)                 // admins create groups
		want(t, edit.Get("/api/channels/main"), http.StatusForbidden)
		want(t, adminEdit.SendJSON("POST", "/api/groups", map[string]any{"name": "h", "channels": []string{"other"}}), http.StatusCreated)
		want(t, adminEdit.SendJSON("PATCH", "/api/groups/h/permissions", map[string]any{"read": map[string]any{"users": []string{"ann@example.com"}}}), http.StatusOK)
		want(t, adminEdit.Do("DELETE", "/api/groups/h", nil, "", false), http.StatusNoContent)
		// A resource token (even on the group) is refused on group routes.
		res := withToken(srv, mustToken(t, s, "ann@example.com", "res", access.TokenGrant{Resources: []access.Resource{{Group: "g", Level: access.Manage}}}))
		want(t, res.Get("/api/groups"), http.StatusForbidden)
		want(t, res.Get("/api/groups/g"), http.StatusForbidden)
		// Subchannel groups: view reads, edit changes, neither the other.
		sview, sedit := tok("ann@example.com", "subchannel.group:view"), tok("ann@example.com", "subchannel.group:edit")
		want(t, sview.Get("/api/channels/main/subchannel-groups"), http.StatusOK)
		want(t, sview.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "qa"}), http.StatusForbidden)
		want(t, sview.Get("/api/groups"), http.StatusForbidden)
		want(t, sedit.Get("/api/channels/main/subchannel-groups"), http.StatusForbidden)
		want(t, sedit.SendJSON("POST", "/api/channels/main/subchannel-groups", map[string]any{"name": "qa", "subchannels": []string{"s1"}}), http.StatusCreated)
		want(t, sedit.SendJSON("PATCH", "/api/channels/main/subchannel-groups/qa", map[string]any{"subchannels": []string{}}), http.StatusOK)
		want(t, sedit.SendJSON("POST", "/api/channels/other/subchannel-groups", map[string]any{"name": "qa"}), http.StatusForbidden) // read only there
		want(t, sedit.Do("DELETE", "/api/channels/main/subchannel-groups/qa", nil, "", false), http.StatusNoContent)
		// Without any group scope: refused.
		none := tok("ann@example.com", "channel:view")
		for _, r := range []*handlertest.Response{none.Get("/api/groups"), none.Get("/api/groups/g"), none.Get("/api/channels/main/subchannel-groups")} {
			want(t, r, http.StatusForbidden)
		}
	})
}

// TestGroupForms: the dialogs refuse bad input with the dialog again and
// nothing stored; a member cannot reach what they do not manage.
func TestGroupForms(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		s := srv.Store
		modeltest.MustUser(t, s, "ann@example.com")
		ann := srv.Login("ann@example.com")
		for _, n := range []string{"alpha", "beta"} {
			mustChannel(t, adm, n, "private")
		}
		grantOn(t, s, models.ResourceChannel, channelID(t, s, "beta"), "read", "ann@example.com")
		form := func(c *handlertest.Client, path string, v url.Values) *handlertest.Response {
			c.Header.Set("HX-Request", "true")
			defer c.Header.Del("HX-Request")
			return c.PostForm(path, v)
		}
		r := form(adm, "/groups", url.Values{"name": {"Bad Name"}, "channels": {"alpha"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Use lowercase letters") || !strings.Contains(r.Body, `value="alpha" checked`) {
			t.Fatalf("bad name: %d %s", r.StatusCode, r.Body)
		}
		want(t, form(adm, "/groups", url.Values{"name": {"web"}, "channels": {"alpha"}}), http.StatusNoContent)
		r = form(adm, "/groups", url.Values{"name": {"WEB"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already exists") {
			t.Fatalf("duplicate: %d %s", r.StatusCode, r.Body)
		}
		want(t, form(adm, "/groups", url.Values{"name": {"x"}, "channels": {"nope"}}), http.StatusUnprocessableEntity)
		want(t, form(adm, "/groups", url.Values{"name": {"x"}, "description": {strings.Repeat("d", 70<<10)}}), http.StatusRequestEntityTooLarge)
		want(t, form(ann, "/groups", url.Values{"name": {"mine"}}), http.StatusForbidden)
		want(t, adm.Do("POST", "/groups", strings.NewReader("name=y"), "application/x-www-form-urlencoded", true), http.StatusForbidden) // no CSRF token
		if gs, _ := s.ReadableGroups(t.Context(), access.Subject{UserID: 1, Roles: []string{access.RoleAdmin}}); len(gs) != 1 {
			t.Fatalf("%d groups stored", len(gs))
		}
		// Ann manages web through a grant on it, but only reads beta: a
		// crafted form adding beta is refused and changes nothing.
		want(t, adm.SendJSON("PATCH", "/api/groups/web/permissions", map[string]any{"manage": map[string]any{"users": []string{"ann@example.com"}}}), http.StatusOK)
		r = ann.Get("/groups/web/edit")
		want(t, r, http.StatusOK)
		if !strings.Contains(r.Body, `value="alpha" checked`) || strings.Contains(r.Body, `value="beta"`) {
			t.Errorf("the edit dialog offers %s", r.Body)
		}
		want(t, form(ann, "/groups/web", url.Values{"description": {"x"}, "channels": {"alpha", "beta"}}), http.StatusForbidden)
		if got := groupChannels(t, adm, "web"); !slices.Equal(got, []string{"alpha"}) {
			t.Fatalf("half-stored: %v", got)
		}
		want(t, form(ann, "/groups/web", url.Values{"description": {"ours"}, "channels": {"alpha"}}), http.StatusNoContent)
		// The permissions picker names unknown teams.
		r = form(ann, "/groups/web/permissions", url.Values{"levels": {"read"}, "read.teams": {"nope"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "nope") {
			t.Fatalf("unknown team: %d %s", r.StatusCode, r.Body)
		}
		want(t, form(ann, "/groups/web/permissions", url.Values{"levels": {"owner"}}), http.StatusBadRequest)
		// Subchannel group dialogs.
		want(t, adm.SendJSON("POST", "/api/channels/alpha/subchannels", map[string]any{"name": "s1"}), http.StatusCreated)
		r = form(adm, "/channels/alpha/subchannel-groups", url.Values{"name": {"qa"}, "subchannels": {"s1", "nope"}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "nope") {
			t.Fatalf("unknown subchannel: %d %s", r.StatusCode, r.Body)
		}
		want(t, form(adm, "/channels/alpha/subchannel-groups", url.Values{"name": {"qa"}, "subchannels": {"s1"}}), http.StatusNoContent)
		want(t, form(adm, "/channels/alpha/subchannel-groups", url.Values{"name": {"QA"}}), http.StatusUnprocessableEntity)
		want(t, form(ann, "/channels/beta/subchannel-groups", url.Values{"name": {"qa"}}), http.StatusForbidden)
		want(t, form(adm, "/channels/alpha/subchannel-groups/qa", url.Values{}), http.StatusNoContent)
		want(t, form(adm, "/channels/alpha/subchannel-groups/nope", url.Values{}), http.StatusNotFound)
		want(t, form(adm, "/channels/alpha/subchannel-groups/qa/delete", url.Values{}), http.StatusNoContent)
		want(t, form(adm, "/groups/web/delete", url.Values{}), http.StatusNoContent)
		want(t, adm.Get("/groups/web"), http.StatusNotFound)
	})
}
