package handlers

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/components"
	"gatehouse/views/pages/channels"
	"gatehouse/views/pages/groups"
	"gatehouse/web"
)

// ChannelJSON is a channel as the API shows it.
type ChannelJSON struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Privacy     string    `json:"privacy"`
	Level       string    `json:"level"` // the caller's level
	Subchannels []string  `json:"subchannels"`
	CreatedAt   time.Time `json:"created_at"`
}

func (h *Handlers) channelJSON(c echo.Context, ch *models.Channel, lvl access.Level) (ChannelJSON, error) {
	subs, err := h.Store.Subchannels(c.Request().Context(), ch)
	if err != nil {
		return ChannelJSON{}, err
	}
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.Name
	}
	return ChannelJSON{Name: ch.Name, Description: ch.Description, Privacy: ch.Privacy(), Level: lvl.String(), Subchannels: names, CreatedAt: ch.CreatedAt}, nil
}

// parsePrivacy reads "private" (also the default when empty) or "public".
func parsePrivacy(s string) (bool, error) {
	switch s {
	case "", "private":
		return false, nil
	case "public":
		return true, nil
	}
	return false, models.Invalid("privacy", "Privacy must be \"private\" or \"public\".")
}

// APIChannels lists the channels the caller can read.
func (h *Handlers) APIChannels(c echo.Context) error {
	chs, levels, err := h.readable(c)
	if err != nil {
		return err
	}
	out := make([]ChannelJSON, 0, len(chs))
	for i := range chs {
		j, err := h.channelJSON(c, &chs[i], levels[i])
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	return ok(c, http.StatusOK, "channels", out)
}

// APICreateChannel creates a channel from {"name","description","privacy"} (admins).
func (h *Handlers) APICreateChannel(c echo.Context) error {
	var in struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Privacy     string `json:"privacy"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ch, err := h.createChannel(c, in.Name, in.Description, in.Privacy)
	if err != nil {
		return err
	}
	j, err := h.channelJSON(c, ch, access.Manage)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "channel", j)
}

func (h *Handlers) createChannel(c echo.Context, name, desc, privacy string) (*models.Channel, error) {
	public, err := parsePrivacy(privacy)
	if err != nil {
		return nil, err
	}
	ch, err := h.Store.CreateChannel(c.Request().Context(), models.NewChannel{Name: name, Description: desc, Public: public})
	if err != nil {
		return nil, err
	}
	h.audit(c, "channel.create", ch.Name, map[string]any{"new": map[string]any{"description": ch.Description, "privacy": ch.Privacy()}})
	return ch, nil
}

// APIChannel shows one channel.
func (h *Handlers) APIChannel(c echo.Context) error {
	p := placeOf(c)
	j, err := h.channelJSON(c, p.Ch, p.Level)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "channel", j)
}

// APIUpdateChannel changes {"description","privacy"} (manage).
func (h *Handlers) APIUpdateChannel(c echo.Context) error {
	p := placeOf(c)
	var in struct {
		Description *string `json:"description"`
		Privacy     *string `json:"privacy"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	after, err := h.updateChannel(c, p.Ch, in.Description, in.Privacy)
	if err != nil {
		return err
	}
	j, err := h.channelJSON(c, after, p.Level)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "channel", j)
}

func (h *Handlers) updateChannel(c echo.Context, ch *models.Channel, desc, privacy *string) (*models.Channel, error) {
	up := models.ChannelUpdate{Description: desc}
	if privacy != nil {
		public, err := parsePrivacy(*privacy)
		if err != nil {
			return nil, err
		}
		up.Public = &public
	}
	before, after, err := h.Store.UpdateChannel(c.Request().Context(), ch.ID, up)
	if err != nil {
		return nil, err
	}
	if before.Description != after.Description || before.Public != after.Public {
		h.audit(c, "channel.update", ch.Name, map[string]any{
			"old": map[string]any{"description": before.Description, "privacy": before.Privacy()},
			"new": map[string]any{"description": after.Description, "privacy": after.Privacy()},
		})
	}
	return after, nil
}

