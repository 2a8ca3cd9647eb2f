package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/pages/auth"
	"gatehouse/web"
)

// LoginForm shows the sign-in page (or sends a signed-in user on).
func (h *Handlers) LoginForm(c echo.Context) error {
	next := web.SafeNext(c.QueryParam("next"))
	if web.ActorOf(c).SignedIn() {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return h.renderLogin(c, http.StatusOK, h.loginModel(next))
}

// loginModel is the sign-in page: the password form, the single sign-on
// button, or both.
func (h *Handlers) loginModel(next string) auth.Login {
	m := auth.Login{Next: next, Password: !h.Cfg.NoPasswordSignIn}
	if h.SSO != nil {
		m.SSOName = h.SSO.Config().Name
		m.SSOHref = "/auth/oidc/login"
		if next != "/" {
			m.SSOHref += "?next=" + url.QueryEscape(next)
		}
	}
	return m
}

func (h *Handlers) renderLogin(c echo.Context, status int, m auth.Login) error {
	m.CSS = h.Assets.URL("css/app.css")
	m.JS = []string{h.Assets.URL("js/app.js")}
	m.CSRF = web.CSRFToken(c)
	return web.Render(c, status, auth.LoginPage(m))
}

// Login checks the password, throttles repeated failures and starts a fresh
// session. Every attempt is audited; the password never is.
func (h *Handlers) Login(c echo.Context) error {
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	next := web.SafeNext(c.FormValue("next"))
	m := h.loginModel(next)
	if h.Cfg.NoPasswordSignIn {
		h.auditSignIn(c, "signin.password_off", email)
		m.Error = "Sign-in with a password is turned off here. Use “Sign in with " + m.SSOName + "”."
		return h.renderLogin(c, http.StatusForbidden, m)
	}
	m.Email = email
	if len(email) > models.MaxEmailLen {
		m.Email = ""
	}
	if email == "" || password == "" {
		m.Error = "Enter your email and password."
		return h.renderLogin(c, http.StatusUnprocessableEntity, m)
	}
	// Guesses count per account and address, so failures elsewhere never
	// lock the owner out; an address failing across accounts gets a higher
	// allowance of its own.
	guessKey, sprayKey := email+"\x00"+c.RealIP(), c.RealIP()
	h.tuneThrottles(c.Request().Context())
	if wait := max(h.Guesses.Wait(guessKey), h.Spray.Wait(sprayKey)); wait > 0 {
		h.auditSignIn(c, "signin.throttled", email)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		m.Error = "Too many failed attempts. Wait " + waitText(wait) + " and try again."
		return h.renderLogin(c, http.StatusTooManyRequests, m)
	}
	u, err := h.Store.Authenticate(c.Request().Context(), email, password)
	if err != nil {
		if !errors.Is(err, models.ErrBadCredentials) && !errors.Is(err, models.ErrUserDisabled) {
			return err
		}
		h.Guesses.Fail(guessKey)
		h.Spray.Fail(sprayKey)
		h.auditSignIn(c, "signin.failure", email)
		m.Error = "Wrong email or password."
		if errors.Is(err, models.ErrUserDisabled) {
			m.Error = "This account is disabled. Ask an admin to enable it."
		}
		return h.renderLogin(c, http.StatusUnauthorized, m)
	}
	h.Guesses.Succeed(guessKey)
	if err := h.Sessions.SignIn(c, u); err != nil {
		return err
	}
	web.RenewCSRF(c, h.Cfg.SecureCookies)
	web.SetActor(c, &web.Actor{User: u, Subject: u.Subject(), At: h.Store.Now()})
	if err := h.Store.NoteSignIn(c.Request().Context(), u.ID); err != nil {
		h.Log.Error("signin: unable to note the time", "err", err)
	}
	h.audit(c, "signin.success", u.Email, nil)
	return c.Redirect(http.StatusSeeOther, next)
}

func (h *Handlers) auditSignIn(c echo.Context, action, email string) {
	if len(email) > models.MaxEmailLen {
		email = email[:models.MaxEmailLen]
	}
	h.audit(c, action, email, nil)
}

// Logout ends the session.
func (h *Handlers) Logout(c echo.Context) error {
	h.audit(c, "signout", web.ActorOf(c).Email(), nil)
	h.Sessions.SignOut(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// waitText says a wait in words a person reads at a glance.
func waitText(d time.Duration) string {
	if d <= time.Minute {
		return "a minute"
	}
	return strconv.Itoa(int(d.Round(time.Minute).Minutes())) + " minutes"
}
