package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Session is one signed-in browser. The cookie carries a secret; only its
// SHA-256 is stored, and deleting the row ends the session everywhere.
type Session struct {
	ID        string    `gorm:"primaryKey;size:64"`
	UserID    uint      `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null"`
}

// CreateSession records a new session of userID until expires, and drops
// sessions that have run out.
func (s *Store) CreateSession(ctx context.Context, id string, userID uint, expires time.Time) error {
	now := s.Now()
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", now).Delete(&Session{}).Error; err != nil {
		return err
	}
	return db.Create(&Session{ID: id, UserID: userID, CreatedAt: now, ExpiresAt: expires}).Error
}

// SessionUser returns the user of a session that has not been ended, with
// roles and teams; ErrNotFound when it was. (The cookie enforces the
// session's timeouts; expired rows are only pruned.)
func (s *Store) SessionUser(ctx context.Context, id string, userID uint) (*User, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Session{}).Where("id = ? AND user_id = ?", id, userID).Count(&n).Error
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	return s.User(ctx, userID)
}

// EndSession ends one session.
func (s *Store) EndSession(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id = ?", id).Delete(&Session{}).Error
}

// endSessionsOf ends every session of a user (a password reset, disabling).
func endSessionsOf(tx *gorm.DB, userID uint) error {
	return tx.Where("user_id = ?", userID).Delete(&Session{}).Error
}
