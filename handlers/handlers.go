// Package handlers turns requests into store calls and views. The route
// table in routes.go shows every path and who may enter it; each file here
// serves one resource with thin methods: bind, validate, store, render.
package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/models/mirrorrun"
	"gatehouse/static"
	"gatehouse/views/components"
	"gatehouse/views/layout"
	"gatehouse/web"
	"gatehouse/web/sso"
)

// Handlers holds what every handler needs; nothing is global.
type Handlers struct {
	Store    *models.Store
	Sessions *web.Sessions
	Assets   *static.Assets
	Cfg      web.Config
	Log      *slog.Logger
	// Guesses slows repeated failed sign-ins per account and address;
	// Spray slows an address that fails across many accounts.
	Guesses, Spray *web.Throttle
	// TokenFailures bounds how fast one address may send unknown tokens.
	TokenFailures *web.FailureLimit
	// LeakReports limits reports of leaked tokens per address (every
	// report spends one).
	LeakReports *web.FailureLimit
	// Flash carries a confirmation across a redirect.
	Flash *web.Flash
	// Blobs holds artifact files; Repodata caches built repodata.
	Blobs    blobs.Store
	Repodata *RepodataCache
	// Metrics is what this server measures (spec §11), served at /metrics.
	Metrics *web.Metrics
	// rules holds what each route of the table needs, by "METHOD /pattern".
	rules map[string]Rule
	// uploads holds one slot per upload in progress (Cfg.MaxUploads).
	uploads chan struct{}
	// sweeping is held while an admin's blob sweep runs on this instance.
	sweeping sync.Mutex
	// SSO signs people in through the identity provider; nil when single
	// sign-on is off. SSOFlows keeps sign-ins in progress in cookies.
	SSO      *sso.Client
	SSOFlows *sso.Flows
	// Mirrors runs mirrors, on demand and on their schedule.
	Mirrors *mirrorrun.Runner
	// expired rate-limits the audit of refused expired tokens.
	expired expiredAudits
}

// shell builds the layout's view model for the current request.
func (h *Handlers) shell(c echo.Context, title string) layout.Shell {
	a := web.ActorOf(c)
	return layout.Shell{
		Title:   title,
		Email:   a.Email(),
		IsAdmin: a.IsAdmin(),
		Current: c.Request().URL.Path,
		CSRF:    web.CSRFToken(c),
		Pages:   h.navPages(c),
		CSS:     h.Assets.URL("css/app.css"),
		JS:      []string{h.Assets.URL("js/htmx.min.js"), h.Assets.URL("js/app.js")},
		Alerts:  h.alerts(c),
		Flash:   h.Flash.Take(c),
	}
}

// page renders body inside the shell.
func (h *Handlers) page(c echo.Context, status int, title string, body templ.Component) error {
	return web.Render(c, status, h.inShell(c, title, body))
}

// inShell wraps body in the layout. The shell is built now, before
// anything is written: taking the flash clears its cookie.
func (h *Handlers) inShell(c echo.Context, title string, body templ.Component) templ.Component {
	s := h.shell(c, title)
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return layout.Page(s).Render(templ.WithChildren(ctx, body), w)
	})
}

// done answers a change that worked: a confirmation for the next page,
// then the redirect there.
func (h *Handlers) done(c echo.Context, to, msg string) error {
	h.Flash.Set(c, msg)
	return web.Redirect(c, to)
}

// dialog renders a dialog: alone for htmx, inside the shell for a plain
// request (how dialogs degrade without script).
func (h *Handlers) dialog(c echo.Context, status int, title string, body templ.Component) error {
	if web.IsHTMX(c) {
		return web.Render(c, status, body)
	}
	return h.page(c, status, title, body)
}

// errorPage renders an error for people (used by the one error handler).
func (h *Handlers) errorPage(c echo.Context, status int, message string) templ.Component {
	title := http.StatusText(status)
	if status == http.StatusNotFound {
		message = "There is nothing here, or you do not have access to it."
	}
	body := components.ErrorPage(status, title, message)
	if !web.ActorOf(c).SignedIn() || web.IsHTMX(c) {
		return body
	}
	return h.inShell(c, title, body)
}

// audit records a change made by the current actor. A failure is logged, not
// shown: the change itself has already been made.
func (h *Handlers) audit(c echo.Context, action, target string, details map[string]any) {
	a := web.ActorOf(c)
	rec := models.Audit{ActorEmail: a.Email(), IP: c.RealIP(), Action: action, Target: target, Details: details}
	if a.SignedIn() {
		rec.ActorID = a.User.ID
	}
	if err := h.Store.Record(c.Request().Context(), rec); err != nil {
		h.Log.Error("audit: unable to record", "action", action, "err", err)
	}
}

// ok writes the success envelope {"ok": true, key: value}.
func ok(c echo.Context, status int, key string, value any) error {
	return c.JSON(status, map[string]any{"ok": true, key: value})
}

// bindJSON decodes a JSON body strictly: one object, no unknown fields.
func bindJSON(c echo.Context, dst any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return web.Fail(http.StatusUnsupportedMediaType, "Send the body as application/json.")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return web.Fail(http.StatusBadRequest, "The body must hold exactly one JSON object.")
	}
	return nil
}

// jsonError explains a decoding failure without echoing internals.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return web.Fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The body is larger than %d bytes.", mbe.Limit))
	case errors.As(err, &se):
		return web.Fail(http.StatusBadRequest, fmt.Sprintf("Malformed JSON at byte %d.", se.Offset))
	case errors.As(err, &te):
		return web.Fail(http.StatusBadRequest, fmt.Sprintf("Field %q must be %s.", te.Field, te.Type.String()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return web.Fail(http.StatusBadRequest, "The body is empty or cut short; send a JSON object.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return web.Fail(http.StatusBadRequest, "Unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field ")+".")
	}
	return web.Fail(http.StatusBadRequest, "Malformed JSON body.")
}

// idParam parses a numeric path parameter; anything else is a 404.
func idParam(c echo.Context, name string) (uint, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 32)
	if err != nil || id == 0 {
		return 0, models.ErrNotFound
	}
	return uint(id), nil
}

// ErrorPage is the web.ErrorPage for people.
func (h *Handlers) ErrorPage(c echo.Context, status int, message string) templ.Component {
	return h.errorPage(c, status, message)
}

// baseURL is the public URL shown in conda lines: GATEHOUSE_BASE_URL, or
// without it the listen address on this machine. Never the request's Host
// header, which any client can set to another server.
func (h *Handlers) baseURL(echo.Context) string { return h.Cfg.PublicURL() }
