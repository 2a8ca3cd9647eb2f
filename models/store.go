// Package models holds Gatehouse's persistent entities and the Store that
// reads and writes them. Every query that lists things takes the actor or an
// explicit scope, so a list cannot leak what its caller may not see.
package models

import (
	"context"
	"errors"
	"fmt"
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
}

// Open connects to PostgreSQL when dsn starts with postgres:// or
// postgresql://, otherwise to an SQLite file at dsn (created if missing).
func Open(dsn string) (*Store, error) {
	cfg := &gorm.Config{Logger: logger.Default.LogMode(logger.Silent), TranslateError: true}
	var (
		db  *gorm.DB
		err error
	)
	if IsPostgres(dsn) {
		db, err = gorm.Open(postgres.Open(dsn), cfg)
	} else {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: unable to create %s: %w", dir, err)
			}
		}
		// WAL and a busy timeout let readers and one writer share the file.
		db, err = gorm.Open(sqlite.Open(dsn+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"), cfg)
		if err == nil {
			sqlDB, _ := db.DB()
			sqlDB.SetMaxOpenConns(1) // SQLite has one writer; one connection avoids SQLITE_BUSY storms.
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to open database: %w", err)
	}
	s := &Store{db: db, Now: time.Now, usage: newTokenUsage()}
	s.startFlushing()
	return s, nil
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

// Close writes pending token uses and releases the connection pool.
func (s *Store) Close() error {
	s.stopFlushing()
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// DB exposes the handle to tests and benchmarks that seed data in bulk.
func (s *Store) DB() *gorm.DB { return s.db }

// tx runs fn in a transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

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
