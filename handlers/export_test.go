package handlers

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/web"
)

// NewServerWithRules is NewServer that also returns its route table, for
// the tests of this directory that walk every route.
func NewServerWithRules(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger) (*echo.Echo, map[string]Rule, error) {
	h, err := newHandlers(ctx, cfg, store, log, nil)
	if err != nil {
		return nil, nil, err
	}
	return h.echo(nil), h.rules, nil
}
