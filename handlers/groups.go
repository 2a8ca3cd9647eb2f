package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/components"
	"gatehouse/views/pages/groups"
	"gatehouse/web"
)

// Channel groups. Who may do what (the engine's access.GroupLevel decides
// the level on a group):
//   - list and view a group: read on it;
//   - create one: admins (as for channels);
//   - change its description, members or permissions, or delete it:
//     manage on it; adding or removing a channel also needs manage on
//     that channel, since the group's grants and tokens reach it.
//
// A token acts on groups only through the channel.group scopes, capped by
// what its owner holds now.

// groupPlace is a channel group with the actor's level on it.
type groupPlace struct {
	G     *models.GroupInfo
	Level access.Level
}

// groupAt loads a channel group and decides, through the engine and the
// route's scope, that the actor holds need there: one they cannot read is
// a 404, exactly like one that does not exist; one they read without need
// is a 403.
func (h *Handlers) groupAt(c echo.Context, name string, need access.Level) (groupPlace, error) {
	g, err := h.Store.ChannelGroupByName(c.Request().Context(), name)
	if err != nil {
		return groupPlace{}, err
	}
	lvl := access.Decide(web.ActorOf(c).Engine(), ruleOf(c).Scope, access.GroupTarget(g.Access))
	if lvl < access.Read {
		return groupPlace{}, models.ErrNotFound
	}
	if lvl < need {
		return groupPlace{}, web.Fail(http.StatusForbidden, fmt.Sprintf("You need %s access to the group %s.", need, g.Name))
	}
	return groupPlace{G: g, Level: lvl}, nil
}

// readableGroups lists the groups the actor may read, with the actor's
// level on each, token included.
func (h *Handlers) readableGroups(c echo.Context) ([]groupPlace, error) {
	a := web.ActorOf(c)
	rows, err := h.Store.ReadableGroups(c.Request().Context(), a.Subject)
	if err != nil {
		return nil, err
	}
	eng, scope := a.Engine(), ruleOf(c).Scope
	var out []groupPlace
	for i := range rows {
		if lvl := eng.Capped(scope, access.GroupTarget(rows[i].Access), rows[i].Own); lvl >= access.Read {
			out = append(out, groupPlace{G: &rows[i].GroupInfo, Level: lvl})
		}
	}
	return out, nil
}

// GroupJSON is a channel group as the API shows it.
type GroupJSON struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Channels    []string  `json:"channels"`
	Level       string    `json:"level"` // the caller's level
	CreatedAt   time.Time `json:"created_at"`
}

func groupJSON(g *models.GroupInfo, lvl access.Level) GroupJSON {
	return GroupJSON{Name: g.Name, Description: g.Description, Channels: g.ChannelNames(), Level: lvl.String(), CreatedAt: g.CreatedAt}
}

// groupState is what the audit records of a group before and after.
func groupState(g *models.GroupInfo) map[string]any {
	return map[string]any{"description": g.Description, "channels": g.ChannelNames()}
}

// memberChanges resolves the channels a change to a group names and the
// actor's level on each: a channel they cannot read is unknown (422,
// every one named). Only the channels actually added or removed need
// manage (403, every one named). Nothing is written before.
func (h *Handlers) memberChanges(c echo.Context, add, remove []string) (addIDs, removeIDs []uint, err error) {
	a, scope, ctx := web.ActorOf(c).Engine(), ruleOf(c).Scope, c.Request().Context()
	var unknown, unmanaged []string
	resolve := func(names []string) []uint {
		var out []uint
		for _, name := range names {
			ch, acl, e := h.channelACL(ctx, name)
			if e != nil && !errors.Is(e, models.ErrNotFound) {
				err = e
				return nil
			}
			lvl := access.None
			if e == nil {
				lvl = access.Decide(a, scope, access.ChannelTarget(ch.Name, "", acl))
			}
			switch {
			case lvl < access.Read:
				unknown = append(unknown, name)
			case lvl < access.Manage:
				unmanaged = append(unmanaged, name)
			default:
				out = append(out, ch.ID)
			}
		}
		return out
	}
	addIDs, removeIDs = resolve(add), resolve(remove)
	switch {
	case err != nil:
		return nil, nil, err
	case len(unknown) > 0:
		return nil, nil, models.Invalid("channels", "Unknown channel: %s.", strings.Join(unknown, ", "))
	case len(unmanaged) > 0:
		return nil, nil, web.Fail(http.StatusForbidden, fmt.Sprintf("Adding a channel to a group or removing one needs manage access to it: %s.", strings.Join(unmanaged, ", ")))
	}
	return addIDs, removeIDs, nil
}

