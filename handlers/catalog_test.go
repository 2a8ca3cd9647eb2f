package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// seedArtifacts adds a public channel "pub" and a private channel "priv"
// that only admins may read, with a few artifacts each.
func seedArtifacts(t *testing.T, w *pageWorld) {
	t.Helper()
	db := w.srv.Store.DB()
	pub := models.Channel{Name: "pub", Public: true}
	priv := models.Channel{Name: "priv"}
	for _, ch := range []*models.Channel{&pub, &priv} {
		if err := db.Create(ch).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i, a := range []struct {
		ch   uint
		name string
	}{{pub.ID, "alpha"}, {pub.ID, "beta"}, {priv.ID, "alpha-secret"}, {priv.ID, "gamma-secret"}} {
		art := models.Artifact{ChannelID: a.ch, Subdir: "noarch", Filename: fmt.Sprintf("%s-1.0-0.conda", a.name), Name: a.name,
			Version: "1.0", Build: fmt.Sprintf("b%d", i), Size: 2048, MD5: "m", SHA256: "s"}
		if err := db.Create(&art).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPageReadEnforcement checks every way in — navigation, page list,
// search, direct URL, API, permissions and filter results — for people who
// may read by role, by team, by email, and for one who may not.
func TestPageReadEnforcement(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			seedArtifacts(t, w)
			w.createPage(t, `{"identifier":"open","title":"Open Catalog","widgets":[{"type":"table","kind":"artifacts"}]}`)
			w.createPage(t, `{"identifier":"shared","title":"Shared Catalog","widgets":[{"type":"table","kind":"artifacts"}]}`)
			admin := w.srv.AsAdmin()
			res := admin.SendJSON(http.MethodPatch, "/v1/pages/shared/permissions", `{"read":{"roles":[],"users":["named@x.io"],"teams":["Team 1"]}}`)
			if res.StatusCode != 200 {
				t.Fatal(res.Body)
			}
			people := []struct {
				email        string
				open, shared bool
			}{
				{handlertestAdmin, true, true},
				{"member@x.io", true, false},  // by role
				{"teamed@x.io", false, true},  // by team
				{"named@x.io", false, true},   // by email
				{"nobody@x.io", false, false}, // not at all
			}
			for _, p := range people {
				t.Run(p.email, func(t *testing.T) {
					c := w.srv.Login(p.email)
					home := c.Get("/").Body
					list := c.Get("/v1/pages").Body
					search := c.Get("/v1/pages?search=catalog").Body
					for ident, may := range map[string]bool{"open": p.open, "shared": p.shared} {
						status := map[bool]int{true: 200, false: 404}[may]
						if got := strings.Contains(home, `href="/pages/`+ident+`"`); got != may {
							t.Errorf("nav shows %s: %v, want %v", ident, got, may)
						}
						if got := strings.Contains(list, `"identifier":"`+ident+`"`); got != may {
							t.Errorf("/v1/pages lists %s: %v, want %v", ident, got, may)
						}
						if got := strings.Contains(search, `"identifier":"`+ident+`"`); got != may {
							t.Errorf("search finds %s: %v, want %v", ident, got, may)
						}
						for _, path := range []string{"/pages/" + ident, "/v1/pages/" + ident, "/v1/pages/" + ident + "/permissions"} {
							if got := c.Get(path).StatusCode; got != status {
								t.Errorf("GET %s: %d, want %d", path, got, status)
							}
						}
					}
					if !p.shared {
						return
					}
					// Filter results come only from channels the viewer may read.
					page := c.Get("/pages/shared?view=1&f.name=secret&show=channel&show=name").Body
					wantSecret := p.email == handlertestAdmin
					if got := strings.Contains(page, "alpha-secret"); got != wantSecret {
						t.Errorf("filter shows a private row: %v, want %v", got, wantSecret)
					}
					if !strings.Contains(c.Get("/pages/shared").Body, "beta") {
						t.Error("public rows missing")
					}
				})
			}
			if res := w.srv.Anonymous().Get("/pages/open"); res.StatusCode != http.StatusSeeOther {
				t.Errorf("anonymous: %d", res.StatusCode)
			}
			if res := admin.Get("/pages/builder"); res.StatusCode != 400 {
				t.Errorf("/pages/builder: %d", res.StatusCode)
			}
		})
	}
}

const handlertestAdmin = "admin@example.com"