// APIDeleteChannel deletes a channel with everything in it (manage).
func (h *Handlers) APIDeleteChannel(c echo.Context) error {
	p := placeOf(c)
	if err := h.deleteChannel(c, p.Ch); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) deleteChannel(c echo.Context, ch *models.Channel) error {
	ctx := c.Request().Context()
	grants, err := h.Store.GrantsFor(ctx, models.ResourceChannel, []uint{ch.ID})
	if err != nil {
		return err
	}
	acl, err := h.Store.ChannelACL(ctx, ch)
	if err != nil {
		return err
	}
	subGroups, err := h.Store.SubchannelGroupNamesOf(ctx, []models.Channel{*ch})
	if err != nil {
		return err
	}
	deleted, shas, err := h.Store.DeleteChannel(ctx, ch.ID)
	if err != nil {
		return err
	}
	h.collectBlobs(c, shas)
	h.Repodata.Forget(ch.ID)
	h.audit(c, "channel.delete", deleted.Name, map[string]any{
		"old": map[string]any{"description": deleted.Description, "privacy": deleted.Privacy(), "files": len(shas), "permissions": permissionsJSON(grants[ch.ID]),
			"groups": nonNil(acl.GroupNames()), "subchannel_groups": nonNil(subGroups[ch.ID])},
	})
	return nil
}

