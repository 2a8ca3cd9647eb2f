package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// The only active admin can neither demote nor disable themselves (409 on
// the API, the dialog again on the form); with a second admin they can.
func TestLastAdminCannotBeRemoved(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		a := srv.AsAdmin()
		me, err := srv.Store.UserByEmail(t.Context(), handlertest.Admin)
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/api/users/%d", me.ID)
		res := a.SendJSON("PATCH", path, map[string]any{"roles": []string{"Member"}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "last active admin") {
			t.Fatalf("demote the last admin by API: %d %s", res.StatusCode, res.Body)
		}
		res = a.PostForm(fmt.Sprintf("/admin/users/%d", me.ID), url.Values{"roles": {"Member"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "last active admin") {
			t.Fatalf("demote the last admin by form: %d", res.StatusCode)
		}
		if got, _ := srv.Store.User(t.Context(), me.ID); !got.IsAdmin() {
			t.Fatal("the last admin lost the Admin role")
		}
		// With a second active admin, stepping down is allowed.
		modeltest.MustUser(t, srv.Store, "second@example.com", access.RoleAdmin)
		if res := a.SendJSON("PATCH", path, map[string]any{"roles": []string{"Member"}}); res.StatusCode != http.StatusOK {
			t.Fatalf("step down beside another admin: %d %s", res.StatusCode, res.Body)
		}
		// The second admin, now the last, cannot be disabled by anyone.
		second, _ := srv.Store.UserByEmail(t.Context(), "second@example.com")
		b := srv.Login("second@example.com")
		res = b.SendJSON("PATCH", fmt.Sprintf("/api/users/%d", second.ID), map[string]any{"roles": []string{"Member"}})
		if res.StatusCode != http.StatusConflict {
			t.Fatalf("demote the new last admin: %d %s", res.StatusCode, res.Body)
		}
	})
}

// PATCH /api/teams/{id} changes only what it names: a body without
// "members" leaves them alone, and null is refused.
func TestTeamPatchKeepsAbsentMembers(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		a := srv.AsAdmin()
		modeltest.MustUser(t, srv.Store, "m@example.com", access.RoleMember)
		res := a.SendJSON("POST", "/api/teams", map[string]any{"name": "Ops", "members": []string{"m@example.com"}})
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", res.StatusCode, res.Body)
		}
		id := int(res.Map(t)["team"].(map[string]any)["id"].(float64))
		path := fmt.Sprintf("/api/teams/%d", id)
		if res := a.SendJSON("PATCH", path, map[string]any{}); res.StatusCode != http.StatusOK {
			t.Fatalf("empty patch: %d %s", res.StatusCode, res.Body)
		}
		if res := a.SendJSON("PATCH", path, `{"members": null}`); res.StatusCode != http.StatusBadRequest {
			t.Fatalf("null members: %d %s", res.StatusCode, res.Body)
		}
		team, err := srv.Store.Team(t.Context(), uint(id))
		if err != nil || strings.Join(team.MemberEmails(), ",") != "m@example.com" {
			t.Fatalf("members after patches without a list: %v %v", team.MemberEmails(), err)
		}
		if res := a.SendJSON("PATCH", path, map[string]any{"members": []string{}}); res.StatusCode != http.StatusOK {
			t.Fatalf("clear members: %d %s", res.StatusCode, res.Body)
		}
		if team, _ := srv.Store.Team(t.Context(), uint(id)); len(team.Members) != 0 {
			t.Fatalf("members = [] did not clear: %v", team.MemberEmails())
		}
	})
}

// A role that is someone's only role is not deleted: the API answers 409
// and the Roles page says whom it would strand.
func TestDeleteRoleThatIsSomeonesOnlyRole(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		a := srv.AsAdmin()
		role, err := srv.Store.CreateRole(t.Context(), "Contractor")
		if err != nil {
			t.Fatal(err)
		}
		modeltest.MustUser(t, srv.Store, "c@example.com", "Contractor")
		res := a.SendJSON("DELETE", fmt.Sprintf("/api/roles/%d", role.ID), nil)
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "c@example.com") {
			t.Fatalf("API delete: %d %s", res.StatusCode, res.Body)
		}
		res = a.PostForm(fmt.Sprintf("/admin/roles/%d/delete", role.ID), nil)
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "c@example.com") || !strings.Contains(res.Body, "Create role") {
			t.Fatalf("form delete: %d", res.StatusCode)
		}
	})
}
