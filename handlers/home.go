package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/layout"
	"gatehouse/views/pages/home"
	"gatehouse/web"
)

// homeExpiring is how many of everyone's expiring tokens the admins' home
// page lists before linking to the rest.
const homeExpiring = 10

// Home shows what needs the viewer (their tokens that expire soon, have
// expired or were revoked), the catalog pages they can read, for admins
// everyone's tokens that expire within 14 days, and shortcuts.
func (h *Handlers) Home(c echo.Context) error {
	a := web.ActorOf(c)
	ctx := c.Request().Context()
	now := h.Store.Now()
	m := home.Page{Email: a.Email(), IsAdmin: a.IsAdmin()}
	own, err := h.Store.Tokens(ctx, a.User.ID)
	if err != nil {
		return err
	}
	m.Tokens = len(own)
	for _, it := range h.attention(c) {
		item := home.Item{Name: it.Name, Text: expiryPhrase(it.At, now), Tone: "amber"}
		switch {
		case it.Kind == models.NoticeTokenLeaked:
			item.Text, item.Tone = "revoked: reported as leaked", "red"
		case it.Expired(now):
			item.Tone = "red"
		}
		m.Attention = append(m.Attention, item)
	}
	for _, p := range h.navPages(c) {
		m.Pages = append(m.Pages, home.Link{Title: p.Label, Href: p.Href, Icon: p.Icon})
	}
	if a.IsAdmin() {
		exp, err := h.Store.TokensExpiring(ctx, now, now.Add(adminWindow))
		if err != nil {
			return err
		}
		m.ExpiringAll = len(exp)
		for _, t := range exp[:min(len(exp), homeExpiring)] {
			m.Expiring = append(m.Expiring, home.Expiring{Name: t.Name, Owner: ownerOf(&t),
				Expires: when(t.ExpiresAt.Add(-24*time.Hour), now, time.DateOnly), Phrase: expiryPhrase(t.ExpiresAt, now)})
		}
	}
	for _, it := range layout.MainNav {
		if !it.AdminOnly || a.IsAdmin() {
			m.Cards = append(m.Cards, home.Card{Title: it.Label, Href: it.Href, Icon: it.Icon, Body: sectionBlurb[it.Href]})
		}
	}
	if a.IsAdmin() {
		for _, it := range layout.AdminNav {
			m.Cards = append(m.Cards, home.Card{Title: it.Label, Href: it.Href, Icon: it.Icon, Body: sectionBlurb[it.Href]})
		}
	}
	return h.page(c, http.StatusOK, "Home", home.Home(m))
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