// APICreateSubchannel adds a subchannel from {"name"} (manage).
func (h *Handlers) APICreateSubchannel(c echo.Context) error {
	p := placeOf(c)
	var in struct {
		Name string `json:"name"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	sub, err := h.createSubchannel(c, p.Ch, in.Name)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "subchannel", map[string]any{"name": sub.Name, "channel": p.Ch.Name, "created_at": sub.CreatedAt})
}

func (h *Handlers) createSubchannel(c echo.Context, ch *models.Channel, name string) (*models.Subchannel, error) {
	sub, err := h.Store.CreateSubchannel(c.Request().Context(), ch, name)
	if err != nil {
		return nil, err
	}
	h.audit(c, "subchannel.create", ch.Name+"/"+sub.Name, map[string]any{"new": map[string]any{"name": sub.Name}})
	return sub, nil
}

// SubchannelJSON is a subchannel as the API shows it.
type SubchannelJSON struct {
	Channel     string    `json:"channel"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}

func subchannelJSON(ch *models.Channel, s *models.Subchannel) SubchannelJSON {
	return SubchannelJSON{Channel: ch.Name, Name: s.Name, Description: s.Description, CreatedAt: s.CreatedAt}
}

// APISubchannels lists a channel's subchannels.
func (h *Handlers) APISubchannels(c echo.Context) error {
	p := placeOf(c)
	subs, err := h.Store.Subchannels(c.Request().Context(), p.Ch)
	if err != nil {
		return err
	}
	out := make([]SubchannelJSON, len(subs))
	for i := range subs {
		out[i] = subchannelJSON(p.Ch, &subs[i])
	}
	return ok(c, http.StatusOK, "subchannels", out)
}

// APISubchannel shows one subchannel.
func (h *Handlers) APISubchannel(c echo.Context) error {
	p := placeOf(c)
	return ok(c, http.StatusOK, "subchannel", subchannelJSON(p.Ch, p.Sub))
}

// APIUpdateSubchannel changes {"description"} of a subchannel (manage).
func (h *Handlers) APIUpdateSubchannel(c echo.Context) error {
	p := placeOf(c)
	var in struct {
		Description *string `json:"description"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Description == nil {
		return models.Invalid("description", "Send the new \"description\".")
	}
	before, after, err := h.Store.UpdateSubchannel(c.Request().Context(), p.Ch, p.Sub.Name, *in.Description)
	if err != nil {
		return err
	}
	if before.Description != after.Description {
		h.audit(c, "subchannel.update", p.Path(), map[string]any{"old": map[string]any{"description": before.Description}, "new": map[string]any{"description": after.Description}})
	}
	return ok(c, http.StatusOK, "subchannel", subchannelJSON(p.Ch, after))
}

// APIDeleteSubchannel removes a subchannel and its artifacts (manage).
func (h *Handlers) APIDeleteSubchannel(c echo.Context) error {
	p := placeOf(c)
	if err := h.deleteSubchannel(c, p); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) deleteSubchannel(c echo.Context, p place) error {
	sub, shas, err := h.Store.DeleteSubchannel(c.Request().Context(), p.Ch, p.SubName())
	if err != nil {
		return err
	}
	h.collectBlobs(c, shas)
	h.audit(c, "subchannel.delete", p.Ch.Name+"/"+sub.Name, map[string]any{"old": map[string]any{"name": sub.Name, "files": len(shas)}})
	return nil
}

// collectBlobs removes blobs no artifact refers to any more. A failure only
// leaves an orphan file behind, so it is logged, not returned.
func (h *Handlers) collectBlobs(c echo.Context, shas []string) {
	// The rows are gone already: finish even if the client went away.
	ctx := context.WithoutCancel(c.Request().Context())
	for _, sha := range shas {
		_, err := h.Store.CollectBlob(ctx, sha, func() error { return h.Blobs.Remove(ctx, sha) })
		if err != nil {
			h.Log.Error("blobs: unable to collect", "sha256", sha, "err", err)
		}
	}
}

// ---- Pages and dialogs ----

// Channels shows the channel list, searchable, filtered by privacy and
// sortable.
func (h *Handlers) Channels(c echo.Context) error {
	q := c.QueryParams()
	search, privacy := strings.TrimSpace(q.Get("q")), q.Get("privacy")
	sort, desc, err := listQuery(q, channelColumns)
	if err != nil {
		return err
	}
	if !web.Storable(search) || !slices.Contains([]string{"", "private", "public"}, privacy) {
		return web.Fail(http.StatusBadRequest, "privacy must be private or public, and the search text.")
	}
	chs, levels, err := h.readable(c)
	if err != nil {
		return err
	}
	m := channels.ListPage{CanCreate: web.ActorOf(c).IsAdmin(), Total: len(chs), Q: search, Privacy: privacy, Sort: sort, Desc: desc}
	lq := strings.ToLower(search)
	for i, ch := range chs {
		if lq != "" && !contains(lq, ch.Name, ch.Description) || privacy != "" && ch.Privacy() != privacy {
			continue
		}
		m.Channels = append(m.Channels, channels.ChannelRow{Name: ch.Name, Description: ch.Description, Public: ch.Public, Level: levels[i].Title(), Rank: int(levels[i])})
	}
	by := map[string]func(a, b channels.ChannelRow) int{
		"name":    func(a, b channels.ChannelRow) int { return strings.Compare(a.Name, b.Name) },
		"privacy": func(a, b channels.ChannelRow) int { return cmp.Compare(boolRank(a.Public), boolRank(b.Public)) },
		"access":  func(a, b channels.ChannelRow) int { return cmp.Compare(a.Rank, b.Rank) },
	}
	order := by[cmp.Or(sort, "name")]
	slices.SortStableFunc(m.Channels, func(a, b channels.ChannelRow) int {
		if desc {
			a, b = b, a
		}
		return cmp.Or(order(a, b), strings.Compare(a.Name, b.Name))
	})
	vals := url.Values{}
	for k, v := range map[string]string{"q": search, "privacy": privacy} {
		if v != "" {
			vals.Set(k, v)
		}
	}
	m.Headers = sortHeaders("/channels", vals, sort, desc, channelColumns)
	return h.page(c, http.StatusOK, "Channels", channels.List(m))
}

// channelColumns are the channel list's sortable columns.
var channelColumns = []column{{"name", "Channel"}, {"privacy", "Privacy"}, {"access", "Your access"}}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Channel shows a channel (or, with ?sub=, a subchannel) and its artifacts.
func (h *Handlers) Channel(c echo.Context) error {
	p, err := h.channelAt(c, c.Param("name"), c.QueryParam("sub"), access.Read)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	subs, err := h.Store.Subchannels(ctx, p.Ch)
	if err != nil {
		return err
	}
	arts, err := h.Store.Artifacts(ctx, p.Ch.ID, models.ArtifactFilter{SubchannelID: p.SubID()})
	if err != nil {
		return err
	}
	m := channels.ChannelPage{
		Name: p.Ch.Name, Description: p.Ch.Description, Public: p.Ch.Public, Level: p.Level.Title(), Sub: p.SubName(),
		CanWrite: p.Level >= access.Write, CanManage: p.Level >= access.Manage,
		CondaURL: h.baseURL(c) + "/api/repo/" + p.Path(),
	}
	for _, s := range subs {
		m.Subchannels = append(m.Subchannels, s.Name)
	}
	acl, err := h.Store.ChannelACL(ctx, p.Ch)
	if err != nil {
		return err
	}
	// The groups it is in, those the viewer may read (a group's name is
	// no one else's business).
	if in := acl.GroupNames(); len(in) > 0 {
		readable, err := h.readableGroups(c)
		if err != nil {
			return err
		}
		for _, g := range readable {
			if slices.Contains(in, g.G.Name) {
				m.Groups = append(m.Groups, g.G.Name)
			}
		}
	}
	subGroups, err := h.Store.SubchannelGroups(ctx, p.Ch)
	if err != nil {
		return err
	}
	for _, g := range subGroups {
		m.SubGroups = append(m.SubGroups, groups.SubGroup{Name: g.Name, Subchannels: g.Subchannels})
	}
	pol, err := h.cvesFor(c)
	if err != nil {
		return err
	}
	m.ShowCVEs = pol != nil
	defaults, err := h.visibleDefaults(c)
	if err != nil {
		return err
	}
	m.Condarc = condarc(defaults, h.channelAlias(c, ""), p.Path())
	for _, a := range arts {
		row := channels.ArtifactRow{
			Filename: a.Filename, Name: a.Name, Version: a.Version, Build: a.Build, Subdir: a.Subdir, Size: a.Size,
			SHA256: a.SHA256, Uploaded: when(a.CreatedAt, h.Store.Now(), "2006-01-02 15:04"), DownloadURL: "/api/repo/" + p.Path() + "/" + a.Subdir + "/" + url.PathEscape(a.Filename),
		}
		for _, v := range pol.Vulnerabilities(a.Name, a.Version) {
			row.CVEs = append(row.CVEs, channels.CVE{ID: v.ID, Severity: v.Severity.String()})
		}
		m.Artifacts = append(m.Artifacts, row)
	}
	return h.page(c, http.StatusOK, p.Path(), channels.Page(m))
}

// NewChannelForm opens the create channel dialog (admins).
func (h *Handlers) NewChannelForm(c echo.Context) error {
	return h.dialog(c, http.StatusOK, "New channel", channels.ChannelDialog(channels.ChannelForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c)}))
}

// CreateChannel handles the create channel dialog (admins).
func (h *Handlers) CreateChannel(c echo.Context) error {
	name, desc, privacy := c.FormValue("name"), c.FormValue("description"), c.FormValue("privacy")
	ch, err := h.createChannel(c, name, desc, privacy)
	if err != nil {
		m := channels.ChannelForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Name: name, Description: desc, Public: privacy == "public"}
		return h.channelFormFailed(c, err, m)
	}
	return h.done(c, "/channels/"+url.PathEscape(ch.Name), "Channel "+ch.Name+" created.")
}

func (h *Handlers) channelFormFailed(c echo.Context, err error, m channels.ChannelForm) error {
	fields, banner, err := formFault(err)
	if err != nil {
		return err
	}
	m.Errors, m.Error = fields, banner
	return h.dialog(c, http.StatusUnprocessableEntity, "Channel", channels.ChannelDialog(m))
}

// EditChannelForm opens the edit channel dialog (manage).
func (h *Handlers) EditChannelForm(c echo.Context) error {
	p := placeOf(c)
	m := channels.ChannelForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Edit: true, Name: p.Ch.Name, Description: p.Ch.Description, Public: p.Ch.Public}
	return h.dialog(c, http.StatusOK, "Edit channel", channels.ChannelDialog(m))
}

// UpdateChannel handles the edit channel dialog (manage).
func (h *Handlers) UpdateChannel(c echo.Context) error {
	p := placeOf(c)
	desc, privacy := c.FormValue("description"), c.FormValue("privacy")
	if _, err := h.updateChannel(c, p.Ch, &desc, &privacy); err != nil {
		m := channels.ChannelForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Edit: true, Name: p.Ch.Name, Description: desc, Public: privacy == "public"}
		return h.channelFormFailed(c, err, m)
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name), "Channel "+p.Ch.Name+" saved.")
}

// DeleteChannelForm asks to confirm deleting a channel (manage).
func (h *Handlers) DeleteChannelForm(c echo.Context) error {
	p := placeOf(c)
	base := "/channels/" + url.PathEscape(p.Ch.Name)
	return h.dialog(c, http.StatusOK, "Delete channel", components.ConfirmDialog(components.Confirm{
		ID: "delete-channel-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete " + p.Ch.Name,
		Message: "This deletes the channel, its subchannels and every package in them. Conda clients using it will stop working.",
		Action:  base + "/delete", Button: "Delete", Back: base,
	}))
}

// DeleteChannel deletes a channel (manage).
func (h *Handlers) DeleteChannel(c echo.Context) error {
	p := placeOf(c)
	if err := h.deleteChannel(c, p.Ch); err != nil {
		return err
	}
	return h.done(c, "/channels", "Channel "+p.Ch.Name+" deleted.")
}

// NewSubchannelForm opens the new subchannel dialog (manage).
func (h *Handlers) NewSubchannelForm(c echo.Context) error {
	p := placeOf(c)
	return h.dialog(c, http.StatusOK, "New subchannel", channels.SubchannelDialog(channels.SubchannelForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Channel: p.Ch.Name}))
}

// CreateSubchannel handles the new subchannel dialog (manage).
func (h *Handlers) CreateSubchannel(c echo.Context) error {
	p := placeOf(c)
	name := c.FormValue("name")
	sub, err := h.createSubchannel(c, p.Ch, name)
	if err != nil {
		fields, banner, err := formFault(err)
		if err != nil {
			return err
		}
		m := channels.SubchannelForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Channel: p.Ch.Name, Name: name, Errors: fields, Error: banner}
		return h.dialog(c, http.StatusUnprocessableEntity, "New subchannel", channels.SubchannelDialog(m))
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name)+"?sub="+url.QueryEscape(sub.Name), "Subchannel "+p.Ch.Name+"/"+sub.Name+" created.")
}

// DeleteSubchannelForm asks to confirm deleting a subchannel (manage).
func (h *Handlers) DeleteSubchannelForm(c echo.Context) error {
	p := placeOf(c)
	base := "/channels/" + url.PathEscape(p.Ch.Name)
	return h.dialog(c, http.StatusOK, "Delete subchannel", components.ConfirmDialog(components.Confirm{
		ID: "delete-subchannel-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete " + p.Path(),
		Message: "This deletes the subchannel and every package in it.",
		Action:  base + "/subchannels/" + url.PathEscape(p.SubName()) + "/delete", Button: "Delete", Back: base,
	}))
}

// DeleteSubchannel deletes a subchannel (manage).
func (h *Handlers) DeleteSubchannel(c echo.Context) error {
	p := placeOf(c)
	if err := h.deleteSubchannel(c, p); err != nil {
		return err
	}
	return h.done(c, "/channels/"+url.PathEscape(p.Ch.Name), "Subchannel "+p.Path()+" deleted.")
}
