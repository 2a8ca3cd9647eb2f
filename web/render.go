package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Render writes a templ component as HTML.
func Render(c echo.Context, status int, cmp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return cmp.Render(c.Request().Context(), c.Response())
}

// IsHTMX reports whether htmx sent the request (so a fragment will do).
func IsHTMX(c echo.Context) bool {
	return c.Request().Header.Get("HX-Request") == "true" && c.Request().Header.Get("HX-Boosted") == ""
}

// Redirect sends the browser on, as htmx or as a plain redirect.
func Redirect(c echo.Context, to string) error {
	if IsHTMX(c) {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// RedirectToLogin sends a signed-out visitor to sign in and back afterwards.
func RedirectToLogin(c echo.Context) error {
	next := c.Request().URL.RequestURI()
	if c.Request().Method != http.MethodGet || IsHTMX(c) {
		next = c.Request().Header.Get("HX-Current-URL")
		if u, err := url.Parse(next); err == nil {
			next = u.RequestURI()
		}
	}
	to := "/login"
	if SafeNext(next) != "/" {
		to += "?next=" + url.QueryEscape(next)
	}
	return Redirect(c, to)
}

// SafeNext keeps a post-sign-in target on this site.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

// CSRFToken is the token forms and htmx send back (on routes that check
// it themselves, the cookie's).
func CSRFToken(c echo.Context) string {
	if s, _ := c.Get("csrf").(string); s != "" {
		return s
	}
	if ck, err := c.Cookie(csrfCookie); err == nil {
		return ck.Value
	}
	return ""
}
