package handlers

import (
	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

// channelLevel is the actor's level on a channel, or on one of its
// subchannels when sub is not empty. Every channel and conda decision goes
// through here, so a token's cap is applied in one place.
func (h *Handlers) channelLevel(c echo.Context, ch *models.Channel, sub string) (access.Level, error) {
	a := web.ActorOf(c)
	return h.Store.ChannelLevel(c.Request().Context(), a.Subject, ch)
}
