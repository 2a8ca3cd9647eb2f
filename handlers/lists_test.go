package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// texts lists the trimmed text of what sel finds in the page at path.
func texts(t *testing.T, c *handlertest.Client, path, sel string) []string {
	t.Helper()
	res := c.Get(path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, res.StatusCode)
	}
	var out []string
	doc(t, res).Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// Channels, Users and Teams: search, filters and sort, each a plain GET
// that keeps working without script; nonsense is a 400.
func TestListsSearchFilterSort(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	s, ctx := srv.Store, t.Context()
	adm := srv.AsAdmin()
	for _, ch := range []struct{ name, desc, privacy string }{{"alpha", "data tools", "private"}, {"beta", "", "public"}, {"gamma", "more data", "public"}} {
		if r := adm.SendJSON("POST", "/api/channels", map[string]any{"name": ch.name, "description": ch.desc, "privacy": ch.privacy}); r.StatusCode != http.StatusCreated {
			t.Fatal(r.Body)
		}
	}
	modeltest.MustUser(t, s, "ann@x.io", access.RoleMember)
	off := modeltest.MustUser(t, s, "off@x.io", access.RoleMember)
	disabled := true
	if r := adm.SendJSON("PATCH", "/api/users/"+itoa(off.ID), map[string]any{"disabled": disabled}); r.StatusCode != http.StatusOK {
		t.Fatal(r.Body)
	}
	for name, members := range map[string][]string{"Ops": {"ann@x.io", "off@x.io"}, "Data": {"ann@x.io"}, "Empty": nil} {
		team, err := s.CreateTeam(ctx, name, "team "+strings.ToLower(name))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetTeamMembers(ctx, team.ID, members); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		path, sel, want string
	}{
		{"/channels?q=DATA", "[data-testid=channels-table] tbody a", "alpha gamma"},
		{"/channels?privacy=public", "[data-testid=channels-table] tbody a", "beta gamma"},
		{"/channels?sort=name&desc=1", "[data-testid=channels-table] tbody a", "gamma beta alpha"},
		{"/channels?sort=privacy", "[data-testid=channels-table] tbody a", "alpha beta gamma"},
		{"/admin/users?q=ann", "[data-testid=users-table] tbody td:first-child", "ann@x.io"},
		{"/admin/users?q=ops", "[data-testid=users-table] tbody td:first-child", "ann@x.io off@x.io"},
		{"/admin/users?status=disabled", "[data-testid=users-table] tbody td:first-child", "off@x.io"},
		{"/admin/users?role=Admin", "[data-testid=users-table] tbody td:first-child", handlertest.Admin},
		{"/admin/users?sort=status&desc=1", "[data-testid=users-table] tbody td:first-child", "off@x.io ann@x.io admin@example.com"},
		{"/admin/teams?q=ANN", "[data-testid=teams-table] tbody td:first-child p:first-child", "Data Ops"},
		{"/admin/teams?sort=members&desc=1", "[data-testid=teams-table] tbody td:first-child p:first-child", "Ops Data Empty"},
	}
	for _, tc := range cases {
		if got := strings.Join(texts(t, adm, tc.path, tc.sel), " "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
		}
	}
	for _, bad := range []string{"/channels?privacy=secret", "/channels?sort=size", "/admin/users?status=gone", "/admin/teams?sort=x", "/admin/users?q=%00"} {
		if r := adm.Get(bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, r.StatusCode)
		}
	}
}

// The New user form names every field at fault at once.
func TestNewUserShowsEveryError(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	adm := srv.AsAdmin()
	res := adm.PostForm("/admin/users", url.Values{"email": {"not-an-email"}, "password": {"pw"}, "roles": {"Member"}})
	d := doc(t, res)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("%d", res.StatusCode)
	}
	for _, id := range []string{"f-email", "f-password"} {
		in := d.Find("#" + id)
		if in.AttrOr("aria-invalid", "") != "true" || d.Find("#"+in.AttrOr("aria-describedby", "none")).Text() == "" {
			t.Errorf("%s is not marked invalid with its message", id)
		}
	}
	if d.Find("#f-email").AttrOr("value", "") != "not-an-email" {
		t.Error("the typed email is lost")
	}
}

