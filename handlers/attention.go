package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/layout"
	"gatehouse/web"
)

// Expiry windows (spec §14): owners are told a week ahead; admins look two
// weeks ahead for everyone.
const (
	ownerNotice = 7 * 24 * time.Hour
	adminWindow = 14 * 24 * time.Hour
)

const attentionKey = "gatehouse.attention"

// attention is what the signed-in person should act on — notices, and
// their tokens that expire within a week or have expired — read once per
// request (one query) and shared by the shell and the home page.
func (h *Handlers) attention(c echo.Context) []models.Attention {
	if got, ok := c.Get(attentionKey).([]models.Attention); ok {
		return got
	}
	a := web.ActorOf(c)
	if !a.SignedIn() || a.ViaToken() {
		return nil
	}
	got, err := h.Store.Attention(c.Request().Context(), a.User.ID, h.Store.Now().Add(ownerNotice))
	if err != nil {
		h.Log.Error("attention: unable to list", "err", err)
		got = nil
	}
	c.Set(attentionKey, got)
	return got
}

// alerts turns the person's attention list into the shell's alerts: one
// for tokens about to expire, one for expired ones, one per notice.
func (h *Handlers) alerts(c echo.Context) []layout.Alert {
	now := h.Store.Now()
	var soon, gone []models.Attention
	var out []layout.Alert
	for _, a := range h.attention(c) {
		switch {
		case a.Kind == models.NoticeTokenLeaked:
			out = append(out, layout.Alert{ID: "notice-" + strconv.FormatUint(uint64(a.ID), 10), Tone: "red",
				Text: fmt.Sprintf("Your token %s was revoked on %s because its string was reported as leaked.", a.Name, a.At.UTC().Format(time.DateOnly)),
				Href: "/tokens", Action: "Generate a new token",
				Dismiss: fmt.Sprintf("/notices/%d/dismiss", a.ID), CSRF: web.CSRFToken(c), Back: c.Request().URL.RequestURI()})
		case a.Expired(now):
			gone = append(gone, a)
		default:
			soon = append(soon, a)
		}
	}
	if len(soon) > 0 {
		text := fmt.Sprintf("Your token %s %s.", soon[0].Name, expiryPhrase(soon[0].At, now))
		if len(soon) > 1 {
			text = fmt.Sprintf("%d of your tokens expire within 7 days: %s.", len(soon), names(soon))
		}
		out = append(out, layout.Alert{ID: "tokens-expiring", Tone: "amber", Text: text, Href: "/tokens?expiring=7d", Action: "Renew or delete"})
	}
	if len(gone) > 0 {
		text := fmt.Sprintf("Your token %s expired on %s.", gone[0].Name, gone[0].At.Add(-24*time.Hour).UTC().Format(time.DateOnly))
		if len(gone) > 1 {
			text = fmt.Sprintf("%d of your tokens have expired: %s.", len(gone), names(gone))
		}
		out = append(out, layout.Alert{ID: "tokens-expired", Tone: "red", Text: text, Href: "/tokens?expiring=expired", Action: "Renew or delete"})
	}
	return out
}

// names lists the first few names of a list, saying how many more there are.
func names(as []models.Attention) string {
	var out []string
	for i, a := range as {
		if i == 3 {
			out = append(out, fmt.Sprintf("and %d more", len(as)-3))
			break
		}
		out = append(out, a.Name)
	}
	return strings.Join(out, ", ")
}

// DismissNotice removes one of the person's notices.
func (h *Handlers) DismissNotice(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.Store.DismissNotice(c.Request().Context(), web.ActorOf(c).User.ID, id); err != nil {
		return err
	}
	if web.IsHTMX(c) {
		return c.NoContent(http.StatusOK) // the alert swaps itself out
	}
	return web.Redirect(c, web.SafeNext(c.FormValue("next")))
}
