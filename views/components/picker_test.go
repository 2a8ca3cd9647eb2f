package components

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"gatehouse/models/access"
)

func render(t *testing.T, p PickerProps) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := Picker(p).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func pickerProps() PickerProps {
	return PickerProps{
		ID: "perm", Title: "Permissions", Action: "/channels/c/permissions", CSRF: "tok",
		Levels: []PickerLevel{
			{Key: "read", Label: "Read", Current: access.Grants{Roles: []string{"Member"}, Teams: []string{"ops"}, Users: []string{"a@x.org"}}},
			{Key: "write", Label: "Write"},
		},
		Options: PickerOptions{Roles: []string{"Member", "Admin"}, Users: []string{"a@x.org", "b@x.org"}, Teams: []string{"ops", "dev"}},
	}
}

func TestPickerEditable(t *testing.T) {
	doc := render(t, pickerProps())
	form := doc.Find("form[hx-post='/channels/c/permissions']")
	if form.Length() != 1 {
		t.Fatal("no form posting to the action")
	}
	if v, _ := form.Find("input[name=_csrf]").Attr("value"); v != "tok" {
		t.Errorf("csrf = %q", v)
	}
	var levels []string
	form.Find("input[name=levels]").Each(func(_ int, s *goquery.Selection) { levels = append(levels, s.AttrOr("value", "")) })
	if len(levels) != 2 || levels[0] != "read" || levels[1] != "write" {
		t.Errorf("levels = %v", levels)
	}
	read := doc.Find("[data-testid=picker-level-read]")
	for field, name := range map[string]string{"read.roles": "Member", "read.teams": "ops", "read.users": "a@x.org"} {
		if read.Find("input[name='"+field+"'][value='"+name+"']").Length() != 1 {
			t.Errorf("no hidden input %s=%s", field, name)
		}
		if read.Find("button[aria-label='Remove "+name+"']").Length() != 1 {
			t.Errorf("no Remove %s button", name)
		}
	}
	if got := read.Find("[data-picker-chip] .badge").First().Text(); got != "Role" {
		t.Errorf("first chip kind = %q, want Role", got)
	}
	if doc.Find("[data-testid=picker-level-write] [data-picker-chip]").Length() != 0 {
		t.Error("write should be empty")
	}
	if _, hidden := doc.Find("[data-testid=picker-level-write] [data-picker-empty]").Attr("hidden"); hidden {
		t.Error("empty level should say Nobody")
	}
	id, _ := doc.Find("input[data-picker-search]").Attr("id")
	if doc.Find("label[for='"+id+"']").Text() != "Search people, teams and roles" {
		t.Error("search input is not labelled")
	}
	for _, n := range []string{"Admin", "Member", "dev", "ops", "a@x.org", "b@x.org"} {
		if doc.Find("button[aria-label='Add "+n+"']").Length() != 1 {
			t.Errorf("no Add %s button", n)
		}
	}
	if doc.Find("button[type=submit]").Text() != "Done" {
		t.Error("no Done button")
	}
	if doc.Find("select[data-picker-level] option").Length() != 2 {
		t.Error("level chooser should list both levels")
	}
}

func TestPickerReadOnly(t *testing.T) {
	p := pickerProps()
	p.ReadOnly = true
	doc := render(t, p)
	if doc.Find("form").Length() != 1 { // the dialog's own close form only
		t.Errorf("read-only picker has %d forms", doc.Find("form").Length())
	}
	for _, sel := range []string{"input[data-picker-search]", "[data-picker-remove]", "[data-picker-add]", "button[type=submit]:contains('Done')", "input[name='read.roles']"} {
		if doc.Find(sel).Length() != 0 {
			t.Errorf("read-only picker shows %s", sel)
		}
	}
	if doc.Find("[data-picker-chip]").Length() != 3 {
		t.Error("read-only picker should still list who holds read")
	}
	if doc.Find("button:contains('Close')").Length() == 0 {
		t.Error("no Close button")
	}
}
