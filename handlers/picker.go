package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models/access"
	"gatehouse/web"
)

// pickerPatch turns a submitted permissions picker into a grants patch: every
// level the form names (one "levels" value each) replaces its three lists
// with what the chips carry, so an emptied list is emptied. Levels outside
// allowed are refused with 400.
func pickerPatch(c echo.Context, allowed []string) (map[string]access.GrantsPatch, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, web.Fail(http.StatusBadRequest, "The permissions form could not be read.")
	}
	return PickerPatchFromForm(form, allowed)
}

// PickerPatchFromForm is pickerPatch over already parsed form values.
func PickerPatchFromForm(form map[string][]string, allowed []string) (map[string]access.GrantsPatch, error) {
	levels := form["levels"]
	if len(levels) == 0 {
		return nil, web.Fail(http.StatusBadRequest, "The permissions form names no level.")
	}
	patch := make(map[string]access.GrantsPatch, len(levels))
	for _, l := range levels {
		if !slices.Contains(allowed, l) {
			return nil, web.Fail(http.StatusBadRequest, fmt.Sprintf("Unknown level %q (want %s).", l, strings.Join(allowed, ", ")))
		}
		roles, users, teams := nonNil(form[l+".roles"]), nonNil(form[l+".users"]), nonNil(form[l+".teams"])
		patch[l] = access.GrantsPatch{Roles: &roles, Users: &users, Teams: &teams}
	}
	return patch, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}
