package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

// place is a channel, or one of its subchannels, with the actor's level.
type place struct {
	Ch    *models.Channel
	Sub   *models.Subchannel // nil for the channel itself
	Level access.Level
}

// SubID is the subchannel's id, 0 for the channel itself.
func (p place) SubID() uint {
	if p.Sub == nil {
		return 0
	}
	return p.Sub.ID
}

// SubName is the subchannel's name, "" for the channel itself.
func (p place) SubName() string {
	if p.Sub == nil {
		return ""
	}
	return p.Sub.Name
}

// Path is "channel" or "channel/sub".
func (p place) Path() string {
	if p.Sub == nil {
		return p.Ch.Name
	}
	return p.Ch.Name + "/" + p.Sub.Name
}

// channelAt loads a channel (and subchannel when sub is set) and decides,
// through the engine and the route's scope, that the actor holds need
// there. A channel the actor cannot read is a 404, exactly like one that
// does not exist; one they read without need is a 403.
func (h *Handlers) channelAt(c echo.Context, name, sub string, need access.Level) (place, error) {
	return h.decideChannel(c, name, sub, need, access.Decide)
}

// channelWithin is channelAt for a route that learns the subchannel later:
// need may be held on the channel or on any one of its subchannels.
func (h *Handlers) channelWithin(c echo.Context, name string, need access.Level) (place, error) {
	return h.decideChannel(c, name, "", need, access.DecideWithin)
}

func (h *Handlers) decideChannel(c echo.Context, name, sub string, need access.Level, decide func(access.Actor, string, access.Target) access.Level) (place, error) {
	ctx := c.Request().Context()
	ch, acl, err := h.channelACL(ctx, name)
	if err != nil {
		return place{}, err
	}
	lvl := decide(web.ActorOf(c).Engine(), ruleOf(c).Scope, access.ChannelTarget(ch.Name, sub, acl))
	if lvl < access.Read {
		return place{}, models.ErrNotFound
	}
	p := place{Ch: ch, Level: lvl}
	if sub != "" {
		if p.Sub, err = h.Store.SubchannelByName(ctx, ch, sub); err != nil {
			return place{}, err
		}
	}
	if lvl < need {
		return place{}, web.Fail(http.StatusForbidden, fmt.Sprintf("You need %s access to %s.", need, p.Path()))
	}
	return p, nil
}

// channelACL loads a channel and what decides access to it. A missing
// channel costs the same database work as a private one, so the time of a
// refusal does not tell which channels exist.
func (h *Handlers) channelACL(ctx context.Context, name string) (*models.Channel, access.ChannelACL, error) {
	ch, acl, err := h.liveChannelACL(ctx, name)
	if models.Unavailable(err) {
		// While the database is unreachable nothing can change there: a
		// public channel still held in memory is served as it was.
		if ch, acl, ok := h.Store.StaleChannel(name); ok && ch.Public {
			return ch, acl, nil
		}
	}
	return ch, acl, err
}

func (h *Handlers) liveChannelACL(ctx context.Context, name string) (*models.Channel, access.ChannelACL, error) {
	ch, err := h.Store.ChannelByName(ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		_, _ = h.Store.ChannelACL(ctx, &models.Channel{Name: name})
		return nil, access.ChannelACL{}, err
	}
	if err != nil {
		return nil, access.ChannelACL{}, err
	}
	acl, err := h.Store.ChannelACL(ctx, ch)
	return ch, acl, err
}

// readable lists the channels the actor may read with the actor's level on
// each, token included: one query for the person's own levels, then the
// engine's token cap. Every channel list uses it.
func (h *Handlers) readable(c echo.Context) ([]models.Channel, []access.Level, error) {
	a := web.ActorOf(c)
	rows, err := h.Store.ReadableChannels(c.Request().Context(), a.Subject)
	if err != nil {
		return nil, nil, err
	}
	eng, scope := a.Engine(), ruleOf(c).Scope
	// A token naming a channel group covers what is in the group now: its
	// cap needs each channel's groups (from the view, as a rule).
	groups := eng.Token != nil && slices.ContainsFunc(eng.Token.Grant.Resources, func(r access.Resource) bool { return r.Group != "" && r.Channel == "" })
	var out []models.Channel
	var levels []access.Level
	for _, rc := range rows {
		var acl access.ChannelACL
		if groups {
			if acl, err = h.Store.ChannelACL(c.Request().Context(), &rc.Channel); err != nil {
				return nil, nil, err
			}
		}
		if lvl := eng.Capped(scope, access.ChannelTarget(rc.Name, "", acl), rc.Own); lvl >= access.Read {
			out = append(out, rc.Channel)
			levels = append(levels, lvl)
		}
	}
	return out, levels, nil
}
