package models

import (
	"context"
	"time"
)

// TokensExpiring lists everyone's tokens that still work at now but stop
// before `before`, soonest first, with their owners: the admins' view of
// tokens about to expire (indexed by expiry).
func (s *Store) TokensExpiring(ctx context.Context, now, before time.Time) ([]Token, error) {
	var ts []Token
	err := s.db.WithContext(ctx).Preload("User").
		Where("expires_at > ? AND expires_at <= ?", now.UTC(), before.UTC()).
		Order("expires_at, id").Find(&ts).Error
	return ts, err
}