// checkMemberList refuses a list of channel names that is too long or
// names one twice.
func checkMemberList(field string, names []string) error {
	if len(names) > models.MaxGroupMembers {
		return models.Invalid(field, "A group may list at most %d channels.", models.MaxGroupMembers)
	}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return models.Invalid(field, "Channel %s is listed twice.", n)
		}
	}
	return nil
}

// createGroup creates a group with its first members and audits it.
func (h *Handlers) createGroup(c echo.Context, name, desc string, channels []string) (*models.GroupInfo, error) {
	if _, err := models.ValidateGroupName("name", name); err != nil {
		return nil, err
	}
	if err := checkMemberList("channels", channels); err != nil {
		return nil, err
	}
	add, _, err := h.memberChanges(c, channels, nil)
	if err != nil {
		return nil, err
	}
	g, err := h.Store.CreateChannelGroup(c.Request().Context(), name, desc, add)
	if err != nil {
		return nil, err
	}
	h.audit(c, "group.create", g.Name, map[string]any{"new": groupState(g)})
	return g, nil
}

// updateGroup sets a group's description and members to the wanted ones
// (nil: unchanged) and audits the change.
func (h *Handlers) updateGroup(c echo.Context, g *models.GroupInfo, desc *string, want []string) (*models.GroupInfo, error) {
	var add, remove []string
	if want != nil {
		if err := checkMemberList("channels", want); err != nil {
			return nil, err
		}
		have := g.ChannelNames()
		for _, n := range want {
			if !slices.Contains(have, n) {
				add = append(add, n)
			}
		}
		for _, n := range have {
			if !slices.Contains(want, n) {
				remove = append(remove, n)
			}
		}
	}
	addIDs, removeIDs, err := h.memberChanges(c, add, remove)
	if err != nil {
		return nil, err
	}
	after, err := h.Store.UpdateChannelGroup(c.Request().Context(), g, models.GroupUpdate{Description: desc, Add: addIDs, Remove: removeIDs})
	if err != nil {
		return nil, err
	}
	if after.Description != g.Description || !slices.Equal(after.ChannelNames(), g.ChannelNames()) {
		h.audit(c, "group.update", g.Name, map[string]any{"old": groupState(g), "new": groupState(after)})
	}
	return after, nil
}

// deleteGroup deletes a group with its grants and audits what went.
func (h *Handlers) deleteGroup(c echo.Context, g *models.GroupInfo) error {
	if err := h.Store.DeleteChannelGroup(c.Request().Context(), g.ID); err != nil {
		return err
	}
	old := groupState(g)
	old["permissions"] = permissionsJSON(g.Grants)
	h.audit(c, "group.delete", g.Name, map[string]any{"old": old})
	return nil
}

// patchGroupPermissions applies a permissions PATCH to a group and audits it.
func (h *Handlers) patchGroupPermissions(c echo.Context, g *models.GroupInfo, patch map[string]access.GrantsPatch) (models.LevelGrants, error) {
	before, after, err := h.Store.ApplyGrantsPatch(c.Request().Context(), models.ResourceGroup, g.ID, patch)
	if err != nil {
		return nil, err
	}
	old, new := permissionsJSON(before), permissionsJSON(after)
	if !sameGrants(old, new) {
		h.audit(c, "group.permissions", g.Name, map[string]any{"old": old, "new": new})
	}
	return after, nil
}

// ---- JSON API ----

// APIGroups lists the channel groups the caller can read.
func (h *Handlers) APIGroups(c echo.Context) error {
	gs, err := h.readableGroups(c)
	if err != nil {
		return err
	}
	out := make([]GroupJSON, 0, len(gs))
	for _, g := range gs {
		out = append(out, groupJSON(g.G, g.Level))
	}
	return ok(c, http.StatusOK, "groups", out)
}

