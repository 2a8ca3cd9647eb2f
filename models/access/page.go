package access

import "strings"

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
	return s.IsAdmin() || read.Includes(s)
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

// CanManagePages reports whether the subject may create catalog pages.
func CanManagePages(s Subject) bool { return s.IsAdmin() }

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
