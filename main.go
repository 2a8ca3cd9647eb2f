// Command gatehouse runs the Gatehouse access console: one binary that serves
// people HTML, machines JSON and conda clients their channels.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"gatehouse/handlers"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gatehouse:", err)
		}
		os.Exit(1)
	}
}

// run starts the server, or runs an admin sub-command when args start with "admin".
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, web.OSEnv, stdout, stderr)
}

// runWith is run with the environment given as a lookup function.
func runWith(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) error {
	logs := web.NewLogBuffer(stderr, 50*time.Millisecond)
	defer logs.Close()
	log := slog.New(slog.NewTextHandler(logs, nil))
	admin := len(args) > 0 && args[0] == "admin"
	flagArgs := args
	if admin {
		flagArgs = nil // admin commands have their own flags; settings come from the environment
	}
	cfg, err := web.ParseConfig(flagArgs, env, stderr)
	if err != nil {
		return err
	}
	store, err := models.OpenWith(cfg.DSN(), models.Options{MaxConns: cfg.DBMaxConns, Log: log})
	if err != nil {
		return err
	}
	defer store.Close()
	if admin && len(args) > 1 && args[1] == "migrate" {
		return migrate(ctx, store, args[2:], stdout, stderr)
	}
	if err := store.Migrate(); err != nil {
		return err
	}
	if admin && len(args) > 1 && args[1] == "migrate-blobs" {
		return migrateBlobs(ctx, cfg, store, args[2:], stdout, stderr)
	}
	if admin {
		return runAdmin(ctx, store, args[1:], stdout, stderr)
	}
	if err := bootstrapAdmin(ctx, store, cfg, stdout); err != nil {
		return err
	}
	m := web.NewMetrics()
	srv, err := newServer(ctx, cfg, store, log, m)
	if err != nil {
		return err
	}
	servers := []*http.Server{srv}
	if cfg.MetricsAddr != "" {
		servers = append(servers, &http.Server{Addr: cfg.MetricsAddr, Handler: metricsMux(m), ReadHeaderTimeout: 10 * time.Second})
	}
	log.Info("gatehouse listening", "addr", cfg.Addr, "metrics_addr", cfg.MetricsAddr, "database", dbKind(cfg))
	if cfg.BaseURL == "" {
		log.Warn("GATEHOUSE_BASE_URL is not set: the conda lines shown with new tokens use " + cfg.PublicURL() + "; set it to the URL clients reach")
	}
	errc := make(chan error, len(servers))
	for _, s := range servers {
		go func() { errc <- s.ListenAndServe() }()
	}
	select {
	case err := <-errc:
		shutdown(servers)
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	return shutdown(servers)
}

// shutdown lets every server finish its requests in flight.
func shutdown(servers []*http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// metricsMux serves the metrics at /metrics on their own address, to anyone
// who reaches it: keep that address private.
func metricsMux(m *web.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

func dbKind(cfg web.Config) string {
	if models.IsPostgres(cfg.DSN()) {
		return "postgres"
	}
	return "sqlite:" + cfg.DSN()
}

// newServer wraps Gatehouse's handler in an http.Server.
func newServer(ctx context.Context, cfg web.Config, store *models.Store, log *slog.Logger, m *web.Metrics) (*http.Server, error) {
	h, err := handlers.NewServer(ctx, cfg, store, log, m)
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}, nil
}

// bootstrapAdmin creates the first admin on an empty database and prints a
// generated password once.
func bootstrapAdmin(ctx context.Context, store *models.Store, cfg web.Config, stdout io.Writer) error {
	users, err := store.Users(ctx)
	if err != nil || len(users) > 0 {
		return err
	}
	pw, generated := cfg.AdminPassword, false
	if pw == "" {
		pw, generated = models.RandomHex(12), true
	}
	u, err := store.CreateUser(ctx, models.NewUser{Email: cfg.AdminEmail, Password: pw, Roles: []string{access.RoleAdmin}})
	if err != nil {
		return fmt.Errorf("unable to create the admin account: %w", err)
	}
	_ = store.Record(ctx, models.Audit{Action: "user.create", Target: u.Email, Details: map[string]any{"roles": []string{access.RoleAdmin}, "by": "first start"}})
	if generated {
		fmt.Fprintf(stdout, "\nCreated admin account %s with password: %s\nIt is shown only this once; sign in and keep it safe.\n\n", u.Email, pw)
	} else {
		fmt.Fprintf(stdout, "Created admin account %s.\n", u.Email)
	}
	return nil
}