// APICreateGroup creates a group from {"name","description","channels"} (admins).
func (h *Handlers) APICreateGroup(c echo.Context) error {
	var in struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Channels    []string `json:"channels"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	g, err := h.createGroup(c, in.Name, in.Description, in.Channels)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "group", groupJSON(g, access.Manage))
}

// APIGroup shows one group (read).
func (h *Handlers) APIGroup(c echo.Context) error {
	g := groupOf(c)
	return ok(c, http.StatusOK, "group", groupJSON(g.G, g.Level))
}

// APIUpdateGroup changes {"description"} and the members: "channels"
// replaces them, or "add" and "remove" name channels to add and remove
// (manage on the group, and on each channel added or removed).
func (h *Handlers) APIUpdateGroup(c echo.Context) error {
	g := groupOf(c)
	var in struct {
		Description *string   `json:"description"`
		Channels    *[]string `json:"channels"`
		Add         []string  `json:"add"`
		Remove      []string  `json:"remove"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	var want []string
	switch {
	case in.Channels != nil && (in.Add != nil || in.Remove != nil):
		return web.Fail(http.StatusBadRequest, "Send channels (the new members), or add and remove, not both.")
	case in.Channels != nil:
		want = *in.Channels
		if want == nil {
			want = []string{}
		}
	case in.Add != nil || in.Remove != nil:
		for _, n := range in.Add {
			if slices.Contains(in.Remove, n) {
				return models.Invalid("channels", "Channel %s is both added and removed.", n)
			}
		}
		if err := checkMemberList("add", in.Add); err != nil {
			return err
		}
		if err := checkMemberList("remove", in.Remove); err != nil {
			return err
		}
		// Channels named in remove that are no members are checked all the same.
		if _, _, err := h.memberChanges(c, nil, notIn(in.Remove, g.G.ChannelNames())); err != nil {
			return err
		}
		want = append(notIn(g.G.ChannelNames(), in.Remove), notIn(in.Add, g.G.ChannelNames())...)
	}
	after, err := h.updateGroup(c, g.G, in.Description, want)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "group", groupJSON(after, g.Level))
}

// notIn is a without the names in b, in order.
func notIn(a, b []string) []string {
	out := []string{}
	for _, n := range a {
		if !slices.Contains(b, n) {
			out = append(out, n)
		}
	}
	return out
}

// APIDeleteGroup deletes a group and its grants (manage).
func (h *Handlers) APIDeleteGroup(c echo.Context) error {
	if err := h.deleteGroup(c, groupOf(c).G); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// APIGroupPermissions shows who holds each level on a group (read).
func (h *Handlers) APIGroupPermissions(c echo.Context) error {
	return ok(c, http.StatusOK, "permissions", permissionsJSON(groupOf(c).G.Grants))
}

// APIPatchGroupPermissions applies a permissions PATCH to a group (manage).
func (h *Handlers) APIPatchGroupPermissions(c echo.Context) error {
	patch, err := decodeGrantsPatch(c, channelLevelKeys, nil)
	if err != nil {
		return err
	}
	after, err := h.patchGroupPermissions(c, groupOf(c).G, patch)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "permissions", permissionsJSON(after))
}

// ---- Pages and dialogs ----

// GroupsPage lists the channel groups the viewer can read.
func (h *Handlers) GroupsPage(c echo.Context) error {
	gs, err := h.readableGroups(c)
	if err != nil {
		return err
	}
	m := groups.ListPage{CanCreate: web.ActorOf(c).IsAdmin()}
	for _, g := range gs {
		m.Groups = append(m.Groups, groups.Row{Name: g.G.Name, Description: g.G.Description, Channels: g.G.ChannelNames(), Level: g.Level.Title()})
	}
	return h.page(c, http.StatusOK, "Groups", groups.List(m))
}

// GroupPage shows one group (read).
func (h *Handlers) GroupPage(c echo.Context) error {
	g := groupOf(c)
	m := groups.GroupPage{Name: g.G.Name, Description: g.G.Description, Level: g.Level.Title(), Channels: g.G.ChannelNames(), CanManage: g.Level >= access.Manage}
	return h.page(c, http.StatusOK, "Group "+g.G.Name, groups.Page(m))
}

// channelChoicesFor lists the checkboxes of a group's channels: every
// channel the viewer manages, and the members (fixed when the viewer may
// not remove them), checked as in checked.
func (h *Handlers) channelChoicesFor(c echo.Context, members, checked []string) ([]groups.Choice, error) {
	chs, levels, err := h.readable(c)
	if err != nil {
		return nil, err
	}
	var out []groups.Choice
	for i, ch := range chs {
		manages := levels[i] >= access.Manage
		if manages || slices.Contains(members, ch.Name) {
			out = append(out, groups.Choice{Name: ch.Name, Checked: slices.Contains(checked, ch.Name), Disabled: !manages})
		}
	}
	return out, nil
}

func (h *Handlers) groupForm(c echo.Context, g *models.GroupInfo, name, desc string, checked []string) (groups.GroupForm, error) {
	var members []string
	if g != nil {
		members = g.ChannelNames()
	}
	chans, err := h.channelChoicesFor(c, members, checked)
	if err != nil {
		return groups.GroupForm{}, err
	}
	return groups.GroupForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Edit: g != nil, Name: name, Description: desc, Channels: chans}, nil
}

