package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/pages/admin"
	"gatehouse/web"
)

// Settings shows the Settings page (admins).
func (h *Handlers) Settings(c echo.Context) error {
	set, err := h.Store.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	m := admin.SettingsForm{CSRF: web.CSRFToken(c), MaxTokenLifetimeDays: strconv.Itoa(set.MaxTokenLifetimeDays), Saved: c.QueryParam("saved") == "1"}
	return h.page(c, http.StatusOK, "Settings", admin.Settings(m))
}

// SaveSettings handles the Settings form.
func (h *Handlers) SaveSettings(c echo.Context) error {
	raw := c.FormValue("max_token_lifetime_days")
	days, err := strconv.Atoi(raw)
	if err != nil {
		err = models.Invalid("max_token_lifetime_days", "Maximum token lifetime must be a whole number of days.")
	} else {
		err = h.saveSettings(c, models.Settings{MaxTokenLifetimeDays: days})
	}
	if err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		m := admin.SettingsForm{CSRF: web.CSRFToken(c), MaxTokenLifetimeDays: raw, Errors: fields, Error: banner}
		return h.page(c, http.StatusUnprocessableEntity, "Settings", admin.Settings(m))
	}
	return web.Redirect(c, "/admin/settings?saved=1")
}

func (h *Handlers) saveSettings(c echo.Context, in models.Settings) error {
	before, after, err := h.Store.SaveSettings(c.Request().Context(), in)
	if err != nil {
		return err
	}
	if before != after {
		h.audit(c, "settings.update", "settings", map[string]any{"old": before, "new": after})
	}
	return nil
}

// APISettings returns the run-time settings.
func (h *Handlers) APISettings(c echo.Context) error {
	set, err := h.Store.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "settings", set)
}

// APIUpdateSettings changes {"max_token_lifetime_days"}; keys left out stay.
func (h *Handlers) APIUpdateSettings(c echo.Context) error {
	set, err := h.Store.Settings(c.Request().Context())
	if err != nil {
		return err
	}
	var in struct {
		MaxTokenLifetimeDays *int `json:"max_token_lifetime_days"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.MaxTokenLifetimeDays != nil {
		set.MaxTokenLifetimeDays = *in.MaxTokenLifetimeDays
	}
	if err := h.saveSettings(c, set); err != nil {
		return err
	}
	return ok(c, http.StatusOK, "settings", set)
}
