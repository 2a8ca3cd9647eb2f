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
	"gatehouse/models/mirrorrun"
	"gatehouse/static"
	"gatehouse/web"
	"gatehouse/web/sso"
)

// NewServer builds the whole HTTP handler: sessions, assets, middleware and
// every route. main and the tests both start Gatehouse through it. m
// receives what the server measures (nil: a registry of its own); main
// serves it on its own address when GATEHOUSE_METRICS_ADDR is set.
func NewServer(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger, m *web.Metrics) (http.Handler, error) {
	return NewServerWith(ctx, cfg, store, log, m, nil)
}

// NewServerWith is NewServer with extra routes added after the route table:
// tests use it for outcomes no real route gives (a panic).
func NewServerWith(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger, m *web.Metrics, extra func(e *echo.Echo)) (http.Handler, error) {
	h, err := newHandlers(ctx, cfg, store, log, m)
	if err != nil {
		return nil, err
	}
	return h.echo(extra), nil
}

// newHandlers builds the Handlers with their sessions and assets.
func newHandlers(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger, m *web.Metrics) (*Handlers, error) {
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
	if m == nil {
		m = web.NewMetrics()
	}
	if cfg.MaxUploads <= 0 {
		cfg.MaxUploads = 8
	}
	bs, err := blobs.Open(ctx, cfg.BlobSettings())
	if err != nil {
		return nil, err
	}
	if _, presigns := bs.(blobs.Presigner); cfg.DownloadRedirect && !presigns {
		log.Warn("download redirects need S3 storage; downloads are served directly", "blobs", bs.String())
	}
	h := &Handlers{
		Store:    store,
		Sessions: web.NewSessions(key, cfg.SessionIdle, cfg.SessionMax, cfg.SecureCookies, store),
		Assets:   static.Load(),
		Cfg:      cfg,
		Log:      log,
		Guesses:  web.NewThrottle(5, time.Minute, 15*time.Minute, time.Hour),
		Spray:    web.NewThrottle(50, time.Minute, 15*time.Minute, time.Hour),
		// A CI fleet behind one address may fumble a token now and then;
		// a flood of made-up ones is stopped after a burst.
		TokenFailures: web.NewFailureLimit(20, 100),
		Blobs:         bs,
		Repodata:      NewRepodataCache(),
		uploads:       make(chan struct{}, cfg.MaxUploads),
		Metrics:       m,
	}
	h.Repodata.Metrics = m
	h.Sessions.Limits = h.sessionLimits
	if db, err := store.DB().DB(); err == nil {
		m.WatchDB("gatehouse", db)
	}
	if cfg.SSO.Enabled() {
		h.SSO, h.SSOFlows = sso.NewClient(cfg.SSO), sso.NewFlows(key, cfg.SecureCookies)
		if err := h.ensureSyncedTeams(ctx); err != nil {
			return nil, err
		}
	}
	// Leak reports: thirty at once, then one every two seconds, per address.
	h.LeakReports = web.NewFailureLimit(0.5, leakBurst)
	h.Flash = web.NewFlash(key, cfg.SecureCookies)
	go h.sweepEvery(ctx, cfg.SweepInterval, cfg.SweepGrace)
	h.Mirrors = mirrorrun.New(store, bs, mirrorrun.NewClient(cfg.MirrorPrivateNetworks), cfg.MaxUpload, log)
	h.Mirrors.Base = ctx
	if cfg.MirrorCheckInterval == 0 {
		cfg.MirrorCheckInterval = time.Minute
	}
	go h.Mirrors.Loop(ctx, cfg.MirrorCheckInterval)
	return h, nil
}

// sweepEvery sweeps at start and then every interval (never when
// negative) until ctx ends.
func (h *Handlers) sweepEvery(ctx context.Context, interval, grace time.Duration) {
	if interval == 0 {
		interval = time.Hour
	}
	if grace == 0 {
		grace = time.Hour
	}
	for {
		freed, err := h.Store.Sweep(ctx, h.Blobs, grace)
		if ctx.Err() == nil {
			h.noteSweep(ctx, "schedule", freed, err)
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.Log.Warn("blobs: sweep incomplete", "err", err, "freed", freed)
		case freed != blobs.Freed{}:
			h.Log.Info("blobs: swept", "staging_files", freed.StagingFiles, "staging_bytes", freed.StagingBytes, "blobs", freed.Blobs, "blob_bytes", freed.BlobBytes)
		}
		if interval < 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// echo builds the Echo instance with every route; extra adds routes (tests).
func (h *Handlers) echo(extra func(e *echo.Echo)) *echo.Echo {
	e := web.NewEcho(h.Log, h.ErrorPage, h.Cfg, h.Metrics)
	h.Register(e)
	if extra != nil {
		extra(e)
	}
	return e
}

// ensureSyncedTeams creates the teams the groups map onto, so admins can
// grant them access before anyone signs in.
func (h *Handlers) ensureSyncedTeams(ctx context.Context) error {
	created, err := h.Store.EnsureTeams(ctx, h.Cfg.SSO.TeamNames())
	if err != nil {
		return fmt.Errorf("unable to create the teams named in GATEHOUSE_OIDC_TEAMS: %w", err)
	}
	for _, name := range created {
		if err := h.Store.Record(ctx, models.Audit{Action: "team.create", Target: name, Details: map[string]any{"by": "single sign-on settings"}}); err != nil {
			return err
		}
	}
	return nil
}
