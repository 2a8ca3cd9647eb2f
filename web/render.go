package web

import (
	"net/http"
	"net/url"
	"path"
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

// SafeNext turns a post-sign-in target into a path on this site, or "/".
// It parses rather than pattern-matches, after doing what a browser does
// to a Location first (drop tabs and newlines, read "\\" as "/"), and
// returns the path rebuilt from its cleaned, decoded form: never two
// leading slashes, never a scheme or host, never a control character.
func SafeNext(next string) string {
	next = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, next)
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	for _, r := range u.Path + u.RawQuery {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	clean := path.Clean(u.Path) // no "//", "/./" or "/../" left
	if clean == "/login" || strings.HasPrefix(clean, "/login/") {
		return "/"
	}
	out := (&url.URL{Path: clean}).EscapedPath()
	if strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
		return "/"
	}
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
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
