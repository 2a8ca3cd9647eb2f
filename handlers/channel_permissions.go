package handlers

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/components"
	"gatehouse/web"
)

// channelLevelKeys are the levels a channel grants, weakest first.
var channelLevelKeys = access.LevelNames()

// permissionsJSON shows every level with empty lists as [].
func permissionsJSON(g models.LevelGrants) map[string]access.Grants {
	out := make(map[string]access.Grants, len(channelLevelKeys))
	for _, l := range channelLevelKeys {
		out[l] = models.Normalized(g[l])
	}
	return out
}

// APIChannelPermissions shows who holds each level (read access needed).
func (h *Handlers) APIChannelPermissions(c echo.Context) error {
	p := placeOf(c)
	g, err := h.Store.GrantsFor(c.Request().Context(), models.ResourceChannel, []uint{p.Ch.ID})
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "permissions", permissionsJSON(g[p.Ch.ID]))
}

// APIPatchChannelPermissions applies a PATCH: each level present replaces
// the lists it names (manage access needed).
func (h *Handlers) APIPatchChannelPermissions(c echo.Context) error {
	p := placeOf(c)
	patch, err := decodeGrantsPatch(c, channelLevelKeys, nil)
	if err != nil {
		return err
	}
	after, err := h.patchChannelPermissions(c, p.Ch, patch)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "permissions", permissionsJSON(after))
}

func (h *Handlers) patchChannelPermissions(c echo.Context, ch *models.Channel, patch map[string]access.GrantsPatch) (models.LevelGrants, error) {
	before, after, err := h.Store.ApplyGrantsPatch(c.Request().Context(), models.ResourceChannel, ch.ID, patch)
	if err != nil {
		return nil, err
	}
	old, new := permissionsJSON(before), permissionsJSON(after)
	if !sameGrants(old, new) {
		h.audit(c, "channel.permissions", ch.Name, map[string]any{"old": old, "new": new})
	}
	return after, nil
}

func sameGrants(a, b map[string]access.Grants) bool {
	for k := range a {
		if !slices.Equal(a[k].Roles, b[k].Roles) || !slices.Equal(a[k].Users, b[k].Users) || !slices.Equal(a[k].Teams, b[k].Teams) {
			return false
		}
	}
	return true
}

// ChannelPermissionsForm opens the permissions picker: editable for
// managers, read-only for everyone else who can read the channel.
func (h *Handlers) ChannelPermissionsForm(c echo.Context) error {
	p := placeOf(c)
	props, err := h.channelPicker(c, p, "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Permissions", components.Picker(props))
}

// SetChannelPermissions handles the picker's Done (manage).
func (h *Handlers) SetChannelPermissions(c echo.Context) error {
	p := placeOf(c)
	patch, err := pickerPatch(c, channelLevelKeys)
	if err != nil {
		return err
	}
	if _, err := h.patchChannelPermissions(c, p.Ch, patch); err != nil {
		return h.pickerFailed(c, err, func(banner string) (components.PickerProps, error) { return h.channelPicker(c, p, banner) })
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name), "Permissions of "+p.Ch.Name+" saved.")
}

// pickerFailed shows the picker again with what was wrong with the names
// picked; any other fault goes to the error handler.
func (h *Handlers) pickerFailed(c echo.Context, err error, picker func(banner string) (components.PickerProps, error)) error {
	_, banner, ferr := formFault(err)
	if ferr != nil {
		return ferr
	}
	if banner == "" {
		banner = err.Error() // a fault in the names picked: the picker has one place for it
	}
	props, err := picker(banner)
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusUnprocessableEntity, "Permissions", components.Picker(props))
}

func (h *Handlers) channelPicker(c echo.Context, p place, problem string) (components.PickerProps, error) {
	ctx := c.Request().Context()
	g, err := h.Store.GrantsFor(ctx, models.ResourceChannel, []uint{p.Ch.ID})
	if err != nil {
		return components.PickerProps{}, err
	}
	base := "/channels/" + url.PathEscape(p.Ch.Name)
	props := components.PickerProps{
		ID: "permissions-dialog", Title: "Permissions of " + p.Ch.Name, Action: base + "/permissions",
		CSRF: web.CSRFToken(c), Inline: !web.IsHTMX(c), Back: base, ReadOnly: p.Level < access.Manage, Error: problem,
	}
	for _, l := range access.Levels {
		props.Levels = append(props.Levels, components.PickerLevel{Key: l.String(), Label: l.Title(), Current: g[p.Ch.ID][l.String()]})
	}
	if p.Level >= access.Manage {
		props.AccessHref = base + "/access"
	}
	if props.ReadOnly {
		return props, nil
	}
	opts, err := h.pickerOptions(c)
	if err != nil {
		return components.PickerProps{}, err
	}
	props.Options = opts
	return props, nil
}

// pickerOptions lists every role, user and team one could grant to.
func (h *Handlers) pickerOptions(c echo.Context) (components.PickerOptions, error) {
	ctx := c.Request().Context()
	var o components.PickerOptions
	roles, err := h.Store.Roles(ctx)
	if err != nil {
		return o, err
	}
	for _, r := range roles {
		o.Roles = append(o.Roles, r.Name)
	}
	users, err := h.Store.Users(ctx)
	if err != nil {
		return o, err
	}
	for _, u := range users {
		if !u.Disabled {
			o.Users = append(o.Users, u.Email)
		}
	}
	teams, err := h.Store.Teams(ctx)
	if err != nil {
		return o, err
	}
	for _, t := range teams {
		o.Teams = append(o.Teams, t.Name)
	}
	return o, nil
}
