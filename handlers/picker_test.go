package handlers

import (
	"net/http"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestPickerPatchFromForm(t *testing.T) {
	form := map[string][]string{
		"levels":       {"read", "write"},
		"read.roles":   {"Member"},
		"read.teams":   {"ops", "dev"},
		"write.users":  {"a@x.org"},
		"manage.roles": {"Admin"}, // not named in levels: left unchanged
	}
	p, err := PickerPatchFromForm(form, []string{"read", "write", "manage"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 {
		t.Fatalf("levels patched = %d, want 2", len(p))
	}
	if !slices.Equal(*p["read"].Roles, []string{"Member"}) || !slices.Equal(*p["read"].Teams, []string{"ops", "dev"}) || len(*p["read"].Users) != 0 {
		t.Errorf("read = %+v", p["read"])
	}
	if p["write"].Roles == nil || len(*p["write"].Roles) != 0 {
		t.Error("an emptied list must be sent as empty, not left out")
	}
}

func TestPickerPatchRefusesUnknownLevel(t *testing.T) {
	for _, form := range []map[string][]string{{}, {"levels": {"owner"}}} {
		_, err := PickerPatchFromForm(form, []string{"read"})
		he, ok := err.(*echo.HTTPError)
		if !ok || he.Code != http.StatusBadRequest {
			t.Errorf("%v: err = %v, want 400", form, err)
		}
	}
}
