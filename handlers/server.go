package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/blobs"
	"gatehouse/static"
	"gatehouse/web"
)

// NewServer builds the whole HTTP handler: sessions, assets, middleware and
// every route. main and the tests both start Gatehouse through it.
func NewServer(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger) (http.Handler, error) {
	h, err := newHandlers(ctx, cfg, store, log)
	if err != nil {
		return nil, err
	}
	return h.echo(nil), nil
}

// newHandlers builds the Handlers with their sessions and assets.
func newHandlers(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger) (*Handlers, error) {
	key := cfg.SessionKey
	if key == "" {
		var err error
		if key, err = store.SettingOrCreate(ctx, "session_key", func() string { return models.RandomHex(32) }); err != nil {
			return nil, fmt.Errorf("unable to load the session key: %w", err)
		}
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 2 * time.Hour
	}
	if cfg.SessionMax == 0 {
		cfg.SessionMax = 24 * time.Hour
	}
	if cfg.MaxUploads <= 0 {
		cfg.MaxUploads = 8
	}
	h := &Handlers{
		Store:    store,
		Sessions: web.NewSessions(key, cfg.SessionIdle, cfg.SessionMax, cfg.SecureCookies),
		Assets:   static.Load(),
		Cfg:      cfg,
		Log:      log,
		Throttle: web.NewThrottle(5, time.Minute),
		Blobs:    &blobs.Store{Dir: cfg.BlobDir()},
		Repodata: NewRepodataCache(),
		uploads:  make(chan struct{}, cfg.MaxUploads),
	}
	if n := h.Blobs.CleanStale(24 * time.Hour); n > 0 {
		log.Info("blobs: removed stale upload files", "count", n)
	}
	return h, nil
}

// echo builds the Echo instance with every route; extra adds routes (tests).
func (h *Handlers) echo(extra func(e *echo.Echo)) *echo.Echo {
	e := web.NewEcho(h.Log, h.ErrorPage)
	h.Register(e)
	if extra != nil {
		extra(e)
	}
	return e
}
