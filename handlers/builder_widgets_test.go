package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gatehouse/models/modeltest"
)

// The Builder's edit dialog shows a page's first table; saving it changes
// that table only and keeps the page's other widgets.
func TestBuilderEditKeepsOtherWidgets(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			w.createPage(t, `{"identifier":"two","title":"Two","widgets":[{"kind":"channels"},{"kind":"artifacts","hidden":["build"]}]}`)
			admin := w.srv.AsAdmin()
			form := url.Values{"title": {"Two tables"}, "icon": {"page"}, "kind": {"channels"}, "hidden": {"description"}}
			if res := admin.PostForm("/builder/two", form); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("edit: %d %s", res.StatusCode, res.Body)
			}
			body := admin.Get("/v1/pages/two").Body
			if !strings.Contains(body, `"title":"Two tables"`) || !strings.Contains(body, `"hidden":["description"]`) ||
				!strings.Contains(body, `"kind":"artifacts","filters":[],"hidden":["build"]`) {
				t.Errorf("edit lost a widget or missed the change: %s", body)
			}
		})
	}
}

// A page created locked says so in the audit log, with its widgets.
func TestPageCreateAuditsLockAndWidgets(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			w := newPageWorld(t, b)
			w.createPage(t, `{"identifier":"shut","title":"Shut","locked":true,"widgets":[{"kind":"channels","hidden":["created"]}]}`)
			events := w.srv.AsAdmin().Get("/api/audit?action=page.create").Map(t)["events"].([]any)
			if len(events) != 1 {
				t.Fatalf("events: %v", events)
			}
			d := toJSON(events[0].(map[string]any)["details"])
			if !strings.Contains(d, `"locked":true`) || !strings.Contains(d, `"hidden":["created"]`) {
				t.Errorf("page.create details: %s", d)
			}
		})
	}
}
