package handlers

import (
	"errors"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/web"
)

const pathTokenKey = "gatehouse.path_token"

// tokenFromPath takes a token out of a /t/<TOKEN>/… path before routing, so
// the rest of the chain (routes, access log, errors, redirects) never sees
// it, however the path is spelled: "//t/", "/./t/", "/x/../t/" and "/T/"
// lead to the same place. Only the API and conda routes may be reached
// this way.
func tokenFromPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		p, canonical := req.URL.Path, strings.HasPrefix(req.URL.Path, "/t/")
		if !canonical {
			p = path.Clean("/" + p)
			if len(p) < 3 || !strings.EqualFold(p[:3], "/t/") {
				return next(c)
			}
			req.URL.RawPath = "" // an odd spelling: serve its plain, cleaned form
		}
		tok, rest, _ := strings.Cut(p[len("/t/"):], "/")
		rest = "/" + rest
		req.URL.Path = rest
		if req.URL.RawPath != "" {
			if _, raw, ok := strings.Cut(strings.TrimPrefix(req.URL.RawPath, "/t/"), "/"); ok {
				req.URL.RawPath = "/" + raw
			} else {
				req.URL.RawPath = ""
			}
		}
		req.RequestURI = req.URL.RequestURI()
		if tok == "" || !web.IsAPIPath(rest) {
			return web.Fail(http.StatusNotFound, "Token paths lead only to /api/ and /v1/.")
		}
		c.Set(pathTokenKey, tok)
		return next(c)
	}
}

// requestToken is the token a request carries, if any: in the path, as
// Authorization: Bearer, or as X-Auth. present is true when the request
// tries to use one, even a malformed one.
func requestToken(c echo.Context) (secret string, present bool, err error) {
	if tok, ok := c.Get(pathTokenKey).(string); ok {
		return tok, true, nil
	}
	r := c.Request()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", true, web.Fail(http.StatusUnauthorized, "Send the access token as Authorization: Bearer <token>.")
		}
		return strings.TrimSpace(tok), true, nil
	}
	if tok := r.Header.Get("X-Auth"); tok != "" {
		return strings.TrimSpace(tok), true, nil
	}
	return "", false, nil
}

// tokenActor authenticates a token and returns the actor it stands for: its
// owner as the owner is now, capped by the token.
func (h *Handlers) tokenActor(c echo.Context, secret string) (*web.Actor, error) {
	if !models.WellFormedToken(secret) {
		h.Metrics.Token(web.TokenMalformed)
		return nil, web.Fail(http.StatusUnauthorized, "The access token is unknown, deleted or re-issued.")
	}
	// An address that keeps sending tokens nobody has may go on using the
	// ones this instance knows, but nothing else reaches the database.
	if h.TokenFailures.Over(c.RealIP()) && !h.Store.KnownToken(secret) {
		h.Metrics.Token(web.TokenThrottled)
		c.Response().Header().Set("Retry-After", "1")
		return nil, web.Fail(http.StatusTooManyRequests, "Too many unknown access tokens from this address; wait a moment.")
	}
	t, err := h.Store.AuthenticateToken(c.Request().Context(), secret)
	h.Metrics.Token(tokenOutcome(secret, err))
	if errors.Is(err, models.ErrTokenUnknown) {
		h.TokenFailures.Fail(c.RealIP())
	}
	switch {
	case errors.Is(err, models.ErrTokenExpired):
		h.auditExpiredUse(c, t)
		return nil, web.Fail(http.StatusUnauthorized, "The token expired: its last day was "+t.ExpiryDate()+". Create a new token or edit its expiration date.")
	case errors.Is(err, models.ErrTokenDisabled):
		return nil, web.Fail(http.StatusUnauthorized, "The access token's owner is disabled.")
	case errors.Is(err, models.ErrTokenUnknown):
		return nil, web.Fail(http.StatusUnauthorized, "The access token is unknown, deleted or re-issued.")
	case err != nil:
		return nil, err
	}
	return &web.Actor{User: t.User, Subject: t.User.Subject(), Token: t, TokenGrant: t.Grant(), At: h.Store.Now()}, nil
}

// tokenOutcome names a token check's result for the metrics.
func tokenOutcome(secret string, err error) string {
	switch {
	case err == nil:
		return web.TokenOK
	case errors.Is(err, models.ErrTokenExpired):
		return web.TokenExpired
	case errors.Is(err, models.ErrTokenDisabled):
		return web.TokenDisabled
	case errors.Is(err, models.ErrTokenUnknown) && !models.WellFormedToken(secret):
		return web.TokenMalformed
	case errors.Is(err, models.ErrTokenUnknown):
		return web.TokenUnknown
	}
	return web.TokenError
}

// expiredAudits remembers when each expired token's refusal was last
// audited, so a client retrying in a loop adds one event a minute, not one
// per request.
type expiredAudits struct {
	mu   sync.Mutex
	last map[uint]time.Time
}

func (e *expiredAudits) due(id uint, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		e.last = map[uint]time.Time{}
	}
	if now.Sub(e.last[id]) < time.Minute {
		return false
	}
	e.last[id] = now
	return true
}

// auditExpiredUse records a refused use of an expired token: its name and
// owner, never its string.
func (h *Handlers) auditExpiredUse(c echo.Context, t *models.Token) {
	if !h.expired.due(t.ID, time.Now()) {
		return
	}
	rec := models.Audit{ActorID: t.UserID, ActorEmail: t.User.Email, IP: c.RealIP(), Action: "token.expired_use", Target: t.Name,
		Details: map[string]any{"token_id": t.ID, "expired": t.ExpiryDate(), "path": web.RedactPath(c.Request().URL.Path)}}
	if err := h.Store.Record(c.Request().Context(), rec); err != nil {
		h.Log.Error("audit: unable to record", "action", rec.Action, "err", err)
	}
}
