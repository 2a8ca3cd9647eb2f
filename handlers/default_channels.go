package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/pages/channels"
	"gatehouse/web"
)

// DefaultChannelsJSON is the install's default channels as the caller may
// see them, with the .condarc that sets them.
type DefaultChannelsJSON struct {
	Channels     []string `json:"default_channels"`
	ChannelAlias string   `json:"channel_alias"`
	Condarc      string   `json:"condarc"`
}

// channelAlias is conda's channel_alias for this install: a channel's
// short name resolves to <alias>/<name>, Gatehouse's conda route.
func (h *Handlers) channelAlias(c echo.Context, token string) string {
	if token != "" {
		return h.baseURL(c) + "/t/" + token + "/api/repo"
	}
	return h.baseURL(c) + "/api/repo"
}

// condarc is a ready .condarc for the default channels and alias; extra
// channels (short names under the alias) come before the defaults.
func condarc(names []string, alias string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "channel_alias: %s\n", alias)
	if len(names) == 0 {
		b.WriteString("default_channels: []\n")
	} else {
		b.WriteString("default_channels:\n")
		for _, n := range names {
			fmt.Fprintf(&b, "  - %s/%s\n", alias, n)
		}
	}
	b.WriteString("channels:\n")
	for _, e := range extra {
		fmt.Fprintf(&b, "  - %s\n", e)
	}
	b.WriteString("  - defaults\n")
	return b.String()
}

// visibleDefaults are the default channels the actor may read, in order:
// no one learns from them the name of a channel they cannot read.
func (h *Handlers) visibleDefaults(c echo.Context) ([]string, error) {
	names, err := h.Store.DefaultChannels(c.Request().Context())
	if err != nil || len(names) == 0 {
		return names, err
	}
	chs, _, err := h.readable(c)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if slices.ContainsFunc(chs, func(ch models.Channel) bool { return ch.Name == n }) {
			out = append(out, n)
		}
	}
	return out, nil
}

// requestAlias is the alias for the caller's .condarc: a caller with a
// token gets the /t/<TOKEN>/ form with a placeholder, as the token itself
// is never echoed.
func (h *Handlers) requestAlias(c echo.Context) string {
	if web.ActorOf(c).ViaToken() {
		return h.channelAlias(c, "<TOKEN>")
	}
	return h.channelAlias(c, "")
}

// APIDefaultChannels answers the default channels the caller may read.
func (h *Handlers) APIDefaultChannels(c echo.Context) error {
	names, err := h.visibleDefaults(c)
	if err != nil {
		return err
	}
	alias := h.requestAlias(c)
	return ok(c, http.StatusOK, "defaults", DefaultChannelsJSON{Channels: names, ChannelAlias: alias, Condarc: condarc(names, alias)})
}

// APICondarc serves the .condarc for provisioning, as YAML.
func (h *Handlers) APICondarc(c echo.Context) error {
	names, err := h.visibleDefaults(c)
	if err != nil {
		return err
	}
	body := condarc(names, h.requestAlias(c))
	if web.ActorOf(c).ViaToken() {
		body = "# Replace <TOKEN> with your access token.\n" + body
	}
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", []byte(body))
}