// groupFormFailed shows the dialog again with what was wrong.
func (h *Handlers) groupFormFailed(c echo.Context, err error, m groups.GroupForm) error {
	fields, banner, err := formFault(err)
	if err != nil {
		return err
	}
	m.Errors, m.Error = fields, banner
	return h.dialog(c, http.StatusUnprocessableEntity, m.Title(), groups.GroupDialog(m))
}

// NewGroupForm opens the new group dialog (admins).
func (h *Handlers) NewGroupForm(c echo.Context) error {
	m, err := h.groupForm(c, nil, "", "", nil)
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, m.Title(), groups.GroupDialog(m))
}

// CreateGroup handles the new group dialog (admins).
func (h *Handlers) CreateGroup(c echo.Context) error {
	name, desc, chans := c.FormValue("name"), c.FormValue("description"), formValues(c, "channels")
	g, err := h.createGroup(c, name, desc, chans)
	if err != nil {
		m, merr := h.groupForm(c, nil, name, desc, chans)
		if merr != nil {
			return merr
		}
		return h.groupFormFailed(c, err, m)
	}
	return h.done(c, groups.Href(g.Name), "Group "+g.Name+" created.")
}

// EditGroupForm opens the edit group dialog (manage).
func (h *Handlers) EditGroupForm(c echo.Context) error {
	g := groupOf(c).G
	m, err := h.groupForm(c, g, g.Name, g.Description, g.ChannelNames())
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, m.Title(), groups.GroupDialog(m))
}

// UpdateGroup handles the edit group dialog (manage).
func (h *Handlers) UpdateGroup(c echo.Context) error {
	g := groupOf(c).G
	desc, chans := c.FormValue("description"), nonNil(formValues(c, "channels"))
	if _, err := h.updateGroup(c, g, &desc, chans); err != nil {
		m, merr := h.groupForm(c, g, g.Name, desc, chans)
		if merr != nil {
			return merr
		}
		return h.groupFormFailed(c, err, m)
	}
	return h.done(c, groups.Href(g.Name), "Group "+g.Name+" saved.")
}

// GroupPermissionsForm opens the permissions picker: editable for
// managers, read-only for everyone else who can read the group.
func (h *Handlers) GroupPermissionsForm(c echo.Context) error {
	props, err := h.groupPicker(c, groupOf(c), "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Permissions", components.Picker(props))
}

// SetGroupPermissions handles the picker's Done (manage).
func (h *Handlers) SetGroupPermissions(c echo.Context) error {
	g := groupOf(c)
	patch, err := pickerPatch(c, channelLevelKeys)
	if err != nil {
		return err
	}
	if _, err := h.patchGroupPermissions(c, g.G, patch); err != nil {
		return h.pickerFailed(c, err, func(banner string) (components.PickerProps, error) { return h.groupPicker(c, g, banner) })
	}
	return h.done(c, groups.Href(g.G.Name), "Permissions of group "+g.G.Name+" saved.")
}

func (h *Handlers) groupPicker(c echo.Context, g groupPlace, problem string) (components.PickerProps, error) {
	base := groups.Href(g.G.Name)
	props := components.PickerProps{
		ID: "permissions-dialog", Title: "Permissions of group " + g.G.Name, Action: base + "/permissions",
		CSRF: web.CSRFToken(c), Inline: !web.IsHTMX(c), Back: base, ReadOnly: g.Level < access.Manage, Error: problem,
		Note: "These permissions apply to every channel in the group.",
	}
	for _, l := range access.Levels {
		props.Levels = append(props.Levels, components.PickerLevel{Key: l.String(), Label: l.Title(), Current: g.G.Grants[l.String()]})
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

// DeleteGroupForm asks to confirm deleting a group (manage).
func (h *Handlers) DeleteGroupForm(c echo.Context) error {
	g := groupOf(c).G
	base := groups.Href(g.Name)
	return h.dialog(c, http.StatusOK, "Delete group", components.ConfirmDialog(components.Confirm{
		ID: "delete-group-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete group " + g.Name,
		Message: "This deletes the group and its permissions; the channels stay. People and tokens that reached them through the group lose that access.",
		Action:  base + "/delete", Button: "Delete", Back: base,
	}))
}

// DeleteGroup deletes a group (manage).
func (h *Handlers) DeleteGroup(c echo.Context) error {
	g := groupOf(c).G
	if err := h.deleteGroup(c, g); err != nil {
		return err
	}
	return h.done(c, "/groups", "Group "+g.Name+" deleted.")
}
