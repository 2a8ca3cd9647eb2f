package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

func doc(t testing.TB, r *handlertest.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func labelled(d *goquery.Document, label string) *goquery.Selection {
	id, _ := d.Find("label").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.TrimSpace(s.Text()) == label }).Attr("for")
	return d.Find("#" + id)
}

func TestChannelPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		ctx := t.Context()
		adm := srv.AsAdmin()
		ann := modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		team, _ := srv.Store.CreateTeam(ctx, "ops", "")
		srv.Store.SetTeamMembers(ctx, team.ID, []string{ann.Email})
		annC := srv.Login(ann.Email)

		list := doc(t, adm.Get("/channels"))
		if list.Find("nav a[href='/channels']").Text() == "" || !strings.Contains(list.Find("a[href='/channels/new']").Text(), "New channel") {
			t.Fatal("Channels nav link or New channel button missing")
		}
		if doc(t, annC.Get("/channels")).Find("a[href='/channels/new']").Length() != 0 {
			t.Error("a member is offered New channel")
		}
		want(t, annC.Get("/channels/new"), http.StatusForbidden)

		adm.Header.Set("HX-Request", "true")
		dlg := doc(t, adm.Get("/channels/new"))
		for _, l := range []string{"Name", "Description", "Privacy"} {
			if labelled(dlg, l).Length() != 1 {
				t.Errorf("dialog field %q not labelled", l)
			}
		}
		if dlg.Find("button[type=submit]").Text() != "Create" {
			t.Error("no Create button")
		}
		bad := adm.PostForm("/channels", url.Values{"name": {"Bad Name"}, "privacy": {"private"}})
		want(t, bad, http.StatusUnprocessableEntity)
		if !strings.Contains(bad.Body, "lowercase") {
			t.Errorf("422 dialog lacks the reason: %s", bad.Body)
		}
		ok := adm.PostForm("/channels", url.Values{"name": {"web"}, "description": {"Web things"}, "privacy": {"private"}})
		if ok.StatusCode != http.StatusNoContent || ok.Header.Get("HX-Redirect") != "/channels/web" {
			t.Fatalf("create: %d %v", ok.StatusCode, ok.Header)
		}
		adm.Header.Del("HX-Request")

		// Upload through the dialog's form.
		page := doc(t, adm.Get("/channels/web"))
		for _, name := range []string{"Upload", "Permissions"} {
			if page.Find("a").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.TrimSpace(s.Text()) == name }).Length() != 1 {
				t.Errorf("channel page lacks %q", name)
			}
		}
		up := doc(t, adm.Get("/channels/web/upload"))
		if f := labelled(up, "Package file"); f.AttrOr("type", "") != "file" {
			t.Error("no file input labelled Package file")
		}
		pkg := condatest.Pkg{Name: "webtool"}
		body, ct := multipartBody(t, pkg.Filename(conda.TarBz2), condatest.Build(t, pkg, conda.TarBz2), nil)
		want(t, adm.Do(http.MethodPost, "/channels/web/upload", body, ct, false), http.StatusSeeOther)
		body, ct = multipartBody(t, pkg.Filename(conda.TarBz2), condatest.Build(t, pkg, conda.TarBz2), nil)
		dup := adm.Do(http.MethodPost, "/channels/web/upload", body, ct, false)
		want(t, dup, http.StatusConflict)
		if !strings.Contains(dup.Body, "Replace a file") {
			t.Errorf("409 dialog lacks advice: %s", dup.Body)
		}
		rows := doc(t, adm.Get("/channels/web")).Find("[data-testid=artifacts-table] tbody tr")
		if rows.Length() != 1 || !strings.Contains(rows.Text(), pkg.Filename(conda.TarBz2)) {
			t.Errorf("artifacts table: %q", rows.Text())
		}

		// A member without access: 404 everywhere.
		want(t, annC.Get("/channels/web"), http.StatusNotFound)
		want(t, annC.Get("/channels/web/permissions"), http.StatusNotFound)

		// The picker grants the team read.
		picker := doc(t, adm.Get("/channels/web/permissions"))
		if picker.Find("button[aria-label='Add ops']").Length() != 1 || picker.Find("[data-picker] button[type=submit]").Text() != "Done" {
			t.Fatalf("picker lacks Add ops or Done: %s", picker.Find("main").Text())
		}
		refused := adm.PostForm("/channels/web/permissions", url.Values{"levels": {"read", "write", "manage"}, "read.teams": {"ops", "ghosts"}})
		want(t, refused, http.StatusUnprocessableEntity)
		if !strings.Contains(refused.Body, "ghosts") {
			t.Errorf("picker 422 does not name ghosts: %s", refused.Body)
		}
		want(t, adm.PostForm("/channels/web/permissions", url.Values{"levels": {"read", "write", "manage"}, "read.teams": {"ops"}}), http.StatusSeeOther)
		g, _ := srv.Store.GrantsFor(ctx, models.ResourceChannel, []uint{1})
		if r := g[1]["read"]; len(r.Teams) != 1 || r.Teams[0] != "ops" {
			t.Fatalf("read grants = %+v", r)
		}

		// Now ann reads: sees the channel, a read-only picker, no manage controls.
		annPage := doc(t, annC.Get("/channels/web"))
		if annPage.Find("[data-testid=artifacts-table] tbody tr").Length() != 1 {
			t.Error("reader does not see the artifact")
		}
		if strings.Contains(annPage.Text(), "Delete channel") || annPage.Find("a[href='/channels/web/upload']").Length() != 0 {
			t.Error("reader is offered write or manage controls")
		}
		ro := doc(t, annC.Get("/channels/web/permissions"))
		if ro.Find("[data-picker] button[type=submit]").Length() != 0 || ro.Find("[data-picker-remove]").Length() != 0 || !strings.Contains(ro.Text(), "ops") {
			t.Error("reader's picker is not read-only")
		}
		want(t, annC.PostForm("/channels/web/permissions", url.Values{"levels": {"read"}}), http.StatusForbidden)
		want(t, annC.PostForm("/channels/web/delete", nil), http.StatusForbidden)

		// Delete the artifact, then the channel, through the dialogs.
		want(t, adm.Get("/channels/web/artifacts/delete?subdir=linux-64&filename="+pkg.Filename(conda.TarBz2)), http.StatusOK)
		want(t, adm.PostForm("/channels/web/artifacts/delete", url.Values{"subdir": {"linux-64"}, "filename": {pkg.Filename(conda.TarBz2)}}), http.StatusSeeOther)
		want(t, adm.PostForm("/channels/web/subchannels", url.Values{"name": {"noarch"}}), http.StatusUnprocessableEntity)
		want(t, adm.PostForm("/channels/web/subchannels", url.Values{"name": {"rc"}}), http.StatusSeeOther)
		want(t, adm.Get("/channels/web?sub=rc"), http.StatusOK)
		want(t, adm.PostForm("/channels/web/subchannels/rc/delete", nil), http.StatusSeeOther)
		want(t, adm.PostForm("/channels/web", url.Values{"description": {"Edited"}, "privacy": {"public"}}), http.StatusSeeOther)
		want(t, adm.PostForm("/channels/web/delete", nil), http.StatusSeeOther)
		want(t, adm.Get("/channels/web"), http.StatusNotFound)
	})
}
