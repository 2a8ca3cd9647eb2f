package handlers

import (
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
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
