package access

import (
	"slices"
	"strings"
)

// Reserved page identifiers: product pages that are not catalog pages, so
// their permissions can be neither requested nor changed.
var reservedPages = map[string]string{
	"builder":   "Builder",
	"audit-log": "Audit log",
}

// ReservedPage reports whether identifier names a product page rather than
// a catalog page, and that page's title.
func ReservedPage(identifier string) (title string, reserved bool) {
	title, reserved = reservedPages[strings.ToLower(strings.TrimSpace(identifier))]
	return title, reserved
}

// CanReadPage reports whether the subject may read a catalog page whose read
// permission is read. Admins read every page.
func CanReadPage(s Subject, read Grants) bool {
	return ReadersFor(s).Match(read)
}

// Principals is what read grants must name for a subject to read a page:
// any of Roles, any of Teams, or Email. All is set for admins, who read
// every page; an anonymous or disabled subject has none. Stores use it to
// find readable pages with an indexed query instead of loading every grant.
type Principals struct {
	All   bool
	Roles []string
	Teams []string
	Email string
}

// ReadersFor lists the principals through which the subject reads pages.
func ReadersFor(s Subject) Principals {
	switch {
	case s.IsAdmin():
		return Principals{All: true}
	case s.Anonymous() || s.Disabled:
		return Principals{}
	}
	return Principals{Roles: s.Roles, Teams: s.Teams, Email: strings.ToLower(s.Email)}
}

// None reports whether no grant can ever match.
func (p Principals) None() bool {
	return !p.All && len(p.Roles) == 0 && len(p.Teams) == 0 && p.Email == ""
}

// Match reports whether read names one of the principals.
func (p Principals) Match(read Grants) bool {
	if p.All {
		return true
	}
	if p.Email != "" && slices.ContainsFunc(read.Users, func(e string) bool { return strings.EqualFold(e, p.Email) }) {
		return true
	}
	return slices.ContainsFunc(p.Roles, func(r string) bool { return slices.Contains(read.Roles, r) }) ||
		slices.ContainsFunc(p.Teams, func(t string) bool { return slices.Contains(read.Teams, t) })
}

// PageLevel is what the subject may do with a catalog page: Manage (edit,
// delete, lock, change permissions) for admins, Read for those the read
// grants include, None otherwise. Pages have no Write level.
func PageLevel(s Subject, read Grants) Level {
	switch {
	case s.IsAdmin():
		return Manage
	case CanReadPage(s, read):
		return Read
	}
	return None
}

// CanChangeView reports whether the subject may apply their own filters and
// hidden columns to a page's widgets: anyone who can read an unlocked page,
// only admins on a locked one.
func CanChangeView(s Subject, read Grants, locked bool) bool {
	l := PageLevel(s, read)
	if locked {
		return l >= Manage
	}
	return l >= Read
}
