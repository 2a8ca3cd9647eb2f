package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"gatehouse/models"
)

// ContentSecurityPolicy allows only our own scripts and styles: no inline
// script, no eval.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// NewEcho builds the Echo instance with Gatehouse's middleware chain. Routes
// are added by the handlers package.
func NewEcho(log *slog.Logger, errPage ErrorPage, cfg Config, m *Metrics) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = NewErrorHandler(log, errPage)
	e.IPExtractor = clientIP(cfg.TrustedProxies)
	// Before routing, so that every answer (even a refusal before routing)
	// carries the headers and a request id, is logged and is counted.
	e.Pre(securityHeaders(strings.HasPrefix(cfg.BaseURL, "https://")))
	e.Pre(middleware.RequestID())
	e.Pre(observe(e, log, m))
	e.Pre(middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		log.Error("panic", "err", err, "path", RedactPath(c.Request().URL.Path), "stack", string(stack))
		return err
	}}))
	return e
}

// clientIP finds the client's address: the peer's, unless the peer is a
// proxy listed in GATEHOUSE_TRUSTED_PROXIES, whose X-Forwarded-For is then
// read (right to left, past trusted proxies). Anything else could be
// forged, and sign-in throttling keys on the address.
func clientIP(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		n := &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// securityHeaders sets the headers every response carries; hsts when the
// public URL is https (a TLS proxy in front counts too). The values are
// built once, under their canonical names: this runs for every request.
func securityHeaders(hsts bool) echo.MiddlewareFunc {
	fixed := http.Header{}
	fixed.Set("Content-Security-Policy", ContentSecurityPolicy)
	fixed.Set("X-Content-Type-Options", "nosniff")
	fixed.Set("X-Frame-Options", "DENY")
	fixed.Set("Referrer-Policy", "same-origin")
	fixed.Set("Cross-Origin-Opener-Policy", "same-origin")
	fixed.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if hsts {
		fixed.Set("Strict-Transport-Security", "max-age=63072000")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			for k, v := range fixed {
				h[k] = v // shared, never appended to: handlers Set their own
			}
			if c.Request().TLS != nil {
				h.Set("Strict-Transport-Security", "max-age=63072000")
			}
			return next(c)
		}
	}
}

var (
	tokenInPath    = regexp.MustCompile(`(?i)/t/[^/]+`)
	tokenLookAlike = regexp.MustCompile(`gth_[0-9A-Za-z]{20,}`)
)

// RedactPath hides a token carried in a /t/<TOKEN>/ path, or anything that
// looks like a token, wherever it sits: what the log gets is never a secret
// even when the path was spelled in a way routing did not expect.
func RedactPath(p string) string {
	if !strings.Contains(p, "gth_") && !strings.Contains(p, "/t/") && !strings.Contains(p, "/T/") {
		return p // the usual case, without a regular expression
	}
	return tokenLookAlike.ReplaceAllString(tokenInPath.ReplaceAllString(p, "/t/REDACTED"), "REDACTED")
}

// csrfCookie holds the CSRF token a form or htmx must send back.
const csrfCookie = "gatehouse_csrf"

// ErrCSRF refuses a state-changing request without a valid CSRF token.
var ErrCSRF = Fail(http.StatusForbidden, "The form has expired or the CSRF token is missing. Reload the page and try again.")

// ValidCSRF reports whether a state-changing request comes from our own
// pages, as the CSRF middleware decides it, for the routes that check
// themselves (uploads, before reading the package): a browser that sends
// Sec-Fetch-Site says so itself; otherwise token must match the cookie.
func ValidCSRF(c echo.Context, token string) bool {
	if site := c.Request().Header.Get(echo.HeaderSecFetchSite); site != "" {
		return site == "same-origin" || site == "none"
	}
	ck, err := c.Cookie(csrfCookie)
	return err == nil && token != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(token)) == 1
}

// RenewCSRF gives the browser a fresh CSRF token (at sign-in), so a token
// planted before the session began is worth nothing after it.
func RenewCSRF(c echo.Context, secure bool) {
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: models.RandomHex(16), Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteStrictMode, MaxAge: 86400})
}

// CSRF protects every state-changing request made with a session. Requests
// that authenticate with a token header are not exposed to CSRF (a browser
// never adds those headers on its own) and skip it.
func CSRF(secure bool, skip func(c echo.Context) bool) echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     "csrf",
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteStrictMode,
		Skipper:        skip,
		ErrorHandler:   func(err error, c echo.Context) error { return ErrCSRF },
	})
}

// BodyLimit refuses bodies over n bytes with 413 and a clear message.
func BodyLimit(n int64, what string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > n {
				return Fail(http.StatusRequestEntityTooLarge, what)
			}
			req.Body = http.MaxBytesReader(c.Response(), req.Body, n)
			return next(c)
		}
	}
}

// Health answers /healthz and /readyz; ready needs the database and the
// artifact storage (storage checks it).
func Health(store *models.Store, storage func(context.Context) error) (live, ready echo.HandlerFunc) {
	live = func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]any{"ok": true}) }
	ready = func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		// The store checks the database every second on a connection of its
		// own: a busy pool never makes a healthy database look down.
		if !store.Healthy() {
			return c.JSON(http.StatusServiceUnavailable, APIError{Error: codeDBUnavailable, Message: "The database is not reachable."})
		}
		if err := storage(ctx); err != nil {
			return c.JSON(http.StatusServiceUnavailable, APIError{Error: "storage_unavailable", Message: "The artifact storage is not reachable."})
		}
		return c.JSON(http.StatusOK, map[string]any{"ok": true})
	}
	return live, ready
}
