package models

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/pressly/goose/v3"

	"gatehouse/models/migrations"
)

// MigrationState is one schema migration and whether it has been applied.
type MigrationState struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// Migrate applies every pending schema migration, then makes sure the
// built-in roles exist.
func (s *Store) Migrate() error {
	if _, err := s.ApplyMigrations(context.Background()); err != nil {
		return err
	}
	return s.seedBuiltins()
}

// ApplyMigrations applies the pending migrations in order, holding the
// database's migration lock, and lists the ones it applied.
func (s *Store) ApplyMigrations(ctx context.Context) ([]MigrationState, error) {
	unlock, err := s.LockMigrations(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := s.migrations()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: unable to migrate: %w", err)
	}
	out := make([]MigrationState, len(results))
	for i, r := range results {
		out[i] = MigrationState{Version: r.Source.Version, Name: migrationName(r.Source.Path), Applied: true, AppliedAt: s.Now()}
	}
	return out, nil
}

// MigrationStatus lists every migration the binary knows and whether the
// database has it.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := s.migrations()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read migration status: %w", err)
	}
	out := make([]MigrationState, len(st))
	for i, m := range st {
		out[i] = MigrationState{Version: m.Source.Version, Name: migrationName(m.Source.Path), Applied: m.State == goose.StateApplied, AppliedAt: m.AppliedAt}
	}
	return out, nil
}

func (s *Store) migrations() (*goose.Provider, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	dialect, dir := goose.DialectSQLite3, "sqlite"
	if s.isPostgres() {
		dialect, dir = goose.DialectPostgres, "postgres"
	}
	return goose.NewProvider(dialect, sqlDB, migrations.For(dir))
}

// LockMigrations serialises migrations across instances: a PostgreSQL
// advisory lock, one per schema, held on its own connection until unlock.
// SQLite serialises writers itself.
func (s *Store) LockMigrations(ctx context.Context) (unlock func(), err error) {
	if !s.isPostgres() {
		return func() {}, nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: unable to lock for migrations: %w", err)
	}
	var schema string
	if err := conn.QueryRowContext(ctx, "SELECT coalesce(current_schema(), '')").Scan(&schema); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: unable to lock for migrations: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte("gatehouse-migrate:" + schema))
	key := int64(h.Sum64())
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: unable to lock for migrations: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)
		conn.Close()
	}, nil
}

// migrationName is a migration's file name without number and extension.
func migrationName(path string) string {
	var n int64
	var name string
	if _, err := fmt.Sscanf(path, "%d_%s", &n, &name); err == nil {
		return name[:len(name)-len(".sql")]
	}
	return path
}

func (s *Store) isPostgres() bool { return s.db.Dialector.Name() == "postgres" }
