package models_test

import (
	"errors"
	"fmt"
	"testing"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func ptr[T any](v T) *T { return &v }

func mustPage(t *testing.T, s *models.Store, id, title string, w ...access.Widget) *models.Page {
	t.Helper()
	p, err := s.CreatePage(t.Context(), models.PageInput{Identifier: id, Title: &title, Widgets: &w})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func subject(t *testing.T, s *models.Store, email string) access.Subject {
	t.Helper()
	u, err := s.UserByEmail(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.Subject()
}

func TestCreatePage(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		p := mustPage(t, s, "services", "Services", access.Widget{Kind: access.KindArtifacts})
		if p.Icon != "page" || len(p.Widgets) != 1 || p.Widgets[0].Type != "table" {
			t.Errorf("page = %+v", p)
		}
		read, err := s.PageReaders(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(read) != "{[Admin Member] [] []}" {
			t.Errorf("new page readers = %v, want Admin and Member", read)
		}
		got, err := s.PageByIdentifier(ctx, "services")
		if err != nil || got.Widgets[0].Kind != access.KindArtifacts {
			t.Fatalf("reload: %+v %v", got, err)
		}

		bad := []struct {
			name  string
			in    models.PageInput
			field string
		}{
			{"reserved builder", models.PageInput{Identifier: "builder", Title: ptr("B")}, "identifier"},
			{"reserved audit-log", models.PageInput{Identifier: "audit-log", Title: ptr("A")}, "identifier"},
			{"uppercase", models.PageInput{Identifier: "Services", Title: ptr("S")}, "identifier"},
			{"spaces", models.PageInput{Identifier: "my page", Title: ptr("S")}, "identifier"},
			{"no title", models.PageInput{Identifier: "x"}, "title"},
			{"blank title", models.PageInput{Identifier: "x", Title: ptr("  ")}, "title"},
			{"unknown icon", models.PageInput{Identifier: "x", Title: ptr("X"), Icon: ptr("rocket")}, "icon"},
			{"bad widget", models.PageInput{Identifier: "x", Title: ptr("X"), Widgets: &[]access.Widget{{Kind: "tokens"}}}, "widgets"},
		}
		for _, tt := range bad {
			_, err := s.CreatePage(ctx, tt.in)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("%s: err = %v, want a validation error on %s", tt.name, err, tt.field)
			}
		}
		if _, err := s.CreatePage(ctx, models.PageInput{Identifier: "services", Title: ptr("Again")}); !errors.Is(err, models.ErrConflict) {
			t.Errorf("duplicate: err = %v, want conflict", err)
		}
	})
}

func TestUpdateAndDeletePage(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		mustPage(t, s, "services", "Services", access.Widget{Kind: access.KindChannels})
		before, after, err := s.UpdatePage(ctx, "services", models.PageInput{Locked: ptr(true), Title: ptr("Svc")})
		if err != nil {
			t.Fatal(err)
		}
		if before.Locked || !after.Locked || after.Title != "Svc" || before.Title != "Services" {
			t.Errorf("before %+v after %+v", before, after)
		}
		if _, _, err := s.UpdatePage(ctx, "services", models.PageInput{Widgets: &[]access.Widget{{Kind: access.KindChannels, Hidden: []string{"nope"}}}}); err == nil {
			t.Error("bad widget accepted")
		}
		if _, _, err := s.UpdatePage(ctx, "missing", models.PageInput{Locked: ptr(true)}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("missing page: %v", err)
		}
		if _, err := s.DeletePage(ctx, "services"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PageByIdentifier(ctx, "services"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted page still there: %v", err)
		}
		var n int64
		s.DB().Model(&models.Grant{}).Where("resource_type = ?", models.ResourcePage).Count(&n)
		if n != 0 {
			t.Errorf("%d grants left behind", n)
		}
	})
}

