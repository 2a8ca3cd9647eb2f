package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// pageWorld is a server with people who may read pages in every way: by
// role (member), by team (teamed), by email (named), and not at all (nobody).
type pageWorld struct {
	srv *handlertest.Server
}

func newPageWorld(t *testing.T, b modeltest.Backend) *pageWorld {
	t.Helper()
	srv := handlertest.Start(t, b)
	s, ctx := srv.Store, t.Context()
	for _, r := range []string{"Guest", "Services-Moderator"} {
		if _, err := s.CreateRole(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	modeltest.MustUser(t, s, "member@x.io", access.RoleMember)
	modeltest.MustUser(t, s, "teamed@x.io", "Guest")
	modeltest.MustUser(t, s, "named@x.io", "Guest")
	modeltest.MustUser(t, s, "nobody@x.io", "Guest")
	modeltest.MustUser(t, s, "exampleuser1@example.com", "Guest")
	modeltest.MustUser(t, s, "exampleuser2@example.com", "Guest")
	for _, name := range []string{"Team 1", "Team 2"} {
		team, err := s.CreateTeam(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		if name == "Team 1" {
			if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{"teamed@x.io"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return &pageWorld{srv: srv}
}

// createPage makes a page through the API as the admin.
func (w *pageWorld) createPage(t *testing.T, body string) {
	t.Helper()
	res := w.srv.AsAdmin().SendJSON(http.MethodPost, "/v1/pages", body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create page: %d %s", res.StatusCode, res.Body)
	}
}

type permsResponse struct {
	OK          bool `json:"ok"`
	Permissions struct {
		Read access.Grants `json:"read"`
	} `json:"permissions"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

func readPerms(t *testing.T, r *handlertest.Response) permsResponse {
	t.Helper()
	var p permsResponse
	r.JSON(t, &p)
	return p
}

func grantsText(g access.Grants) string {
	b, _ := json.Marshal(g)
	return string(b)
}

// TestPagePermissionsSeedExamples replays every example of the seed, in
// order, as PATCH requests and checks the result the seed describes.
func TestPagePermissionsSeedExamples(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			w.createPage(t, `{"identifier":"services","title":"Services","widgets":[{"type":"table","kind":"artifacts"}]}`)
			admin := w.srv.AsAdmin()
			const path = "/v1/pages/services/permissions"
			steps := []struct{ name, body, want string }{
				{"given", "", `{"roles":["Admin","Member"],"users":[],"teams":[]}`},
				{"add permissions to role", `{"read":{"roles":["Admin","Member","Services-Moderator"]}}`,
					`{"roles":["Admin","Member","Services-Moderator"],"users":[],"teams":[]}`},
				{"remove permissions from role", `{"read":{"roles":["Admin"]}}`,
					`{"roles":["Admin"],"users":[],"teams":[]}`},
				{"add permissions to user", `{"read":{"users":["exampleUser1@example.com","exampleUser2@example.com"]}}`,
					`{"roles":["Admin"],"users":["exampleuser1@example.com","exampleuser2@example.com"],"teams":[]}`},
				{"add permissions to team", `{"read":{"teams":["Team 1","Team 2"]}}`,
					`{"roles":["Admin"],"users":["exampleuser1@example.com","exampleuser2@example.com"],"teams":["Team 1","Team 2"]}`},
				{"several keys: unnamed entries of a present key lose access", `{"read":{"roles":["Admin","Member"],"teams":["Team 2"]}}`,
					`{"roles":["Admin","Member"],"users":["exampleuser1@example.com","exampleuser2@example.com"],"teams":["Team 2"]}`},
			}
			for _, st := range steps {
				var res *handlertest.Response
				if st.body == "" {
					res = admin.Get(path)
				} else {
					res = admin.SendJSON(http.MethodPatch, path, st.body)
				}
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d %s", st.name, res.StatusCode, res.Body)
				}
				if got := grantsText(readPerms(t, res).Permissions.Read); got != st.want {
					t.Errorf("%s: PATCH answered %s, want %s", st.name, got, st.want)
				}
				if got := grantsText(readPerms(t, admin.Get(path)).Permissions.Read); got != st.want {
					t.Errorf("%s: GET answers %s, want %s", st.name, got, st.want)
				}
			}
			// The effect on people: Team 1 lost access, Team 2 and the users kept it.
			for email, want := range map[string]int{"teamed@x.io": 404, "exampleuser1@example.com": 200, "member@x.io": 200, "nobody@x.io": 404} {
				if got := w.srv.Login(email).Get("/v1/pages/services").StatusCode; got != want {
					t.Errorf("%s reads the page: %d, want %d", email, got, want)
				}
			}
			// Locking, as the seed shows it.
			res := admin.SendJSON(http.MethodPatch, "/v1/pages/services", `{"locked": true}`)
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"locked":true`) {
				t.Errorf("lock: %d %s", res.StatusCode, res.Body)
			}
		})
	}
}

// TestPagePermissionsPatchRule is the PATCH rule as a table; every case
// starts from a fresh page readable by Admin and Member.
func TestPagePermissionsPatchRule(t *testing.T) {
	const start = `{"roles":["Admin","Member"],"users":[],"teams":[]}`
	tests := []struct {
		name   string
		as     string // email; "" is the admin
		path   string // default /v1/pages/p/permissions
		body   string
		status int
		want   string // the permissions afterwards
		fault  string // must appear in the error message
		code   string
	}{
		{name: "roles alone", body: `{"read":{"roles":["Services-Moderator"]}}`, status: 200, want: `{"roles":["Services-Moderator"],"users":[],"teams":[]}`},
		{name: "users alone", body: `{"read":{"users":["named@x.io"]}}`, status: 200, want: `{"roles":["Admin","Member"],"users":["named@x.io"],"teams":[]}`},
		{name: "teams alone", body: `{"read":{"teams":["Team 1"]}}`, status: 200, want: `{"roles":["Admin","Member"],"users":[],"teams":["Team 1"]}`},
		{name: "several keys", body: `{"read":{"roles":["Admin"],"users":["named@x.io"],"teams":["Team 2","Team 1"]}}`, status: 200, want: `{"roles":["Admin"],"users":["named@x.io"],"teams":["Team 1","Team 2"]}`},
		{name: "empty lists", body: `{"read":{"roles":[],"users":[],"teams":[]}}`, status: 200, want: `{"roles":[],"users":[],"teams":[]}`},
		{name: "empty read object changes nothing", body: `{"read":{}}`, status: 200, want: start},
		{name: "repeated names", body: `{"read":{"roles":["Admin","Admin"," Member"],"users":["Named@x.io","named@x.io"]}}`, status: 200, want: `{"roles":["Admin","Member"],"users":["named@x.io"],"teams":[]}`},
		{name: "unknown role", body: `{"read":{"roles":["Admin","Ghost"]}}`, status: 422, want: start, fault: "Ghost", code: "invalid"},
		{name: "unknown user and team, all named", body: `{"read":{"users":["ghost@x.io"],"teams":["Phantoms"]}}`, status: 422, want: start, fault: "ghost@x.io", code: "invalid"},
		{name: "unknown team named", body: `{"read":{"roles":["Admin"],"teams":["Phantoms"]}}`, status: 422, want: start, fault: "Phantoms"},
		{name: "unknown top-level key", body: `{"read":{"roles":["Admin"]},"write":{"roles":[]}}`, status: 400, want: start, fault: `"write"`},
		{name: "non-read permission", body: `{"update":{"roles":[]}}`, status: 400, want: start, fault: `"update"`},
		{name: "unknown inner key", body: `{"read":{"groups":["Admin"]}}`, status: 400, want: start, fault: `read.groups`},
		{name: "null list", body: `{"read":{"roles":null}}`, status: 400, want: start, fault: `read.roles`},
		{name: "not a list", body: `{"read":{"roles":"Admin"}}`, status: 400, want: start, fault: `read.roles`},
		{name: "read not an object", body: `{"read":["Admin"]}`, status: 400, want: start, fault: `"read"`},
		{name: "malformed JSON", body: `{"read":{"roles":["Admin"]`, status: 400, want: start},
		{name: "not an object", body: `[1,2]`, status: 400, want: start},
		{name: "over 1 MiB", body: `{"read":{"roles":["` + strings.Repeat("x", 1<<20) + `"]}}`, status: 413, want: start, fault: "1 MiB"},
		{name: "member may not change", as: "member@x.io", body: `{"read":{"roles":["Member"]}}`, status: 403, want: start, code: "forbidden"},
		{name: "non-reader gets 404", as: "nobody@x.io", body: `{"read":{"roles":["Guest"]}}`, status: 404, want: start, code: "not_found"},
		{name: "builder page", path: "/v1/pages/builder/permissions", body: `{"read":{"roles":["Admin"]}}`, status: 400, want: start, fault: "Builder", code: "not_a_catalog_page"},
		{name: "audit log page", path: "/v1/pages/audit-log/permissions", body: `{"read":{"roles":["Admin"]}}`, status: 400, want: start, fault: "Audit log", code: "not_a_catalog_page"},
		{name: "unknown page", path: "/v1/pages/nope/permissions", body: `{"read":{"roles":["Admin"]}}`, status: 404, want: start, code: "not_found"},
	}
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			admin := w.srv.AsAdmin()
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					id := "p" + strings.Repeat("x", i)
					w.createPage(t, `{"identifier":"`+id+`","title":"P","widgets":[]}`)
					path := tt.path
					if path == "" {
						path = "/v1/pages/" + id + "/permissions"
					}
					c := admin
					if tt.as != "" {
						c = w.srv.Login(tt.as)
					}
					res := c.SendJSON(http.MethodPatch, path, tt.body)
					if res.StatusCode != tt.status {
						t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, res.Body)
					}
					p := readPerms(t, res)
					if tt.status == 200 {
						if got := grantsText(p.Permissions.Read); got != tt.want {
							t.Errorf("answered %s, want %s", got, tt.want)
						}
					} else {
						if p.OK || p.Message == "" || !strings.Contains(p.Message, tt.fault) {
							t.Errorf("error %+v should name %q", p, tt.fault)
						}
						if tt.code != "" && p.Error != tt.code {
							t.Errorf("code %q, want %q", p.Error, tt.code)
						}
					}
					if got := grantsText(readPerms(t, admin.Get("/v1/pages/"+id+"/permissions")).Permissions.Read); got != tt.want {
						t.Errorf("stored %s, want %s", got, tt.want)
					}
				})
			}
		})
	}
}

