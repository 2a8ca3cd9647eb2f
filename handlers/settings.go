package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/pages/admin"
	"gatehouse/web"
)

// settings are the run-time settings in force: session timeouts no admin
// has set are the server's flags (--session-idle, --session-max).
func (h *Handlers) settings(ctx context.Context) (models.Settings, error) {
	set, err := h.Store.Settings(ctx)
	if set.SessionIdleMinutes == 0 {
		set.SessionIdleMinutes = int(h.Cfg.SessionIdle / time.Minute)
	}
	if set.SessionMaxMinutes == 0 {
		set.SessionMaxMinutes = int(h.Cfg.SessionMax / time.Minute)
	}
	return set, err
}

// sessionLimits are the session timeouts in force; when the database
// cannot say, the server's flags.
func (h *Handlers) sessionLimits(ctx context.Context) (idle, max time.Duration) {
	set, err := h.settings(ctx)
	if err != nil {
		return h.Cfg.SessionIdle, h.Cfg.SessionMax
	}
	return time.Duration(set.SessionIdleMinutes) * time.Minute, time.Duration(set.SessionMaxMinutes) * time.Minute
}

// tuneThrottles applies the sign-in throttling in force. An address
// failing across accounts is allowed ten times as many failures.
func (h *Handlers) tuneThrottles(ctx context.Context) {
	set, err := h.Store.Settings(ctx)
	if err != nil {
		return // keep what was in force
	}
	base, max := time.Duration(set.SigninBaseWaitSeconds)*time.Second, time.Duration(set.SigninMaxWaitSeconds)*time.Second
	h.Guesses.Configure(set.SigninFailures, base, max)
	h.Spray.Configure(10*set.SigninFailures, base, max)
}

// settingFields are the Settings page's fields, in order, grouped.
var settingFields = []admin.SettingField{
	{Group: "Tokens", Name: "max_token_lifetime_days", Label: "Maximum token lifetime (days)",
		Help: "New tokens, and tokens whose expiration date is changed, may expire at most this many days ahead. Existing tokens keep their dates.", Min: 1, Max: models.MaxMaxTokenLifetimeDays},
	{Group: "Sessions", Name: "session_idle_minutes", Label: "Idle timeout (minutes)",
		Help: "People are signed out after this long without a request. Applies to sessions already running.", Min: models.MinSessionMinutes, Max: models.MaxSessionIdleMinutes},
	{Group: "Sessions", Name: "session_max_minutes", Label: "Absolute timeout (minutes)",
		Help: "People are signed out this long after signing in, however active. At least the idle timeout.", Min: models.MinSessionMinutes, Max: models.MaxSessionMaxMinutes},
	{Group: "Sign-in throttling", Name: "signin_allowed_failures", Label: "Allowed failures",
		Help: "Failed sign-ins per account and address before waiting starts (an address failing across accounts gets ten times as many).", Min: 1, Max: models.MaxSigninFailures},
	{Group: "Sign-in throttling", Name: "signin_base_wait_seconds", Label: "First wait (seconds)",
		Help: "The wait after the allowance is used up; it doubles with each further failure.", Min: 1, Max: models.MaxSigninWaitSeconds},
	{Group: "Sign-in throttling", Name: "signin_max_wait_seconds", Label: "Longest wait (seconds)",
		Help: "The doubling stops here.", Min: 1, Max: models.MaxSigninWaitSeconds},
}

// settingsForm is the Settings page's form filled from settings.
func settingsForm(set models.Settings) admin.SettingsForm {
	m := admin.SettingsForm{Fields: settingFields, Values: map[string]string{}}
	for _, f := range settingFields {
		m.Values[f.Name] = strconv.Itoa(*settingField(&set, f.Name))
	}
	return m
}

// settingField is the field of set a form or JSON key names.
func settingField(set *models.Settings, name string) *int {
	return map[string]*int{
		"max_token_lifetime_days":  &set.MaxTokenLifetimeDays,
		"session_idle_minutes":     &set.SessionIdleMinutes,
		"session_max_minutes":      &set.SessionMaxMinutes,
		"signin_allowed_failures":  &set.SigninFailures,
		"signin_base_wait_seconds": &set.SigninBaseWaitSeconds,
		"signin_max_wait_seconds":  &set.SigninMaxWaitSeconds,
	}[name]
}

