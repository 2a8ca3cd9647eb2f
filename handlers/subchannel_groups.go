package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/components"
	"gatehouse/views/pages/groups"
	"gatehouse/web"
)

// Subchannel groups: named sets of one channel's subchannels. Subchannels
// share their channel's access, so reading a channel's subchannel groups
// needs read on the channel and changing them manage there; a resource
// token naming one ("<channel>/group:<name>") reaches each member.

// SubGroupJSON is a subchannel group as the API shows it.
type SubGroupJSON struct {
	Name        string    `json:"name"`
	Channel     string    `json:"channel"`
	Subchannels []string  `json:"subchannels"`
	CreatedAt   time.Time `json:"created_at"`
}

func subGroupJSON(ch *models.Channel, g *models.SubGroupInfo) SubGroupJSON {
	return SubGroupJSON{Name: g.Name, Channel: ch.Name, Subchannels: g.Subchannels, CreatedAt: g.CreatedAt}
}

// subGroupTarget is how the audit names a subchannel group.
func subGroupTarget(ch *models.Channel, name string) string { return ch.Name + "/group:" + name }

func (h *Handlers) createSubGroup(c echo.Context, ch *models.Channel, name string, subs []string) (*models.SubGroupInfo, error) {
	g, err := h.Store.CreateSubchannelGroup(c.Request().Context(), ch, name, subs)
	if err != nil {
		return nil, err
	}
	h.audit(c, "subchannel-group.create", subGroupTarget(ch, g.Name), map[string]any{"new": map[string]any{"subchannels": g.Subchannels}})
	return g, nil
}

func (h *Handlers) setSubGroup(c echo.Context, ch *models.Channel, name string, subs []string) (*models.SubGroupInfo, error) {
	before, after, err := h.Store.SetSubchannelGroup(c.Request().Context(), ch, name, subs)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(before.Subchannels, after.Subchannels) {
		h.audit(c, "subchannel-group.update", subGroupTarget(ch, name), map[string]any{
			"old": map[string]any{"subchannels": before.Subchannels}, "new": map[string]any{"subchannels": after.Subchannels}})
	}
	return after, nil
}

func (h *Handlers) deleteSubGroup(c echo.Context, ch *models.Channel, name string) error {
	g, err := h.Store.DeleteSubchannelGroup(c.Request().Context(), ch, name)
	if err != nil {
		return err
	}
	h.audit(c, "subchannel-group.delete", subGroupTarget(ch, g.Name), map[string]any{"old": map[string]any{"subchannels": g.Subchannels}})
	return nil
}

// APISubGroups lists a channel's subchannel groups (read).
func (h *Handlers) APISubGroups(c echo.Context) error {
	p := placeOf(c)
	gs, err := h.Store.SubchannelGroups(c.Request().Context(), p.Ch)
	if err != nil {
		return err
	}
	out := make([]SubGroupJSON, 0, len(gs))
	for i := range gs {
		out = append(out, subGroupJSON(p.Ch, &gs[i]))
	}
	return ok(c, http.StatusOK, "subchannel_groups", out)
}

// APICreateSubGroup creates one from {"name","subchannels"} (manage).
func (h *Handlers) APICreateSubGroup(c echo.Context) error {
	p := placeOf(c)
	var in struct {
		Name        string   `json:"name"`
		Subchannels []string `json:"subchannels"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	g, err := h.createSubGroup(c, p.Ch, in.Name, in.Subchannels)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "subchannel_group", subGroupJSON(p.Ch, g))
}

// APIUpdateSubGroup replaces the members from {"subchannels"} (manage).
func (h *Handlers) APIUpdateSubGroup(c echo.Context) error {
	p := placeOf(c)
	var in struct {
		Subchannels *[]string `json:"subchannels"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Subchannels == nil {
		return web.Fail(http.StatusBadRequest, `Send {"subchannels": [...]}, the group's new members.`)
	}
	g, err := h.setSubGroup(c, p.Ch, c.Param("group"), *in.Subchannels)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "subchannel_group", subGroupJSON(p.Ch, g))
}