// APISetDefaultChannels replaces the list from {"channels": [...]}.
func (h *Handlers) APISetDefaultChannels(c echo.Context) error {
	if err := h.managesAChannel(c); err != nil {
		return err
	}
	var in struct {
		Channels *[]string `json:"channels"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Channels == nil {
		return models.Invalid("channels", "Send the ordered list of channels as \"channels\" (an empty list clears it).")
	}
	if err := h.setDefaultChannels(c, *in.Channels); err != nil {
		return err
	}
	return h.APIDefaultChannels(c)
}

// setDefaultChannels stores names as the list. Only someone who manages
// a channel may set it; each channel added, taken off or moved needs
// manage on it. A channel kept needs read, and those the actor does not
// manage keep their order among themselves. Channels already listed that
// the actor cannot read stay at their places: they cannot know of them.
// Nothing is stored unless every channel passes.
func (h *Handlers) setDefaultChannels(c echo.Context, names []string) error {
	if err := h.managesAChannel(c); err != nil {
		return err
	}
	if err := models.ValidateDefaultChannels(names); err != nil {
		return err
	}
	before, err := h.Store.DefaultChannels(c.Request().Context())
	if err != nil {
		return err
	}
	var keptOthers []string // kept channels the actor does not manage, in the order sent
	for _, n := range names {
		if !slices.Contains(before, n) {
			if err := h.mayList(c, n, access.Manage); err != nil {
				return err
			}
			continue
		}
		if err := h.mayList(c, n, access.Read); err != nil {
			return err
		}
		if h.mayList(c, n, access.Manage) != nil {
			keptOthers = append(keptOthers, n)
		}
	}
	after := slices.Clone(names)
	for i, n := range before {
		if slices.Contains(names, n) {
			continue
		}
		switch err := h.mayList(c, n, access.Manage); {
		case errors.Is(err, models.ErrNotFound), errors.As(err, new(*models.ValidationError)):
			// Unseen by the actor: kept where it was, as far as the list allows.
			after = slices.Insert(after, min(i, len(after)), n)
		case err != nil:
			return err
		}
	}
	if order := slices.DeleteFunc(slices.Clone(before), func(n string) bool { return !slices.Contains(keptOthers, n) }); !slices.Equal(order, keptOthers) {
		return web.Fail(http.StatusForbidden, "You need manage access to a channel to move it in the default channels; keep the others in their order.")
	}
	if slices.Equal(before, after) {
		return nil
	}
	if _, err := h.Store.SetDefaultChannels(c.Request().Context(), after); err != nil {
		return err
	}
	h.audit(c, "default_channels.update", "default channels", map[string]any{"old": before, "new": after})
	return nil
}

// managesAChannel refuses, before anything is read, someone who manages
// no channel: they may change nothing in the list. Admins pass even
// while there is no channel (the list can then only be emptied).
func (h *Handlers) managesAChannel(c echo.Context) error {
	if access.May(web.ActorOf(c).Engine(), ruleOf(c).Scope, access.Manage, access.System()) {
		return nil
	}
	_, levels, err := h.readable(c)
	if err != nil {
		return err
	}
	if !slices.Contains(levels, access.Manage) {
		return web.Fail(http.StatusForbidden, "Only those who manage a channel may set the default channels.")
	}
	return nil
}

// mayList decides one channel of the list: unknown and unreadable
// channels get the same answer.
func (h *Handlers) mayList(c echo.Context, name string, need access.Level) error {
	_, err := h.channelAt(c, name, "", need)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return models.Invalid("channels", "There is no channel %s (or you cannot see it).", name)
	case err != nil:
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusForbidden {
			return web.Fail(http.StatusForbidden, fmt.Sprintf("You need manage access to %s to add it to the default channels or take it off.", name))
		}
	}
	return err
}

// DefaultChannels shows the default channels page: the list, the ready
// .condarc, and for those who manage a channel the form that sets it.
func (h *Handlers) DefaultChannels(c echo.Context) error {
	m, err := h.defaultChannelsPage(c)
	if err != nil {
		return err
	}
	m.Saved = c.QueryParam("saved") == "1"
	return h.page(c, http.StatusOK, "Default channels", channels.Defaults(m))
}

func (h *Handlers) defaultChannelsPage(c echo.Context) (channels.DefaultsPage, error) {
	names, err := h.visibleDefaults(c)
	if err != nil {
		return channels.DefaultsPage{}, err
	}
	_, levels, err := h.readable(c)
	if err != nil {
		return channels.DefaultsPage{}, err
	}
	alias := h.channelAlias(c, "")
	return channels.DefaultsPage{CSRF: web.CSRFToken(c), Channels: names, Text: strings.Join(names, "\n"), Alias: alias,
		Condarc: condarc(names, alias), CanEdit: slices.Contains(levels, access.Manage)}, nil
}

// SaveDefaultChannels handles the form: one channel per line, in order.
func (h *Handlers) SaveDefaultChannels(c echo.Context) error {
	if err := h.managesAChannel(c); err != nil {
		return err
	}
	raw := c.FormValue("channels")
	var names []string
	for _, line := range strings.Split(raw, "\n") {
		if n := strings.TrimSpace(line); n != "" {
			names = append(names, n)
		}
	}
	err := h.setDefaultChannels(c, names)
	if err == nil {
		return web.Redirect(c, "/default-channels?saved=1")
	}
	status, _, msg, _ := web.Classify(err)
	if status >= 500 {
		return err
	}
	m, perr := h.defaultChannelsPage(c)
	if perr != nil {
		return perr
	}
	m.Text, m.Error = raw, msg
	return h.page(c, status, "Default channels", channels.Defaults(m))
}
