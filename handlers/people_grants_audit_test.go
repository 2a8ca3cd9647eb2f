package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// Deleting a role or team takes away the page read it was granted; the audit
// event says which permissions were removed.
func TestDeletingRoleOrTeamAuditsTheGrantsItTakesAway(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			w.createPage(t, `{"identifier":"services","title":"Services","widgets":[{"kind":"channels"}]}`)
			a := w.srv.AsAdmin()
			res := a.SendJSON("PATCH", "/v1/pages/services/permissions", `{"read":{"roles":["Admin","Services-Moderator"],"teams":["Team 1"]}}`)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("grant: %d %s", res.StatusCode, res.Body)
			}
			if _, err := w.srv.Store.CreateUser(t.Context(), models.NewUser{Email: "mod@x.io", Password: modeltest.Password, Roles: []string{"Member", "Services-Moderator"}}); err != nil {
				t.Fatal(err)
			}
			roles, _ := w.srv.Store.Roles(t.Context())
			var roleID uint
			for _, r := range roles {
				if r.Name == "Services-Moderator" {
					roleID = r.ID
				}
			}
			if res := a.SendJSON("DELETE", fmt.Sprintf("/api/roles/%d", roleID), nil); res.StatusCode != http.StatusNoContent {
				t.Fatalf("delete role: %d %s", res.StatusCode, res.Body)
			}
			teams, _ := w.srv.Store.Teams(t.Context())
			var teamID uint
			for _, tm := range teams {
				if tm.Name == "Team 1" {
					teamID = tm.ID
				}
			}
			if res := a.SendJSON("DELETE", fmt.Sprintf("/api/teams/%d", teamID), nil); res.StatusCode != http.StatusNoContent {
				t.Fatalf("delete team: %d %s", res.StatusCode, res.Body)
			}
			for _, action := range []string{"role.delete", "team.delete"} {
				events := a.Get("/api/audit?action=" + action).Map(t)["events"].([]any)
				if len(events) != 1 {
					t.Fatalf("%s events: %v", action, events)
				}
				d := toJSON(events[0].(map[string]any)["details"])
				if !strings.Contains(d, `"grants_removed"`) || !strings.Contains(d, `"services"`) || !strings.Contains(d, `"page"`) {
					t.Errorf("%s does not say which page lost it: %s", action, d)
				}
				if action == "role.delete" && !strings.Contains(d, `"users":["mod@x.io"]`) {
					t.Errorf("role.delete does not say who held the role: %s", d)
				}
			}
		})
	}
}
