package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

// TokenJSON is a token as the API shows it. Secret is set only in the
// answer to POST and to a re-issue.
type TokenJSON struct {
	ID          uint           `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Owner       string         `json:"owner"`
	Type        string         `json:"type"`
	Resources   []ResourceJSON `json:"resources"`
	Scopes      []string       `json:"scopes"`
	ExpiresAt   string         `json:"expires_at"`
	Expired     bool           `json:"expired"`
	// ExpiresInDays counts the days to the last day: 0 on it, negative
	// once the token has expired.
	ExpiresInDays int        `json:"expires_in_days"`
	Hint          string     `json:"hint"`
	CreatedAt     time.Time  `json:"created_at"`
	LastUsedAt    *time.Time `json:"last_used_at"`
	Secret        string     `json:"secret,omitempty"`
}

// ResourceJSON is one resource of a token: {"channel", "subchannel"?,
// "level"}, {"group", "level"} for a channel group, or {"channel",
// "group", "level"} for one of the channel's subchannel groups.
type ResourceJSON struct {
	Channel    string `json:"channel,omitempty"`
	Subchannel string `json:"subchannel,omitempty"`
	Group      string `json:"group,omitempty"`
	Level      string `json:"level"`
}

func (h *Handlers) tokenJSON(t *models.Token, secret string) TokenJSON {
	g := t.Grant()
	out := TokenJSON{ID: t.ID, Name: t.Name, Description: t.Description, Type: t.Kind, Scopes: g.Scopes, Resources: []ResourceJSON{},
		ExpiresAt: t.ExpiryDate(), Expired: t.Expired(h.Store.Now()), ExpiresInDays: daysLeft(t.ExpiresAt, h.Store.Now()), Hint: t.Hint, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, Secret: secret}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	for _, r := range g.Resources {
		out.Resources = append(out.Resources, ResourceJSON{Channel: r.Channel, Subchannel: r.Sub, Group: r.Group, Level: r.Level.String()})
	}
	if t.User != nil {
		out.Owner = t.User.Email
	}
	return out
}

// APITokens lists the caller's tokens (everyone's for admins);
// ?expiring_within=7d keeps those that still work but expire within that
// time (spec §14).
func (h *Handlers) APITokens(c echo.Context) error {
	var within time.Duration
	if v, set := c.QueryParams()["expiring_within"]; set {
		var err error
		if within, err = parseWithin(strings.TrimSpace(v[0])); err != nil {
			return err
		}
	}
	ts, err := h.visibleTokens(c)
	if err != nil {
		return err
	}
	now := h.Store.Now()
	out := make([]TokenJSON, 0, len(ts))
	for i := range ts {
		if within == 0 || expiresWithin(&ts[i], now, within) {
			out = append(out, h.tokenJSON(&ts[i], ""))
		}
	}
	return ok(c, http.StatusOK, "tokens", out)
}

// checkDate answers 400 for an expiration date that is not YYYY-MM-DD.
func checkDate(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil && s != "" {
		return web.Fail(http.StatusBadRequest, "expires_at must be a date written YYYY-MM-DD.")
	}
	return nil
}

// APICreateToken creates a token from {"name","description","expires_at",
// "resources":[{"channel","subchannel","level"}] | "scopes":[...]}.
func (h *Handlers) APICreateToken(c echo.Context) error {
	var in struct {
		Name        string         `json:"name"`
		Description string         `json:"description"`
		ExpiresAt   string         `json:"expires_at"`
		Resources   []ResourceJSON `json:"resources"`
		Scopes      []string       `json:"scopes"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := checkDate(in.ExpiresAt); err != nil {
		return err
	}
	g := access.TokenGrant{Scopes: in.Scopes}
	for _, r := range in.Resources {
		path := r.Channel
		switch {
		case r.Group != "" && r.Subchannel != "":
			return models.Invalid("resources", "A resource names a subchannel or a group, not both.")
		case r.Group != "" && r.Channel == "":
			path = access.GroupPrefix + r.Group
		case r.Group != "":
			path += "/" + access.GroupPrefix + r.Group
		case r.Subchannel != "":
			path += "/" + r.Subchannel
		}
		res, err := access.ParseResource(path, r.Level)
		if err != nil {
			return models.Invalid("resources", "%s.", err.Error())
		}
		g.Resources = append(g.Resources, res)
	}
	t, secret, err := h.createToken(c, models.NewToken{Name: in.Name, Description: in.Description, ExpiresOn: in.ExpiresAt, Grant: g})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return ok(c, http.StatusCreated, "token", h.tokenJSON(t, secret))
}

// APIUpdateToken changes name, description or expiration, and re-issues
// with {"reissue": true}. Only the owner may edit a token.
func (h *Handlers) APIUpdateToken(c echo.Context) error {
	t, err := h.ownToken(c)
	if err != nil {
		return err
	}
	var in struct {
		Name        *string `json:"name"`
		Description *string `json:"description"`
		ExpiresAt   *string `json:"expires_at"`
		Reissue     bool    `json:"reissue"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.ExpiresAt != nil {
		if err := checkDate(*in.ExpiresAt); err != nil {
			return err
		}
	}
	after, secret, err := h.editToken(c, t.ID, models.TokenEdit{Name: in.Name, Description: in.Description, ExpiresOn: in.ExpiresAt, Reissue: in.Reissue})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return ok(c, http.StatusOK, "token", h.tokenJSON(after, secret))
}

// APIDeleteToken deletes a token (the caller's own, or anyone's for admins).
func (h *Handlers) APIDeleteToken(c echo.Context) error {
	t, err := h.deleteToken(c)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "token", h.tokenJSON(t, ""))
}

// ScopeJSON is one scope of the catalog.
type ScopeJSON struct {
	Scope       string `json:"scope"`
	Category    string `json:"category"`
	Level       string `json:"level"`
	Description string `json:"description"`
	Gatehouse   bool   `json:"gatehouse,omitempty"`
}

// APIScopes serves the scope catalog.
func (h *Handlers) APIScopes(c echo.Context) error {
	out := make([]ScopeJSON, len(access.Catalog))
	for i, s := range access.Catalog {
		out[i] = ScopeJSON{Scope: s.Name, Category: s.Category, Level: s.Level.String(), Description: s.Description(), Gatehouse: s.Gatehouse}
	}
	return ok(c, http.StatusOK, "scopes", out)
}