// Settings shows the Settings page (admins).
func (h *Handlers) Settings(c echo.Context) error {
	set, err := h.settings(c.Request().Context())
	if err != nil {
		return err
	}
	m := settingsForm(set)
	m.CSRF, m.Saved = web.CSRFToken(c), c.QueryParam("saved") == "1"
	return h.settingsPage(c, http.StatusOK, m)
}

// settingsPage renders the Settings page with the blob cleanup section.
func (h *Handlers) settingsPage(c echo.Context, status int, m admin.SettingsForm) error {
	sweep, err := h.sweepSection(c)
	if err != nil {
		return err
	}
	m.Sweep = sweep
	return h.page(c, status, "Settings", admin.Settings(m))
}

// SaveSettings handles the Settings form; nothing is stored unless every
// field is right.
func (h *Handlers) SaveSettings(c echo.Context) error {
	set, err := h.settings(c.Request().Context())
	if err != nil {
		return err
	}
	m := admin.SettingsForm{CSRF: web.CSRFToken(c), Fields: settingFields, Values: map[string]string{}}
	for _, f := range settingFields {
		raw := c.FormValue(f.Name)
		m.Values[f.Name] = raw
		n, convErr := strconv.Atoi(raw)
		if convErr != nil && err == nil {
			err = models.Invalid(f.Name, "%s must be a whole number.", f.Label)
		}
		*settingField(&set, f.Name) = n
	}
	if err == nil {
		err = h.saveSettings(c, set)
	}
	if err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		m.Errors, m.Error = fields, banner
		return h.settingsPage(c, http.StatusUnprocessableEntity, m)
	}
	return web.Redirect(c, "/admin/settings?saved=1")
}

func (h *Handlers) saveSettings(c echo.Context, in models.Settings) error {
	before, err := h.settings(c.Request().Context())
	if err != nil {
		return err
	}
	if _, _, err := h.Store.SaveSettings(c.Request().Context(), in); err != nil {
		return err
	}
	if before != in {
		h.audit(c, "settings.update", "settings", map[string]any{"old": before, "new": in})
	}
	return nil
}

// APISettings returns the run-time settings.
func (h *Handlers) APISettings(c echo.Context) error {
	set, err := h.settings(c.Request().Context())
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "settings", set)
}

// APIUpdateSettings changes any of the settings' keys
// (max_token_lifetime_days, session_idle_minutes, session_max_minutes,
// signin_allowed_failures, signin_base_wait_seconds,
// signin_max_wait_seconds); keys left out stay.
func (h *Handlers) APIUpdateSettings(c echo.Context) error {
	set, err := h.settings(c.Request().Context())
	if err != nil {
		return err
	}
	var in struct {
		MaxTokenLifetimeDays  *int `json:"max_token_lifetime_days"`
		SessionIdleMinutes    *int `json:"session_idle_minutes"`
		SessionMaxMinutes     *int `json:"session_max_minutes"`
		SigninFailures        *int `json:"signin_allowed_failures"`
		SigninBaseWaitSeconds *int `json:"signin_base_wait_seconds"`
		SigninMaxWaitSeconds  *int `json:"signin_max_wait_seconds"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	for dst, v := range map[*int]*int{
		&set.MaxTokenLifetimeDays: in.MaxTokenLifetimeDays, &set.SessionIdleMinutes: in.SessionIdleMinutes,
		&set.SessionMaxMinutes: in.SessionMaxMinutes, &set.SigninFailures: in.SigninFailures,
		&set.SigninBaseWaitSeconds: in.SigninBaseWaitSeconds, &set.SigninMaxWaitSeconds: in.SigninMaxWaitSeconds,
	} {
		if v != nil {
			*dst = *v
		}
	}
	if err := h.saveSettings(c, set); err != nil {
		return err
	}
	return ok(c, http.StatusOK, "settings", set)
}
