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
