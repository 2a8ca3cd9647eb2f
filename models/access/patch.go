package access

import (
	"slices"
	"strings"
)

// GrantsPatch is a PATCH body for one level's grants: each list present
// replaces the current list; a nil list leaves it unchanged.
type GrantsPatch struct {
	Roles *[]string `json:"roles"`
	Users *[]string `json:"users"`
	Teams *[]string `json:"teams"`
}

// Apply returns g with every present list replaced (trimmed, de-duplicated).
func (p GrantsPatch) Apply(g Grants) Grants {
	out := Grants{Roles: clean(g.Roles, false), Users: clean(g.Users, true), Teams: clean(g.Teams, false)}
	if p.Roles != nil {
		out.Roles = clean(*p.Roles, false)
	}
	if p.Users != nil {
		out.Users = clean(*p.Users, true)
	}
	if p.Teams != nil {
		out.Teams = clean(*p.Teams, false)
	}
	return out
}

// clean trims names, drops blanks and repeats (emails case-insensitively),
// keeping first-seen order so responses echo what was sent.
func clean(names []string, fold bool) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if fold {
			n = strings.ToLower(n)
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
