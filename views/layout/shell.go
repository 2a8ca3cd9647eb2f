// Package layout is the page shell: head, left-hand navigation, the
// notification area in the upper right and the dialog root.
package layout

import "github.com/a-h/templ"

// Shell is what the shell shows around every page.
type Shell struct {
	Title   string
	Email   string
	IsAdmin bool
	Current string // the request path, to mark the active nav item
	CSRF    string
	Pages   []NavLink // catalog pages the viewer may read
	CSS     string    // cache-busted asset paths
	JS      []string
	// Alerts are what the viewer should act on, shown on every page.
	Alerts []Alert
	// Flash confirms what the previous request did ("Permissions saved.").
	Flash string
	// Heading, when set, is drawn as the page's title in place of Title
	// (a catalog page's icon and lock beside its name).
	Heading templ.Component
}

// Alert is a message on every page until its cause is dealt with: tokens
// about to expire, or a notice the person dismisses.
type Alert struct {
	ID     string
	Tone   string // "amber" or "red"
	Text   string
	Href   string // where to act, and the link's text
	Action string
	// Dismiss, when set, is where the Dismiss button posts (with CSRF and
	// Back, the page to return to without script).
	Dismiss, CSRF, Back string
}

// NavLink is one entry in the navigation.
type NavLink struct {
	Label string
	Href  string
	Icon  string
}

// NavItem is a fixed navigation entry; AdminOnly ones are hidden from members.
type NavItem struct {
	NavLink
	AdminOnly bool
}

// MainNav lists the product's sections in the order people meet them.
var MainNav = []NavItem{
	{NavLink: NavLink{Label: "Tokens", Href: "/tokens", Icon: "key"}},
	{NavLink: NavLink{Label: "Channels", Href: "/channels", Icon: "channel"}},
	{NavLink: NavLink{Label: "Groups", Href: "/groups", Icon: "group"}},
	{NavLink: NavLink{Label: "Mirrors", Href: "/mirrors", Icon: "channel"}},
	{NavLink: NavLink{Label: "Builder", Href: "/builder", Icon: "builder"}, AdminOnly: true},
}

// AdminNav lists the administration sections.
var AdminNav = []NavItem{
	{NavLink: NavLink{Label: "Users", Href: "/admin/users", Icon: "users"}, AdminOnly: true},
	{NavLink: NavLink{Label: "Teams", Href: "/admin/teams", Icon: "team"}, AdminOnly: true},
	{NavLink: NavLink{Label: "Roles", Href: "/admin/roles", Icon: "role"}, AdminOnly: true},
	{NavLink: NavLink{Label: "Licenses", Href: "/admin/licenses", Icon: "shield"}, AdminOnly: true},
	{NavLink: NavLink{Label: "Vulnerabilities", Href: "/admin/cves", Icon: "warning"}, AdminOnly: true},
	{NavLink: NavLink{Label: "Audit log", Href: "/audit-log", Icon: "audit"}, AdminOnly: true},
	{NavLink: NavLink{Label: "Settings", Href: "/admin/settings", Icon: "settings"}, AdminOnly: true},
}

// Visible filters items for the viewer.
func Visible(items []NavItem, isAdmin bool) []NavLink {
	out := make([]NavLink, 0, len(items))
	for _, it := range items {
		if !it.AdminOnly || isAdmin {
			out = append(out, it.NavLink)
		}
	}
	return out
}

// Active reports whether href is the current section.
func (s Shell) Active(href string) bool {
	if href == "/" {
		return s.Current == "/"
	}
	return s.Current == href || len(s.Current) > len(href) && s.Current[:len(href)] == href && s.Current[len(href)] == '/'
}

// Class is the alert's colours, spelled out for the stylesheet scanner.
func (a Alert) Class() string {
	if a.Tone == "red" {
		return "border-rose-200 bg-rose-50 text-rose-900"
	}
	return "border-amber-200 bg-amber-50 text-amber-900"
}
