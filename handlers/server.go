package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gatehouse/models"
	"gatehouse/static"
	"gatehouse/web"
)

// NewServer builds the whole HTTP handler: sessions, assets, middleware and
// every route. main and the tests both start Gatehouse through it.
func NewServer(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger) (http.Handler, error) {
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
	h := &Handlers{
		Store:    store,
		Sessions: web.NewSessions(key, cfg.SessionIdle, cfg.SessionMax, cfg.SecureCookies),
		Assets:   static.Load(),
		Cfg:      cfg,
		Log:      log,
		Throttle: web.NewThrottle(5, time.Minute),
	}
	e := web.NewEcho(log, h.ErrorPage)
	h.Register(e)
	h.routes = map[string]bool{}
	for _, r := range e.Routes() {
		h.routes[r.Method+" "+r.Path] = true
	}
	return e, nil
}
