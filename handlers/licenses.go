package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/pages/security"
	"gatehouse/web"
)

// LicenseJSON is a license across all artifacts, as the API shows it.
type LicenseJSON struct {
	License   string           `json:"license"`
	SPDX      bool             `json:"spdx"`
	Written   []string         `json:"written"`
	Artifacts int              `json:"artifacts"`
	Channels  []string         `json:"channels"`
	Blocked   *BlockedLicenseJ `json:"blocked,omitempty"`
}

// BlockedLicenseJ says why and since when a license is blocked.
type BlockedLicenseJ struct {
	License   string `json:"license"`
	Reason    string `json:"reason"`
	BlockedAt string `json:"blocked_at"`
}

func blockedJSON(b *models.BlockedLicense) *BlockedLicenseJ {
	if b == nil {
		return nil
	}
	return &BlockedLicenseJ{License: b.License, Reason: b.Reason, BlockedAt: b.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")}
}

// mayDo reports whether the actor may use scope at need on the system:
// the pages show edit controls only to those who may use them.
func mayDo(c echo.Context, scope string, need access.Level) bool {
	return access.May(web.ActorOf(c).Engine(), scope, need, access.System())
}

// Licenses shows the license overview and the block form.
func (h *Handlers) Licenses(c echo.Context) error {
	m, err := h.licensesPage(c)
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, "Licenses", security.Licenses(m))
}

func (h *Handlers) licensesPage(c echo.Context) (security.LicensesPage, error) {
	uses, err := h.Store.LicenseOverview(c.Request().Context())
	if err != nil {
		return security.LicensesPage{}, err
	}
	m := security.LicensesPage{CSRF: web.CSRFToken(c), CanEdit: mayDo(c, "system.license:edit", access.Manage)}
	now := h.Store.Now()
	for _, u := range uses {
		r := security.LicenseRow{License: u.License, SPDX: u.SPDX, Written: u.Written, Count: u.Count, Channels: u.Channels}
		if u.Blocked != nil {
			r.Blocked, r.Reason, r.BlockedAt = true, u.Blocked.Reason, when(u.Blocked.CreatedAt, now, "2006-01-02 15:04")
		}
		m.Rows = append(m.Rows, r)
	}
	return m, nil
}

// BlockLicense handles the block form.
func (h *Handlers) BlockLicense(c echo.Context) error {
	license, reason := c.FormValue("license"), c.FormValue("reason")
	b, err := h.blockLicense(c, license, reason)
	if err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		m, perr := h.licensesPage(c)
		if perr != nil {
			return perr
		}
		m.License, m.Reason, m.Errors, m.Error = license, reason, fields, banner
		status, _, _, _ := web.Classify(err)
		return h.page(c, status, "Licenses", security.Licenses(m))
	}
	return h.done(c, "/admin/licenses", "Blocked "+b.License+": uploads under it are refused.")
}

func (h *Handlers) blockLicense(c echo.Context, license, reason string) (*models.BlockedLicense, error) {
	b, err := h.Store.BlockLicense(c.Request().Context(), license, reason, web.ActorOf(c).User.ID)
	if err != nil {
		return nil, err
	}
	h.audit(c, "license.block", b.License, map[string]any{"old": nil, "new": map[string]any{"license": b.License, "reason": b.Reason, "written": license}})
	return b, nil
}

// UnblockLicense handles an Unblock button.
func (h *Handlers) UnblockLicense(c echo.Context) error {
	b, err := h.unblockLicense(c, c.FormValue("license"), c.FormValue("reason"))
	if err != nil {
		return err
	}
	return h.done(c, "/admin/licenses", "Unblocked "+b.License+".")
}

func (h *Handlers) unblockLicense(c echo.Context, license, reason string) (*models.BlockedLicense, error) {
	switch {
	case !web.Storable(license) || !web.Storable(reason) || len(reason) > 1000:
		return nil, models.Invalid("license", "The license and reason must be text.")
	case strings.TrimSpace(license) == "":
		return nil, models.Invalid("license", "Name the license to unblock.")
	}
	b, err := h.Store.UnblockLicense(c.Request().Context(), license)
	if err != nil {
		return nil, err
	}
	h.audit(c, "license.unblock", b.License, map[string]any{"old": map[string]any{"license": b.License, "reason": b.Reason}, "new": nil, "reason": reason})
	return b, nil
}

// APILicenses lists every license across all artifacts, with the blocks.
func (h *Handlers) APILicenses(c echo.Context) error {
	uses, err := h.Store.LicenseOverview(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]LicenseJSON, len(uses))
	for i, u := range uses {
		out[i] = LicenseJSON{License: u.License, SPDX: u.SPDX, Written: nonNilStrings(u.Written), Artifacts: u.Count, Channels: nonNilStrings(u.Channels), Blocked: blockedJSON(u.Blocked)}
	}
	return ok(c, http.StatusOK, "licenses", out)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// APIBlockLicense blocks {"license", "reason"}.
func (h *Handlers) APIBlockLicense(c echo.Context) error {
	var in struct {
		License string `json:"license"`
		Reason  string `json:"reason"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	b, err := h.blockLicense(c, in.License, in.Reason)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "blocked", blockedJSON(b))
}

// APIUnblockLicense lifts the block of {"license", "reason"}.
func (h *Handlers) APIUnblockLicense(c echo.Context) error {
	var in struct {
		License string `json:"license"`
		Reason  string `json:"reason"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	b, err := h.unblockLicense(c, in.License, in.Reason)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "unblocked", blockedJSON(b))
}