func TestPagePermissionsGet(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			w.createPage(t, `{"identifier":"services","title":"Services"}`)
			for email, want := range map[string]int{"member@x.io": 200, "nobody@x.io": 404} {
				res := w.srv.Login(email).Get("/v1/pages/services/permissions")
				if res.StatusCode != want {
					t.Errorf("%s: %d, want %d", email, res.StatusCode, want)
				}
			}
			res := w.srv.Login("member@x.io").Get("/v1/pages/services/permissions")
			if res.Body != `{"ok":true,"permissions":{"read":{"roles":["Admin","Member"],"users":[],"teams":[]}}}`+"\n" {
				t.Errorf("body %q", res.Body)
			}
			for _, sys := range []string{"builder", "audit-log"} {
				res := w.srv.Login("member@x.io").Get("/v1/pages/" + sys + "/permissions")
				if res.StatusCode != 400 || res.Map(t)["error"] != "not_a_catalog_page" {
					t.Errorf("%s: %d %s", sys, res.StatusCode, res.Body)
				}
			}
			if res := w.srv.Anonymous().Get("/v1/pages/services/permissions"); res.StatusCode != 401 {
				t.Errorf("anonymous: %d", res.StatusCode)
			}
			// Unreadable looks exactly like missing.
			_, _, err := w.srv.Store.ApplyGrantsPatch(t.Context(), models.ResourcePage, pageID(t, w.srv, "services"), map[string]access.GrantsPatch{"read": {Roles: &[]string{"Admin"}}})
			if err != nil {
				t.Fatal(err)
			}
			hidden := w.srv.Login("member@x.io").Get("/v1/pages/services")
			missing := w.srv.Login("member@x.io").Get("/v1/pages/no-such-page")
			if hidden.StatusCode != 404 || hidden.Body != missing.Body {
				t.Errorf("unreadable %d %q vs missing %q", hidden.StatusCode, hidden.Body, missing.Body)
			}
		})
	}
}

