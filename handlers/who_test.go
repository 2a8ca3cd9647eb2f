package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// people decodes an Access API answer into "email level kind:name,…" lines.
func people(t *testing.T, r *handlertest.Response) ([]string, handlers.PeopleJSON) {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("access: %d %s", r.StatusCode, r.Body)
	}
	var out handlers.PeopleJSON
	r.JSON(t, &out)
	var lines []string
	for _, p := range out.People {
		var via []string
		for _, v := range p.Via {
			via = append(via, v.Kind+":"+v.Name)
		}
		lines = append(lines, p.Email+" "+p.Level+" "+strings.Join(via, ","))
	}
	return lines, out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// accessWorld: a page read by the role Member, the team Platform and one
// email; a channel granting read to a team, write to a role and manage to
// one email; an admin, a disabled member, and someone with no grant.
func accessWorld(t *testing.T, srv *handlertest.Server) {
	t.Helper()
	s, ctx := srv.Store, t.Context()
	for _, r := range []string{"Guest", "Builder"} {
		if _, err := s.CreateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	modeltest.MustUser(t, s, "ann@x.io", access.RoleMember)
	modeltest.MustUser(t, s, "ben@x.io", "Guest")
	modeltest.MustUser(t, s, "cid@x.io", "Builder")
	modeltest.MustUser(t, s, "dee@x.io", "Guest")
	off := modeltest.MustUser(t, s, "off@x.io", access.RoleMember, access.RoleAdmin)
	modeltest.MustUser(t, s, "zoe@x.io", "Guest") // nothing at all
	team, err := s.CreateTeam(ctx, "Platform", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{"ann@x.io", "ben@x.io", "off@x.io"}); err != nil {
		t.Fatal(err)
	}
	disabled := true
	if _, _, err := s.UpdateUser(ctx, off.ID, models.UserUpdate{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	adm := srv.AsAdmin()
	if r := adm.SendJSON("POST", "/v1/pages", `{"identifier":"services","title":"Services","widgets":[]}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("page: %d %s", r.StatusCode, r.Body)
	}
	if r := adm.SendJSON("PATCH", "/v1/pages/services/permissions", `{"read":{"roles":["Member"],"teams":["Platform"],"users":["DEE@x.io"]}}`); r.StatusCode != http.StatusOK {
		t.Fatalf("page permissions: %d %s", r.StatusCode, r.Body)
	}
	mustChannel(t, adm, "alpha", "private")
	if r := adm.SendJSON("PATCH", "/api/channels/alpha/permissions", `{"read":{"teams":["Platform"]},"write":{"roles":["Builder"]},"manage":{"users":["ann@x.io"]}}`); r.StatusCode != http.StatusOK {
		t.Fatalf("channel permissions: %d %s", r.StatusCode, r.Body)
	}
}

func TestWhoReadsAPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		accessWorld(t, srv)
		lines, out := people(t, srv.AsAdmin().Get("/v1/pages/services/readers"))
		sameLines(t, "readers", lines, []string{
			"admin@example.com manage admin:Admin",
			"ann@x.io read role:Member,team:Platform",
			"ben@x.io read team:Platform",
			"dee@x.io read direct:dee@x.io",
		})
		if !out.OK || out.Total != 4 || out.Page != 1 || out.PerPage != 50 {
			t.Fatalf("envelope %+v", out)
		}

		// Anyone who may read the page's permissions may see who reads it.
		ben := srv.Login("ben@x.io")
		if lines, _ := people(t, ben.Get("/v1/pages/services/readers?q=PLAT")); len(lines) != 2 {
			t.Fatalf("search by team: %v", lines)
		}
		if lines, _ := people(t, ben.Get("/v1/pages/services/readers?q=dee")); len(lines) != 1 {
			t.Fatalf("search by email: %v", lines)
		}
		for _, who := range []string{"zoe@x.io", "cid@x.io"} {
			if r := srv.Login(who).Get("/v1/pages/services/readers"); r.StatusCode != http.StatusNotFound {
				t.Fatalf("%s, who cannot read the page: %d, want 404", who, r.StatusCode)
			}
		}
		if r := srv.Anonymous().Get("/v1/pages/services/readers"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("anonymous: %d", r.StatusCode)
		}
		if r := srv.AsAdmin().Get("/v1/pages/builder/readers"); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("the Builder is not a catalog page: %d", r.StatusCode)
		}
		tok := withToken(srv, mustToken(t, srv.Store, "ben@x.io", "pages", access.TokenGrant{Scopes: []string{"page:view"}}))
		if lines, _ := people(t, tok.Get("/v1/pages/services/readers")); len(lines) != 4 {
			t.Fatalf("with a page:view token: %v", lines)
		}

		// Paging.
		lines, out = people(t, ben.Get("/v1/pages/services/readers?per_page=3&page=2"))
		if out.Total != 4 || len(lines) != 1 || !strings.HasPrefix(lines[0], "dee@x.io") {
			t.Fatalf("page 2 of 3: %v %+v", lines, out)
		}
		if lines, out := people(t, ben.Get("/v1/pages/services/readers?page=9")); len(lines) != 0 || out.Total != 4 {
			t.Fatalf("past the end: %v", lines)
		}
		for _, q := range []string{"page=0", "page=x", "per_page=501", "per_page=0", "q=" + strings.Repeat("a", 201), "q=%00"} {
			if r := ben.Get("/v1/pages/services/readers?" + q); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, `"ok":false`) {
				t.Errorf("?%s: %d %s, want 400", q, r.StatusCode, r.Body)
			}
		}
	})
}

func TestWhoHasAccessToAChannel(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		accessWorld(t, srv)
		lines, _ := people(t, srv.AsAdmin().Get("/api/channels/alpha/access"))
		sameLines(t, "alpha", lines, []string{
			"admin@example.com manage admin:Admin",
			"ann@x.io manage direct:ann@x.io",
			"ben@x.io read team:Platform",
			"cid@x.io write role:Builder",
		})
		// Managers see it; readers and writers do not; others find no channel.
		if lines, _ := people(t, srv.Login("ann@x.io").Get("/api/channels/alpha/access?q=builder")); len(lines) != 1 || !strings.HasPrefix(lines[0], "cid@x.io") {
			t.Fatalf("ann searching for a role: %v", lines)
		}
		for who, want := range map[string]int{"ben@x.io": 403, "cid@x.io": 403, "zoe@x.io": 404} {
			if r := srv.Login(who).Get("/api/channels/alpha/access"); r.StatusCode != want {
				t.Errorf("%s: %d, want %d", who, r.StatusCode, want)
			}
		}
		// Tokens: managing resource tokens and channel:edit scope tokens may.
		ann := func(name string, g access.TokenGrant) *handlertest.Client {
			return withToken(srv, mustToken(t, srv.Store, "ann@x.io", name, g))
		}
		if r := ann("res", access.TokenGrant{Resources: []access.Resource{{Channel: "alpha", Level: access.Manage}}}).Get("/api/channels/alpha/access"); r.StatusCode != http.StatusOK {
			t.Errorf("manage resource token: %d", r.StatusCode)
		}
		if r := ann("edit", access.TokenGrant{Scopes: []string{"channel:edit"}}).Get("/api/channels/alpha/access"); r.StatusCode != http.StatusOK {
			t.Errorf("channel:edit token: %d", r.StatusCode)
		}
		if r := ann("read", access.TokenGrant{Resources: []access.Resource{{Channel: "alpha", Level: access.Read}}}).Get("/api/channels/alpha/access"); r.StatusCode != http.StatusForbidden {
			t.Errorf("read resource token: %d, want 403", r.StatusCode)
		}

		// A public channel is read by everybody, each through it being public.
		if r := srv.AsAdmin().SendJSON("PATCH", "/api/channels/alpha", `{"privacy":"public"}`); r.StatusCode != http.StatusOK {
			t.Fatal(r.Body)
		}
		lines, out := people(t, srv.AsAdmin().Get("/api/channels/alpha/access"))
		sameLines(t, "public alpha", lines, []string{
			"admin@example.com manage admin:Admin",
			"ann@x.io manage direct:ann@x.io",
			"ben@x.io read team:Platform,public:public channel",
			"cid@x.io write role:Builder",
			"dee@x.io read public:public channel",
			"zoe@x.io read public:public channel",
		})
		if out.Total != 6 {
			t.Fatalf("total %d", out.Total)
		}
	})
}

// The HTML Access view: reached from Permissions, searchable and paged,
// for the same people as the API.
func TestWhoHasAccessDialog(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	accessWorld(t, srv)
	ben := srv.Login("ben@x.io")
	perms := ben.Get("/pages/services/permissions")
	if perms.StatusCode != http.StatusOK || !strings.Contains(perms.Body, `href="/pages/services/access"`) || !strings.Contains(perms.Body, "Permissions of Services") {
		t.Fatalf("the page's Permissions dialog names its page and links to Who has access: %d", perms.StatusCode)
	}
	res := ben.Get("/pages/services/access?q=platform")
	d := doc(t, res)
	if res.StatusCode != http.StatusOK || d.Find(`[data-person]`).Length() != 2 || !strings.Contains(d.Find("#access-dialog-title").Text(), "Who has access to Services") {
		t.Fatalf("access view: %d %s", res.StatusCode, res.Body)
	}
	if d.Find(`[data-person="ann@x.io"] [data-via="Team"]`).Length() != 1 || d.Find(`[data-person="ann@x.io"] [data-via="Role"]`).Length() != 1 {
		t.Fatal("ann's grants are not named")
	}
	if res := ben.Get("/pages/services/access?per_page=1"); !strings.Contains(res.Body, `href="/pages/services/access?page=2&amp;per_page=1"`) {
		t.Fatalf("no link to the next page: %s", res.Body)
	}
	// Channels: the link and the view only for managers.
	if res := ben.Get("/channels/alpha/permissions"); res.StatusCode != http.StatusOK || strings.Contains(res.Body, "/channels/alpha/access") {
		t.Fatalf("a reader's channel Permissions dialog: %d, offers the Access view: %v", res.StatusCode, strings.Contains(res.Body, "/access"))
	}
	if res := ben.Get("/channels/alpha/access"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a reader at the channel's Access view: %d", res.StatusCode)
	}
	ann := srv.Login("ann@x.io")
	if res := ann.Get("/channels/alpha/permissions"); !strings.Contains(res.Body, `href="/channels/alpha/access"`) {
		t.Fatal("a manager's Permissions dialog lacks Who has access")
	}
	if d := doc(t, ann.Get("/channels/alpha/access")); d.Find(`[data-person]`).Length() != 4 {
		t.Fatalf("a manager sees %d people", d.Find(`[data-person]`).Length())
	}
	_ = fmt.Sprint
}