func TestCatalogPageView(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			seedArtifacts(t, w)
			w.createPage(t, `{"identifier":"open","title":"Open Catalog","widgets":[{"type":"table","kind":"artifacts","hidden":["build"]}]}`)
			admin, member := w.srv.AsAdmin(), w.srv.Login("member@x.io")

			body := member.Get("/pages/open").Body
			for _, want := range []string{`>Filter Name</label>`, `aria-label="Show Build"`, ">Permissions<", "2 rows"} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
			if strings.Contains(body, ">b0<") || strings.Contains(body, "Save view") || strings.Contains(body, "Lock page") {
				t.Error("hidden column shown, or admin menu shown to a member")
			}
			// The viewer's own view lives in the URL.
			body = member.Get("/pages/open?view=1&f.name=bet&show=name&show=build").Body
			if !strings.Contains(body, "1 rows") || !strings.Contains(body, ">b1<") || strings.Contains(body, ">alpha<") {
				t.Errorf("viewer's filter or shown column not applied")
			}

			// Save view: admins only; it becomes the default for everyone.
			if res := member.PostForm("/pages/open/view", url.Values{"query": {"view=1&f.name=alpha&show=name"}}); res.StatusCode != 403 {
				t.Errorf("member saves view: %d", res.StatusCode)
			}
			if res := w.srv.Login("nobody@x.io").PostForm("/pages/open/lock", nil); res.StatusCode != 404 {
				t.Errorf("non-reader locks: %d", res.StatusCode)
			}
			if res := admin.PostForm("/pages/open/view", url.Values{"query": {"view=1&f.name=alpha&show=name&show=channel"}}); res.StatusCode != 303 {
				t.Fatalf("save view: %d %s", res.StatusCode, res.Body)
			}
			body = member.Get("/pages/open").Body
			if !strings.Contains(body, "1 rows") || !strings.Contains(body, ">alpha<") || strings.Contains(body, ">Version<") {
				t.Error("saved view not the default")
			}

			// Locked: the lock icon shows, viewers' controls are disabled and
			// their query-string filters are not applied; admins still can.
			if res := member.PostForm("/pages/open/lock", nil); res.StatusCode != 403 {
				t.Errorf("member locks: %d", res.StatusCode)
			}
			if res := admin.PostForm("/pages/open/lock", nil); res.StatusCode != 303 {
				t.Fatalf("lock: %d", res.StatusCode)
			}
			body = member.Get("/pages/open?view=1&f.name=beta&show=name&show=version").Body
			if !strings.Contains(body, `aria-label="Locked"`) || !strings.Contains(body, "<fieldset disabled") {
				t.Error("locked page lacks the lock icon or disabled controls")
			}
			if !strings.Contains(body, ">alpha<") || strings.Contains(body, ">beta<") || strings.Contains(body, ">Version<") {
				t.Error("a viewer's filters applied on a locked page")
			}
			body = admin.Get("/pages/open?view=1&f.name=beta&show=name&show=version").Body
			if !strings.Contains(body, ">beta<") || strings.Contains(body, "<fieldset disabled") || !strings.Contains(body, "Unlock page") {
				t.Error("admin cannot change the view of a locked page")
			}
			if res := admin.PostForm("/pages/open/unlock", nil); res.StatusCode != 303 {
				t.Fatalf("unlock: %d", res.StatusCode)
			}
			if body := member.Get("/pages/open?view=1&f.name=beta&show=name").Body; !strings.Contains(body, ">beta<") || strings.Contains(body, `aria-label="Locked"`) {
				t.Error("unlocked page still refuses the viewer's view")
			}
		})
	}
}

