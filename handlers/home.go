package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"gatehouse/views/layout"
	"gatehouse/views/pages/home"
	"gatehouse/web"
)

// Home shows shortcuts to the sections the viewer can use.
func (h *Handlers) Home(c echo.Context) error {
	a := web.ActorOf(c)
	var cards []home.Card
	for _, it := range layout.MainNav {
		if !it.AdminOnly || a.IsAdmin() {
			cards = append(cards, home.Card{Title: it.Label, Href: it.Href, Icon: it.Icon, Body: sectionBlurb[it.Href]})
		}
	}
	if a.IsAdmin() {
		for _, it := range layout.AdminNav {
			cards = append(cards, home.Card{Title: it.Label, Href: it.Href, Icon: it.Icon, Body: sectionBlurb[it.Href]})
		}
	}
	return h.page(c, http.StatusOK, "Home", home.Home(a.Email(), cards))
}

// sectionBlurb says in one line what each section is for.
var sectionBlurb = map[string]string{
	"/tokens":         "Generate and revoke access tokens for conda clients and automation.",
	"/channels":       "Browse channels, upload packages and grant access.",
	"/builder":        "Build catalog pages over channels and artifacts.",
	"/admin/users":    "Create people, set their roles, disable accounts.",
	"/admin/teams":    "Group people so access can be granted at once.",
	"/admin/roles":    "Custom roles such as Services-Moderator.",
	"/audit-log":      "Every sign-in and every change, filterable.",
	"/admin/settings": "What admins tune while Gatehouse runs, such as the longest a token may live.",
}