func TestReadablePages(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		if _, err := s.CreateRole(ctx, "Guest"); err != nil {
			t.Fatal(err)
		}
		modeltest.MustUser(t, s, "admin@x.io", access.RoleAdmin)
		modeltest.MustUser(t, s, "member@x.io", access.RoleMember)
		modeltest.MustUser(t, s, "teamed@x.io", "Guest")
		modeltest.MustUser(t, s, "named@x.io", "Guest")
		modeltest.MustUser(t, s, "nobody@x.io", "Guest")
		team, err := s.CreateTeam(ctx, "Platform", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetTeamMembers(ctx, team.ID, []string{"teamed@x.io"}); err != nil {
			t.Fatal(err)
		}
		open := mustPage(t, s, "open", "Open")
		shut := mustPage(t, s, "shut", "Shut")
		_, _, err = s.ApplyGrantsPatch(ctx, models.ResourcePage, shut.ID, map[string]access.GrantsPatch{
			"read": {Roles: &[]string{}, Users: &[]string{"Named@x.io"}, Teams: &[]string{"Platform"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		for email, want := range map[string]string{
			"admin@x.io":  "[open shut]",
			"member@x.io": "[open]",
			"teamed@x.io": "[shut]",
			"named@x.io":  "[shut]",
			"nobody@x.io": "[]",
		} {
			pages, err := s.ReadablePages(ctx, subject(t, s, email), "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pages {
				got = append(got, p.Identifier)
			}
			if fmt.Sprint(got) != want && !(want == "[]" && len(got) == 0) {
				t.Errorf("%s reads %v, want %s", email, got, want)
			}
		}
		// The indexed query decides exactly as the engine does over every grant.
		all, _ := s.ReadablePages(ctx, subject(t, s, "admin@x.io"), "")
		grants, err := s.GrantsFor(ctx, models.ResourcePage, []uint{open.ID, shut.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"admin@x.io", "member@x.io", "teamed@x.io", "named@x.io", "nobody@x.io"} {
			subj := subject(t, s, email)
			var want []string
			for _, p := range all {
				if access.CanReadPage(subj, grants[p.ID]["read"]) {
					want = append(want, p.Identifier)
				}
			}
			pages, _ := s.ReadablePages(ctx, subj, "")
			var got []string
			for _, p := range pages {
				got = append(got, p.Identifier)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: query %v, engine %v", email, got, want)
			}
		}
		pages, _ := s.ReadablePages(ctx, subject(t, s, "admin@x.io"), "SHU")
		if len(pages) != 1 || pages[0].Identifier != "shut" {
			t.Errorf("search: %+v", pages)
		}
		pages, _ = s.ReadablePages(ctx, subject(t, s, "member@x.io"), "shut")
		if len(pages) != 0 {
			t.Errorf("search leaks an unreadable page: %+v", pages)
		}
		if pages, _ := s.ReadablePages(ctx, access.Subject{}, ""); len(pages) != 0 {
			t.Error("anonymous reads pages")
		}
	})
}

func TestTableRows(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		modeltest.MustUser(t, s, "admin@x.io", access.RoleAdmin)
		modeltest.MustUser(t, s, "member@x.io", access.RoleMember)
		open := models.Channel{Name: "open", Description: "Open stuff", Public: true}
		secret := models.Channel{Name: "secret", Description: "Hidden"}
		for _, ch := range []*models.Channel{&open, &secret} {
			if err := s.DB().Create(ch).Error; err != nil {
				t.Fatal(err)
			}
		}
		sub := models.Subchannel{ChannelID: open.ID, Name: "dev"}
		s.DB().Create(&sub)
		var arts []models.Artifact
		for i := range 120 {
			ch, subID := open.ID, uint(0)
			if i%3 == 0 {
				ch = secret.ID
			}
			if i%10 == 1 && ch == open.ID {
				subID = sub.ID
			}
			arts = append(arts, models.Artifact{ChannelID: ch, SubchannelID: subID, Subdir: "noarch", Filename: fmt.Sprintf("pkg%03d-1.0-0.conda", i),
				Name: fmt.Sprintf("pkg%03d", i), Version: "1.0", Build: "0", Size: int64(1000 + i), MD5: "x", SHA256: "y"})
		}
		if err := s.DB().Create(&arts).Error; err != nil {
			t.Fatal(err)
		}
		admin, member := subject(t, s, "admin@x.io"), subject(t, s, "member@x.io")
		w := access.Widget{Type: "table", Kind: access.KindArtifacts, Sort: &access.Sort{Column: "name"}}

		res, err := s.TableRows(ctx, admin, models.TableQuery{Widget: w, PerPage: 50})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 120 || len(res.Rows) != 50 || res.Pages() != 3 || res.Rows[0]["name"] != "pkg000" || res.Rows[0]["channel"] != "secret" {
			t.Errorf("admin: total %d rows %d first %v", res.Total, len(res.Rows), res.Rows[0])
		}
		res, _ = s.TableRows(ctx, member, models.TableQuery{Widget: w, PerPage: 50, Page: 2})
		if res.Total != 80 || len(res.Rows) != 30 {
			t.Errorf("member: total %d rows %d", res.Total, len(res.Rows))
		}
		for _, r := range res.Rows {
			if r["channel"] == "secret" {
				t.Fatalf("member sees a row of an unreadable channel: %v", r)
			}
		}
		// Filters: a member filtering for the secret channel finds nothing.
		w.Filters = []access.Filter{{Column: "channel", Op: access.OpEq, Value: "secret"}}
		if res, _ := s.TableRows(ctx, member, models.TableQuery{Widget: w}); res.Total != 0 {
			t.Errorf("filter leaks unreadable rows: %d", res.Total)
		}
		if res, _ := s.TableRows(ctx, admin, models.TableQuery{Widget: w}); res.Total != 40 {
			t.Errorf("admin filter: %d", res.Total)
		}
		w.Filters = []access.Filter{{Column: "channel", Op: access.OpEq, Value: "open/dev"}}
		if res, _ := s.TableRows(ctx, member, models.TableQuery{Widget: w}); res.Total != 8 {
			t.Errorf("subchannel filter: %d", res.Total)
		}
		w.Filters = []access.Filter{{Column: "name", Op: access.OpContains, Value: "G11"}, {Column: "name", Op: access.OpPrefix, Value: "pkg1"}}
		w.Sort = &access.Sort{Column: "size", Desc: true}
		res, _ = s.TableRows(ctx, admin, models.TableQuery{Widget: w})
		if res.Total != 10 || res.Rows[0]["name"] != "pkg119" || res.Rows[0]["size"] != "1.1 KiB" {
			t.Errorf("contains+prefix+sort: %d %v", res.Total, res.Rows)
		}
		w.Filters = []access.Filter{{Column: "name", Value: "100%_"}}
		if res, _ := s.TableRows(ctx, admin, models.TableQuery{Widget: w}); res.Total != 0 {
			t.Errorf("wildcards not escaped: %d", res.Total)
		}

		cw := access.Widget{Kind: access.KindChannels, Filters: []access.Filter{{Column: "privacy", Op: access.OpEq, Value: "private"}}}
		if res, _ := s.TableRows(ctx, member, models.TableQuery{Widget: cw}); res.Total != 0 {
			t.Errorf("member sees private channels: %d", res.Total)
		}
		res, _ = s.TableRows(ctx, admin, models.TableQuery{Widget: cw})
		if res.Total != 1 || res.Rows[0]["name"] != "secret" || res.Rows[0]["created"] == "" {
			t.Errorf("admin channels: %+v", res)
		}
	})
}
