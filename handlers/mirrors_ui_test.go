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

// TestMirrorPages: the Mirrors pages and dialog for a channel's managers
// only; a bad form is answered 422 in the dialog with nothing stored; a
// run from the page; credentials kept but never shown.
func TestMirrorPages(t *testing.T) {
	ms := startMirrorSetup(t, modeltest.Backends(t)[0], true)
	adm := ms.admin
	want(t, adm.Get("/channels/down/mirrors"), http.StatusOK)
	want(t, adm.Get("/channels/down/mirrors/new"), http.StatusOK)
	good := url.Values{"url": {ms.upURL}, "subdirs": {"linux-64, noarch"}, "include": {"alpha beta"}, "interval_minutes": {"0"}}
	for name, bad := range map[string]url.Values{
		"bad url":      {"url": {"gopher://x"}},
		"bad spec":     {"url": {ms.upURL}, "versions": {"=="}},
		"bad interval": {"url": {ms.upURL}, "interval_minutes": {"soon"}},
		"bad place":    {"url": {ms.upURL}, "place": {"nope"}},
		"bad severity": {"url": {ms.upURL}, "exclude_severity": {"extreme"}},
	} {
		res := adm.PostForm("/channels/down/mirrors", bad)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "mirror-dialog") {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
	if n := ms.count(t); n != 0 {
		t.Fatalf("%d mirrors stored by refused forms", n)
	}
	want(t, adm.Do(http.MethodPost, "/channels/down/mirrors", strings.NewReader(good.Encode()), "application/x-www-form-urlencoded", true), http.StatusForbidden) // no CSRF token
	want(t, adm.PostForm("/channels/down/mirrors", good), http.StatusSeeOther)
	sub := url.Values{"url": {ms.upURL}, "subdirs": {"noarch"}, "place": {"s"}}
	want(t, adm.PostForm("/channels/down/mirrors", sub), http.StatusSeeOther)
	want(t, adm.PostForm("/channels/down/mirrors", good), http.StatusUnprocessableEntity) // the same upstream twice
	list, err := ms.down.Store.MirrorsOf(t.Context(), []uint{ms.ch.ID})
	if err != nil || len(list) != 2 || list[1].SubchannelID == 0 {
		t.Fatalf("mirrors %+v %v", list, err)
	}
	id := list[0].ID
	base := fmt.Sprintf("/channels/down/mirrors/%d", id)
	want(t, adm.PostForm(base+"/run", nil), http.StatusSeeOther)
	page := adm.Get("/channels/down/mirrors")
	for _, s := range []string{"Run now", `data-testid="run-added">2<`, "include: alpha, beta", "down/s"} {
		if !strings.Contains(page.Body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	if !strings.Contains(adm.Get("/mirrors").Body, ms.upURL) {
		t.Error("/mirrors does not list the mirror")
	}
	// Credentials: shown redacted; saving the form as shown keeps them.
	secretURL := strings.Replace(ms.upURL, "http://", "http://bob:s3cret@", 1)
	if _, err := ms.down.Store.UpdateMirror(t.Context(), &list[0], models.MirrorSpec{URL: secretURL, Subdirs: []string{"noarch"}}); err != nil {
		t.Fatal(err)
	}
	edit := adm.Get(base + "/edit")
	if strings.Contains(edit.Body, "s3cret") || !strings.Contains(edit.Body, "REDACTED") {
		t.Fatalf("the edit dialog shows %q", edit.Body)
	}
	want(t, adm.PostForm(base, url.Values{"url": {models.RedactURL(secretURL)}, "subdirs": {"noarch"}, "versions": {">=2"}}), http.StatusSeeOther)
	m, _ := ms.down.Store.MirrorByID(t.Context(), id)
	if m.URL != secretURL || m.Versions != ">=2" {
		t.Errorf("after saving: %s %s", m.URL, m.Versions)
	}
	// Another channel's mirror is not reached through this one.
	want(t, adm.Get(fmt.Sprintf("/channels/other/mirrors/%d/edit", id)), http.StatusNotFound)
	want(t, adm.Get("/channels/down/mirrors/0/edit"), http.StatusNotFound)
	// Delete through the confirm dialog.
	want(t, adm.Get(base+"/delete"), http.StatusOK)
	want(t, adm.PostForm(base+"/delete", nil), http.StatusSeeOther)
	if n := ms.count(t); n != 1 {
		t.Errorf("%d mirrors after the delete, want 1", n)
	}
	// People below manage: refused; nobody: sent to sign in.
	writer := ms.down.Login("writer@example.com")
	want(t, writer.Get("/channels/down/mirrors"), http.StatusForbidden)
	want(t, writer.PostForm("/channels/down/mirrors", good), http.StatusForbidden)
	want(t, writer.Get("/channels/other/mirrors"), http.StatusNotFound)
	if body := writer.Get("/mirrors").Body; strings.Contains(body, ms.upURL) {
		t.Error("/mirrors shows a writer a mirror of a channel they do not manage")
	}
	if res := ms.down.Anonymous().Get("/mirrors"); res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		t.Errorf("anonymous /mirrors: %d", res.StatusCode)
	}
	mgr := ms.down.Login("mgr@example.com")
	want(t, mgr.Get("/channels/down/mirrors"), http.StatusOK)
	if !strings.Contains(mgr.Get("/mirrors").Body, "down/s") {
		t.Error("/mirrors does not show a manager their channel's mirrors")
	}
}
