// Package models holds Gatehouse's persistent entities and the Store that
// reads and writes them. Every query that lists things takes the actor or an
// explicit scope, so a list cannot leak what its caller may not see.
package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Sentinel errors the web layer turns into 404, 409 and 422 answers.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// ValidationError is a 4xx-worthy fault in the caller's input; Field names the
// offending input so forms and JSON can point at it.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

// Invalid builds a ValidationError.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ConflictError is ErrConflict with a message a person can act on.
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return e.Message }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Conflict builds a ConflictError.
func Conflict(format string, args ...any) error {
	return &ConflictError{Message: fmt.Sprintf(format, args...)}
}

// Store is the one way into the database.
type Store struct {
	db  *gorm.DB
	Now func() time.Time
	// usage batches token last-used times (see tokenuse.go).
	usage *tokenUsage
	// view keeps what requests ask for most in memory (view.go); notify is
	// the channel instances tell each other of changes on (listen.go).
	view     *view
	notify   string
	instance string // tells this instance's notices from the others'

	listening chan struct{}
	stop      context.CancelFunc
	health    health
	log       *slog.Logger
}

// Options tune a Store.
type Options struct {
	// MaxConns bounds PostgreSQL connections (idle ones are kept: opening
	// one per request is what made throughput fall as load rose).
	MaxConns int
	// Log receives the store's own events (the database going away).
	Log *slog.Logger
}

// DefaultMaxConns is the connection pool's size unless told otherwise.
const DefaultMaxConns = 16

// Open is OpenWith with the default options.
func Open(dsn string) (*Store, error) { return OpenWith(dsn, Options{}) }

// OpenWith connects to PostgreSQL when dsn starts with postgres:// or
// postgresql://, otherwise to an SQLite file at dsn (created if missing).
func OpenWith(dsn string, o Options) (*Store, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	cfg := &gorm.Config{Logger: logger.Default.LogMode(logger.Silent), TranslateError: true}
	var (
		db  *gorm.DB
		err error
	)
	if IsPostgres(dsn) {
		db, err = gorm.Open(postgres.Open(dsn), cfg)
		if err == nil {
			sqlDB, _ := db.DB()
			sqlDB.SetMaxOpenConns(o.MaxConns)
			sqlDB.SetMaxIdleConns(o.MaxConns)
			sqlDB.SetConnMaxLifetime(time.Hour)
			sqlDB.SetConnMaxIdleTime(10 * time.Minute)
		}
	} else {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: unable to create %s: %w", dir, err)
			}
		}
		db, err = gorm.Open(sqlite.Open(sqliteURI(dsn)), cfg)
		if err == nil {
			sqlDB, _ := db.DB()
			sqlDB.SetMaxOpenConns(1) // SQLite has one writer; one connection avoids SQLITE_BUSY storms.
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to open database: %w", err)
	}
	s := &Store{db: db, Now: time.Now, usage: newTokenUsage(), log: o.Log, listening: make(chan struct{}), instance: RandomHex(8)}
	s.view = newView(func() time.Time { return s.Now() })
	if err := s.watchConnections(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.watchWrites(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	if IsPostgres(dsn) {
		if s.notify, err = s.notifyChannel(ctx); err != nil {
			stop()
			return nil, fmt.Errorf("store: unable to open database: %w", err)
		}
		go s.listen(ctx, dsn)
		s.waitSynced(5 * time.Second) // serve from memory from the first request
	} else {
		close(s.listening)
		s.view.synced.Store(true) // one instance: its own invalidations are all there are
		s.health.set(true)
	}
	s.startFlushing()
	return s, nil
}

// sqliteURI is the SQLite URI for the database file at path, escaped so any
// directory name works. WAL and a busy timeout let readers and one writer
// share the file.
func sqliteURI(path string) string {
	q := url.Values{"_pragma": {"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"}}
	return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}).String()
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close writes pending token uses, stops listening and releases the
// connection pool.
func (s *Store) Close() error {
	s.stop()
	<-s.listening
	s.stopFlushing()
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// DB exposes the handle to tests and benchmarks that seed data in bulk.
func (s *Store) DB() *gorm.DB { return s.db }

// notFound maps gorm's not-found error onto ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// isDuplicate reports whether err is a unique-constraint violation.
func isDuplicate(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey) ||
		(err != nil && strings.Contains(strings.ToLower(err.Error()), "unique"))
}