func pageID(t *testing.T, srv *handlertest.Server, ident string) uint {
	t.Helper()
	p, err := srv.Store.PageByIdentifier(t.Context(), ident)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func TestPagesAPI(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			admin, member := w.srv.AsAdmin(), w.srv.Login("member@x.io")
			body := `{"identifier":"services","title":"Services","icon":"channel","widgets":[{"type":"table","kind":"artifacts","filters":[{"column":"name","op":"contains","value":"py"}],"hidden":["build"],"sort":{"column":"name","desc":false}}]}`
			if res := member.SendJSON(http.MethodPost, "/v1/pages", body); res.StatusCode != 403 {
				t.Errorf("member creates: %d", res.StatusCode)
			}
			res := admin.SendJSON(http.MethodPost, "/v1/pages", body)
			if res.StatusCode != 201 || !strings.Contains(res.Body, `"identifier":"services"`) || !strings.Contains(res.Body, `"hidden":["build"]`) {
				t.Fatalf("create: %d %s", res.StatusCode, res.Body)
			}
			for _, tc := range []struct {
				body   string
				status int
				fault  string
			}{
				{body, 409, "services"},
				{`{"identifier":"builder","title":"B"}`, 422, "reserved"},
				{`{"identifier":"Bad Id","title":"B"}`, 422, "Identifier"},
				{`{"identifier":"x","title":"X","widgets":[{"kind":"artifacts","hidden":["nope"]}]}`, 422, "nope"},
				{`{"identifier":"x","title":"X","colour":"red"}`, 400, "colour"},
				{`{"identifier":"x",`, 400, "JSON"},
			} {
				res := admin.SendJSON(http.MethodPost, "/v1/pages", tc.body)
				if res.StatusCode != tc.status || !strings.Contains(res.Body, tc.fault) {
					t.Errorf("POST %s: %d %s", tc.body, res.StatusCode, res.Body)
				}
			}
			if res := member.Get("/v1/pages/services"); res.StatusCode != 200 || !strings.Contains(res.Body, `"kind":"artifacts"`) {
				t.Errorf("member GET: %d %s", res.StatusCode, res.Body)
			}
			if res := member.SendJSON(http.MethodPatch, "/v1/pages/services", `{"locked":true}`); res.StatusCode != 403 {
				t.Errorf("member locks: %d", res.StatusCode)
			}
			res = admin.SendJSON(http.MethodPatch, "/v1/pages/services", `{"locked":true,"title":"All services"}`)
			if res.StatusCode != 200 || !strings.Contains(res.Body, `"locked":true`) || !strings.Contains(res.Body, `"title":"All services"`) {
				t.Errorf("lock: %d %s", res.StatusCode, res.Body)
			}
			for _, tc := range []struct {
				body   string
				status int
			}{
				{`{"identifier":"other"}`, 400},
				{`{"locked":"yes"}`, 400},
				{`{"title":""}`, 422},
				{`{"widgets":[{"kind":"channels","sort":{"column":"version"}}]}`, 422},
				{`{"locked":null}`, 400},
				{`{"title":null}`, 400},
				{`{"widgets":null}`, 400},
				{`{"colour":null}`, 400},
				{`null`, 400},
				{`[]`, 400},
			} {
				if res := admin.SendJSON(http.MethodPatch, "/v1/pages/services", tc.body); res.StatusCode != tc.status {
					t.Errorf("PATCH %s: %d %s", tc.body, res.StatusCode, res.Body)
				}
			}
			admin.SendJSON(http.MethodPatch, "/v1/pages/services", `{"locked":false}`)
			if res := admin.SendJSON(http.MethodPatch, "/v1/pages/builder", `{"locked":true}`); res.StatusCode != 400 {
				t.Errorf("lock builder: %d", res.StatusCode)
			}
			if res := member.Do(http.MethodDelete, "/v1/pages/services", nil, "", false); res.StatusCode != 403 {
				t.Errorf("member deletes: %d", res.StatusCode)
			}
			admin.SendJSON(http.MethodPatch, "/v1/pages/services/permissions", `{"read":{"roles":["Admin"],"users":["named@x.io"]}}`)
			if res := admin.Do(http.MethodDelete, "/v1/pages/services", nil, "", false); res.StatusCode != 204 {
				t.Errorf("delete: %d %s", res.StatusCode, res.Body)
			}
			if res := admin.Get("/v1/pages/services"); res.StatusCode != 404 {
				t.Errorf("after delete: %d", res.StatusCode)
			}

			evs, err := w.srv.Store.AuditEvents(t.Context(), models.AuditFilter{Action: "page", Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range evs {
				got[e.Action] = e.Details
			}
			for _, a := range []string{"page.create", "page.edit", "page.lock", "page.unlock", "page.permissions", "page.delete"} {
				if _, ok := got[a]; !ok {
					t.Errorf("no %s audit event (have %v)", a, got)
				}
			}
			if d := got["page.permissions"]; !strings.Contains(d, `"old":{"read":{"roles":["Admin","Member"],"users":[],"teams":[]}}`) || !strings.Contains(d, `"new":{"read":{"roles":["Admin"],"users":["named@x.io"],"teams":[]}}`) {
				t.Errorf("permissions audit details %s", d)
			}
		})
	}
}
