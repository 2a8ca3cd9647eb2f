package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models/access"
	"gatehouse/web"
)

// decodeGrantsPatch reads a permissions PATCH for a resource whose levels
// are levels (pages: read; channels: read, write, manage):
// {"<level>": {"roles"?, "users"?, "teams"?}}, each list present replacing
// that list. Everything else is a 400 that names every key at fault: an
// unknown key, a level that is not an object, a list that is not a list of
// names (null included; [] means nobody). fixed names levels that exist
// but cannot be changed (a page's create, update and delete).
func decodeGrantsPatch(c echo.Context, levels, fixed []string) (map[string]access.GrantsPatch, error) {
	var top map[string]json.RawMessage
	if err := bindJSON(c, &top); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, web.Fail(http.StatusBadRequest, fmt.Sprintf(`The body must be a JSON object such as {%q: {"roles": ["Admin"]}}.`, levels[0]))
	}
	var faults []string
	patch := map[string]access.GrantsPatch{}
	for _, key := range sortedKeys(top) {
		switch {
		case slices.Contains(fixed, key):
			faults = append(faults, fmt.Sprintf("%q (only the %s permission can be changed)", key, strings.Join(levels, ", ")))
			continue
		case !slices.Contains(levels, key):
			faults = append(faults, fmt.Sprintf("%q (the permissions are %s)", key, strings.Join(levels, ", ")))
			continue
		}
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(top[key], &inner); err != nil || inner == nil {
			faults = append(faults, fmt.Sprintf("%q (must be an object with roles, users and teams lists)", key))
			continue
		}
		var p access.GrantsPatch
		for _, k := range sortedKeys(inner) {
			var dst **[]string
			switch k {
			case "roles":
				dst = &p.Roles
			case "users":
				dst = &p.Users
			case "teams":
				dst = &p.Teams
			default:
				faults = append(faults, fmt.Sprintf("%q (a permission names roles, users and teams)", key+"."+k))
				continue
			}
			var names []string
			if bytes.Equal(bytes.TrimSpace(inner[k]), []byte("null")) || json.Unmarshal(inner[k], &names) != nil {
				faults = append(faults, fmt.Sprintf("%q (must be a list of names; [] for nobody)", key+"."+k))
				continue
			}
			if names == nil {
				names = []string{}
			}
			*dst = &names
		}
		patch[key] = p
	}
	if len(faults) > 0 {
		return nil, web.Fail(http.StatusBadRequest, "Unknown or malformed key: "+strings.Join(faults, "; ")+".")
	}
	return patch, nil
}