func TestBuilder(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			admin, member := w.srv.AsAdmin(), w.srv.Login("member@x.io")
			if res := member.Get("/builder"); res.StatusCode != 403 {
				t.Errorf("member opens the Builder: %d", res.StatusCode)
			}
			if res := member.PostForm("/builder", url.Values{"identifier": {"x"}, "title": {"X"}, "kind": {"channels"}}); res.StatusCode != 403 {
				t.Errorf("member creates: %d", res.StatusCode)
			}
			if !strings.Contains(admin.Get("/").Body, `href="/builder"`) || strings.Contains(member.Get("/").Body, `href="/builder"`) {
				t.Error("Builder nav item wrong")
			}
			if body := admin.Get("/builder/new?kind=channels").Body; !strings.Contains(body, "Hide Description") {
				t.Error("dialog does not follow the kind")
			}
			form := url.Values{"identifier": {"builder"}, "title": {"Bad"}, "icon": {"page"}, "kind": {"channels"}}
			if res := admin.PostForm("/builder", form); res.StatusCode != 422 || !strings.Contains(res.Body, "reserved") {
				t.Errorf("reserved identifier: %d", res.StatusCode)
			}
			form = url.Values{"identifier": {"chans"}, "title": {"Channels view"}, "icon": {"channel"}, "kind": {"channels"},
				"filter_column": {"privacy", ""}, "filter_op": {"eq", "contains"}, "filter_value": {"public", ""},
				"hidden": {"description"}, "sort_column": {"created"}, "sort_desc": {"1"}}
			if res := admin.PostForm("/builder", form); res.StatusCode != 303 || res.Header.Get("Location") != "/pages/chans" {
				t.Fatalf("create: %d %s", res.StatusCode, res.Body)
			}
			res := admin.Get("/v1/pages/chans")
			for _, want := range []string{`"filters":[{"column":"privacy","op":"eq","value":"public"}]`, `"hidden":["description"]`, `"sort":{"column":"created","desc":true}`} {
				if !strings.Contains(res.Body, want) {
					t.Errorf("page lacks %s: %s", want, res.Body)
				}
			}
			if !strings.Contains(admin.Get("/builder").Body, "Channels view") || !strings.Contains(member.Get("/").Body, ">Channels view<") {
				t.Error("new page missing from the Builder or the member's Catalog nav")
			}
			if body := member.Get("/pages/chans").Body; !strings.Contains(body, ">Filter Privacy</label>") || strings.Contains(body, ">Description<") {
				t.Error("channels page lacks its filters or shows a hidden column")
			}
			if body := admin.Get("/builder/chans/edit").Body; !strings.Contains(body, `value="public"`) {
				t.Error("edit dialog lacks the saved filter")
			}
			form.Set("title", "Public channels")
			form.Set("kind", "artifacts")
			form.Del("hidden")
			form.Set("filter_column", "name")
			if res := admin.PostForm("/builder/chans", form); res.StatusCode != 303 {
				t.Fatalf("edit: %d %s", res.StatusCode, res.Body)
			}
			if body := admin.Get("/v1/pages/chans").Body; !strings.Contains(body, `"title":"Public channels"`) || !strings.Contains(body, `"kind":"artifacts"`) {
				t.Errorf("edit not saved: %s", body)
			}
			form.Set("title", "")
			if res := admin.PostForm("/builder/chans", form); res.StatusCode != 422 {
				t.Errorf("blank title: %d", res.StatusCode)
			}
			if res := admin.PostForm("/builder/chans/delete", nil); res.StatusCode != 303 {
				t.Fatalf("delete: %d", res.StatusCode)
			}
			if res := admin.Get("/pages/chans"); res.StatusCode != 404 {
				t.Errorf("deleted page: %d", res.StatusCode)
			}
		})
	}
}

// TestPagePermissionsDialog checks the Permissions dialog shows the same
// truth as the API: read-only for members, a picker with Done for admins.
func TestPagePermissionsDialog(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			w.createPage(t, `{"identifier":"open","title":"Open Catalog"}`)
			admin, member := w.srv.AsAdmin(), w.srv.Login("member@x.io")

			body := member.Get("/pages/open/permissions").Body
			if !strings.Contains(body, `data-testid="picker-level-read"`) || !strings.Contains(body, ">Member<") || strings.Contains(body, ">Done<") || strings.Contains(body, "data-picker-search") {
				t.Errorf("member's dialog is not a read-only list: %s", body)
			}
			if res := w.srv.Login("nobody@x.io").Get("/pages/open/permissions"); res.StatusCode != 404 {
				t.Errorf("non-reader: %d", res.StatusCode)
			}
			body = admin.Get("/pages/open/permissions").Body
			if !strings.Contains(body, ">Done<") || !strings.Contains(body, `data-name="named@x.io"`) || !strings.Contains(body, `data-name="Team 1"`) {
				t.Error("admin's picker lacks Done or options")
			}

			form := url.Values{"levels": {"read"}, "read.roles": {"Admin"}, "read.users": {"named@x.io"}}
			if res := member.PostForm("/pages/open/permissions", form); res.StatusCode != 403 {
				t.Errorf("member changes: %d", res.StatusCode)
			}
			if res := admin.PostForm("/pages/builder/permissions", form); res.StatusCode != 400 {
				t.Errorf("builder: %d", res.StatusCode)
			}
			bad := url.Values{"levels": {"read"}, "read.roles": {"Admin"}, "read.teams": {"Phantoms"}}
			if res := admin.PostForm("/pages/open/permissions", bad); res.StatusCode != 422 || !strings.Contains(res.Body, "Phantoms") {
				t.Errorf("unknown team: %d", res.StatusCode)
			}
			if res := admin.PostForm("/pages/open/permissions", form); res.StatusCode != 303 {
				t.Fatalf("Done: %d %s", res.StatusCode, res.Body)
			}
			res := admin.Get("/v1/pages/open/permissions")
			if !strings.Contains(res.Body, `{"read":{"roles":["Admin"],"users":["named@x.io"],"teams":[]}}`) {
				t.Errorf("API after Done: %s", res.Body)
			}
			if res := member.Get("/pages/open"); res.StatusCode != 404 {
				t.Errorf("member still reads: %d", res.StatusCode)
			}
			if body := w.srv.Login("named@x.io").Get("/pages/open/permissions").Body; !strings.Contains(body, ">named@x.io<") || strings.Contains(body, ">Member<") {
				t.Error("dialog differs from the API")
			}
		})
	}
}
