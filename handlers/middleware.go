package handlers

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/web"
)

// loadActor finds who makes the request: an access token when the request
// carries one (the token wins over a session cookie), otherwise the session
// cookie. A disabled or deleted user is treated as signed out.
func (h *Handlers) loadActor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if secret, present, err := requestToken(c); err != nil {
			h.Metrics.Token(web.TokenMalformed)
			return err
		} else if present {
			a, err := h.tokenActor(c, secret)
			if err != nil {
				return err
			}
			web.SetActor(c, a)
			return next(c)
		}
		a := &web.Actor{}
		if strings.HasPrefix(c.Request().URL.Path, "/static/") {
			web.SetActor(c, a) // assets are the same for everyone
			return next(c)
		}
		if uid, key := h.Sessions.Current(c); uid != 0 {
			u, err := h.Store.SessionUser(c.Request().Context(), key, uid)
			switch {
			case err == nil && !u.Disabled:
				a = &web.Actor{User: u, Subject: u.Subject(), At: h.Store.Now()}
			case err != nil && !errors.Is(err, models.ErrNotFound):
				return err
			default:
				h.Sessions.Forget(c) // signed out elsewhere, reset or disabled
			}
		}
		web.SetActor(c, a)
		return next(c)
	}
}