// Deleting a role: a confirmation that says what goes, then a
// confirmation of what happened on the next page.
func TestDeleteRoleConfirms(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	adm := srv.AsAdmin()
	var role struct {
		Role struct{ ID uint }
	}
	res := adm.SendJSON("POST", "/api/roles", map[string]any{"name": "Ops-Role"})
	res.JSON(t, &role)
	modeltest.MustUser(t, srv.Store, "ann@x.io", access.RoleMember, "Ops-Role")
	page := doc(t, adm.Get("/admin/roles"))
	link := page.Find(`[aria-label="Delete role Ops-Role"]`)
	if link.Is("button") || link.AttrOr("hx-get", "") != "/admin/roles/"+itoa(role.Role.ID)+"/delete" {
		t.Fatal("the role's delete control does not ask first")
	}
	confirm := adm.Get("/admin/roles/" + itoa(role.Role.ID) + "/delete")
	if !strings.Contains(confirm.Body, "Delete the role Ops-Role? 1 person holds it and lose it; 0 grants on channels and pages go with it.") {
		t.Fatalf("confirmation: %s", confirm.Body)
	}
	if r := adm.Get("/admin/roles/1/delete"); r.StatusCode != http.StatusConflict {
		t.Errorf("confirming a built-in role's deletion: %d", r.StatusCode)
	}
	if r := adm.PostForm("/admin/roles/"+itoa(role.Role.ID)+"/delete", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	if flash := texts(t, adm, "/admin/roles", "[data-testid=flash]"); len(flash) != 1 || flash[0] != "Role Ops-Role deleted." {
		t.Fatalf("flash after delete: %v", flash)
	}
	if flash := texts(t, adm, "/admin/roles", "[data-testid=flash]"); len(flash) != 0 {
		t.Fatal("the confirmation shows twice")
	}
}

// The audit log: the actor filter takes part of an email; an inverted date
// range says so beside the field, on the page and in the API.
func TestAuditFilterFaults(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	adm := srv.AsAdmin()
	if rows := texts(t, adm, "/audit-log?actor=ADMIN@", "[data-testid=audit-table] tbody tr"); len(rows) == 0 {
		t.Fatal("part of an email finds nothing")
	}
	res := adm.Get("/audit-log?since=2025-03-10&until=2025-03-01")
	d := doc(t, res)
	until := d.Find("#f-until")
	if res.StatusCode != http.StatusBadRequest || until.AttrOr("aria-invalid", "") != "true" || !strings.Contains(d.Find("#"+until.AttrOr("aria-describedby", "x")).Text(), "Until is before From") {
		t.Fatalf("inverted range: %d %q", res.StatusCode, d.Find("#f-until-error").Text())
	}
	if r := adm.Get("/api/audit?since=2025-03-10&until=2025-03-01"); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "range is empty") {
		t.Fatalf("API inverted range: %d %s", r.StatusCode, r.Body)
	}
	if r := adm.Get("/api/audit?since=2025-03-01&until=2025-03-01"); r.StatusCode != http.StatusOK {
		t.Fatalf("a one-day range: %d %s", r.StatusCode, r.Body)
	}
}

// The Delete Token question has no stray space before its question mark.
func TestDeleteTokenQuestion(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	modeltest.MustUser(t, srv.Store, "ann@x.io", access.RoleMember)
	mustToken(t, srv.Store, "ann@x.io", "laptop", access.TokenGrant{Scopes: []string{"user.token:view"}})
	var id uint
	srv.Store.DB().Raw("SELECT id FROM tokens WHERE name = ?", "laptop").Scan(&id)
	for who, want := range map[*handlertest.Client]string{
		srv.Login("ann@x.io"): "Delete the token laptop? Anything",
		srv.AsAdmin():         "Delete the token laptop of ann@x.io? Anything",
	} {
		if got := strings.Join(strings.Fields(doc(t, who.Get("/tokens/"+itoa(id)+"/delete")).Find("#delete-token-dialog p").Text()), " "); !strings.HasPrefix(got, want) {
			t.Errorf("%q, want it to start %q", got, want)
		}
	}
}
