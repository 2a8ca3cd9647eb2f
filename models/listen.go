package models

import (
	"context"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"gatehouse/models/access"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Instances sharing one PostgreSQL keep their views (view.go) in step with
// LISTEN/NOTIFY on a channel named after the schema: every write that
// touches a part of the view sends that part's bits, in the writing
// transaction, so the notice goes out exactly when the change commits.

// notifyWrite tells the other instances which parts a write touched.
func (s *Store) notifyWrite(db *gorm.DB, parts int) {
	if s.notify == "" {
		return
	}
	_, err := db.Statement.ConnPool.ExecContext(db.Statement.Context, "SELECT pg_notify($1, $2)", s.notify, s.instance+":"+strconv.Itoa(parts))
	if err != nil && db.Error == nil {
		db.AddError(err) // a change the others cannot hear of must not commit
	}
}

// NotifyChannel is the PostgreSQL notification channel the instances on
// this store's schema share ("" on SQLite); each instance's listening
// connection carries it as its application_name.
func (s *Store) NotifyChannel() string { return s.notify }

// notifyChannel names the notification channel of the store's schema.
func (s *Store) notifyChannel(ctx context.Context) (string, error) {
	var schema string
	if err := s.db.WithContext(ctx).Raw("SELECT coalesce(current_schema(), '')").Scan(&schema).Error; err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(schema))
	return "gatehouse_" + hex.EncodeToString(sum[:8]), nil
}

// listen keeps the view synced from the notification channel until ctx
// ends. Whenever the connection is lost the view stops serving; once a new
// one listens, the view is emptied (notices may have been missed) and
// serves again.
func (s *Store) listen(ctx context.Context, dsn string) {
	defer close(s.listening)
	log := s.log
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, dsn)
		s.view.synced.Store(false)
		if ctx.Err() != nil {
			return
		}
		if s.health.set(false) {
			log.Error("store: the database is unreachable; answering 503 where it is needed until it is back", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	// Named after its channel, so the listener is easy to find in
	// pg_stat_activity.
	cfg.RuntimeParams["application_name"] = s.notify
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{s.notify}.Sanitize()); err != nil {
		return err
	}
	// Listening: what changed while nobody listened is forgotten, then the
	// view serves again.
	s.view.invalidate(allParts)
	s.view.synced.Store(true)
	if s.health.set(true) {
		s.log.Info("store: the database answers again")
	}
	for {
		// Wake every second to check the database still answers: the
		// connection doubles as the health check (/readyz never waits on
		// a busy pool).
		wait, cancel := context.WithTimeout(ctx, time.Second)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if err != nil && ctx.Err() == nil && wait.Err() != nil {
			ping, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = conn.Ping(ping)
			cancel()
			if err == nil {
				continue
			}
		}
		if err != nil {
			return err
		}
		from, bits, _ := strings.Cut(n.Payload, ":")
		if from == s.instance {
			continue // this instance invalidated its own view already
		}
		parts, err := strconv.Atoi(bits)
		if err != nil {
			parts = allParts
		}
		s.view.invalidate(parts)
	}
}

// health is whether the database answered the last check.
type health struct{ up atomic.Bool }

// set records the state and reports whether it changed.
func (h *health) set(up bool) bool { return h.up.Swap(up) != up }

// Healthy reports whether the database answered its last check (every
// second on PostgreSQL; an SQLite file is always there).
func (s *Store) Healthy() bool { return s.health.up.Load() }

// waitSynced waits, at most d, for the first notification connection, so
// the view does not empty itself under the first requests.
func (s *Store) waitSynced(d time.Duration) {
	for deadline := time.Now().Add(d); !s.view.synced.Load() && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
}

// Synced reports whether the view serves from memory (it listens for
// changes, or the database is SQLite).
func (s *Store) Synced() bool { return s.view.synced.Load() }

// ErrUnavailable marks a failure to reach the database at all.
var ErrUnavailable = errors.New("store: the database is unreachable")

// Unavailable reports whether err means the database could not be reached
// (as opposed to refusing or failing one query): callers answer 503 and
// try again later.
func Unavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// unavailable wraps an error from talking to the database as ErrUnavailable
// when it is about the connection, not the query.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		// Shutting down, too many connections, cannot connect now.
		if pe.Code != "57P01" && pe.Code != "57P02" && pe.Code != "57P03" && pe.Code != "53300" {
			return err
		}
	case errors.As(err, &ce), errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.As(err, &ne), pgconn.SafeToRetry(err):
	default:
		msg := err.Error()
		if !strings.Contains(msg, "conn closed") && !strings.Contains(msg, "connection refused") && !strings.Contains(msg, "closed the connection") {
			return err
		}
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// watchConnections marks every database error that is about the
// connection as ErrUnavailable, so the web layer answers 503.
func (s *Store) watchConnections() error {
	mark := func(db *gorm.DB) {
		if db.Error != nil {
			db.Error = unavailable(db.Error)
		}
	}
	cb := s.db.Callback()
	for _, err := range []error{
		cb.Query().After("*").Register("gatehouse:unavailable", mark),
		cb.Row().After("*").Register("gatehouse:unavailable", mark),
		cb.Raw().After("*").Register("gatehouse:unavailable", mark),
		cb.Create().After("*").Register("gatehouse:unavailable", mark),
		cb.Update().After("*").Register("gatehouse:unavailable", mark),
		cb.Delete().After("*").Register("gatehouse:unavailable", mark),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// StaleChannel is what the view last held of a channel, synced or not: for
// serving public channels from memory while the database is unreachable
// (nothing can change there meanwhile).
func (s *Store) StaleChannel(name string) (*Channel, access.ChannelACL, bool) {
	s.view.mu.RLock()
	defer s.view.mu.RUnlock()
	ch, ok := s.view.channels[name]
	if !ok || ch.ID == 0 {
		return nil, access.ChannelACL{}, false
	}
	acl := s.view.acls[ch.ID]
	acl.Public = ch.Public
	return &ch, acl, true
}