// APIDeleteSubGroup deletes a subchannel group (manage).
func (h *Handlers) APIDeleteSubGroup(c echo.Context) error {
	p := placeOf(c)
	if err := h.deleteSubGroup(c, p.Ch, c.Param("group")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- Dialogs on the channel page ----

func (h *Handlers) subGroupForm(c echo.Context, ch *models.Channel, edit bool, name string, checked []string) (groups.SubGroupForm, error) {
	subs, err := h.Store.Subchannels(c.Request().Context(), ch)
	if err != nil {
		return groups.SubGroupForm{}, err
	}
	m := groups.SubGroupForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Channel: ch.Name, Edit: edit, Name: name}
	for _, s := range subs {
		m.Subchannels = append(m.Subchannels, groups.Choice{Name: s.Name, Checked: slices.Contains(checked, s.Name)})
	}
	return m, nil
}

func (h *Handlers) subGroupFormFailed(c echo.Context, err error, m groups.SubGroupForm) error {
	fields, banner, err := formFault(err)
	if err != nil {
		return err
	}
	m.Errors, m.Error = fields, banner
	return h.dialog(c, http.StatusUnprocessableEntity, m.Title(), groups.SubGroupDialog(m))
}

// NewSubGroupForm opens the new subchannel group dialog (manage).
func (h *Handlers) NewSubGroupForm(c echo.Context) error {
	m, err := h.subGroupForm(c, placeOf(c).Ch, false, "", nil)
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, m.Title(), groups.SubGroupDialog(m))
}

// CreateSubGroup handles the new subchannel group dialog (manage).
func (h *Handlers) CreateSubGroup(c echo.Context) error {
	ch := placeOf(c).Ch
	name, subs := c.FormValue("name"), formValues(c, "subchannels")
	g, err := h.createSubGroup(c, ch, name, subs)
	if err != nil {
		m, merr := h.subGroupForm(c, ch, false, name, subs)
		if merr != nil {
			return merr
		}
		return h.subGroupFormFailed(c, err, m)
	}
	return h.done(c, groups.ChannelHref(ch.Name), "Subchannel group "+g.Name+" created.")
}

// subGroupAt finds the subchannel group the path names.
func (h *Handlers) subGroupAt(c echo.Context) (*models.SubGroupInfo, error) {
	return h.Store.SubchannelGroupByName(c.Request().Context(), placeOf(c).Ch, c.Param("group"))
}

// EditSubGroupForm opens the edit subchannel group dialog (manage).
func (h *Handlers) EditSubGroupForm(c echo.Context) error {
	g, err := h.subGroupAt(c)
	if err != nil {
		return err
	}
	m, err := h.subGroupForm(c, placeOf(c).Ch, true, g.Name, g.Subchannels)
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, m.Title(), groups.SubGroupDialog(m))
}

// UpdateSubGroup handles the edit subchannel group dialog (manage).
func (h *Handlers) UpdateSubGroup(c echo.Context) error {
	ch := placeOf(c).Ch
	name, subs := c.Param("group"), nonNil(formValues(c, "subchannels"))
	if _, err := h.setSubGroup(c, ch, name, subs); err != nil {
		m, merr := h.subGroupForm(c, ch, true, name, subs)
		if merr != nil {
			return merr
		}
		return h.subGroupFormFailed(c, err, m)
	}
	return h.done(c, groups.ChannelHref(ch.Name), "Subchannel group "+name+" saved.")
}

// DeleteSubGroupForm asks to confirm deleting a subchannel group (manage).
func (h *Handlers) DeleteSubGroupForm(c echo.Context) error {
	g, err := h.subGroupAt(c)
	if err != nil {
		return err
	}
	base := groups.ChannelHref(placeOf(c).Ch.Name)
	return h.dialog(c, http.StatusOK, "Delete subchannel group", components.ConfirmDialog(components.Confirm{
		ID: "delete-subgroup-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete subchannel group " + g.Name,
		Message: "This deletes the group; the subchannels stay. Tokens that reached them through the group lose that access.",
		Action:  base + "/subchannel-groups/" + url.PathEscape(g.Name) + "/delete", Button: "Delete", Back: base,
	}))
}

// DeleteSubGroup deletes a subchannel group (manage).
func (h *Handlers) DeleteSubGroup(c echo.Context) error {
	ch := placeOf(c).Ch
	if err := h.deleteSubGroup(c, ch, c.Param("group")); err != nil {
		return err
	}
	return h.done(c, groups.ChannelHref(ch.Name), "Subchannel group "+c.Param("group")+" deleted.")
}
