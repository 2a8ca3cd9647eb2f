package handlers

import (
	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

// channelLevel is the actor's level on a channel, or on one of its
// subchannels when sub is not empty. Every channel and conda decision goes
// through here, so a token's cap is applied in one place: a token-
// authenticated request gets the owner's level now, capped by the token.
func (h *Handlers) channelLevel(c echo.Context, ch *models.Channel, sub string) (access.Level, error) {
	a := web.ActorOf(c)
	l, err := h.Store.ChannelLevel(c.Request().Context(), a.Subject, ch)
	if err != nil || !a.ViaToken() {
		return l, err
	}
	return a.TokenGrant.ChannelLevel(l, ch.Name, sub), nil
}

// readableChannels lists the channels the actor may read, token cap included.
func (h *Handlers) readableChannels(c echo.Context) ([]models.Channel, error) {
	a := web.ActorOf(c)
	chans, err := h.Store.ReadableChannels(c.Request().Context(), a.Subject)
	if err != nil || !a.ViaToken() {
		return chans, err
	}
	out := chans[:0]
	for _, ch := range chans {
		if a.TokenGrant.ChannelCap(ch.Name, "") >= access.Read || a.TokenGrant.Covers(ch.Name) && a.TokenGrant.Kind() == access.KindResources {
			out = append(out, ch)
		}
	}
	return out, nil
}
