package models

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Kinds of notice and of attention.
const (
	// NoticeTokenLeaked: a token was revoked because its string was
	// reported as leaked (the subject is the token's name).
	NoticeTokenLeaked = "token.revoke.leaked"
	// AttentionTokenExpiring: one of the person's tokens expires soon or
	// has expired (not a stored notice: it lasts until the token is renewed
	// or deleted).
	AttentionTokenExpiring = "token.expiring"
)

// Notice is a message a person sees on every page until they dismiss it.
type Notice struct {
	ID        uint      `gorm:"primaryKey"`
	UserID    uint      `gorm:"not null;index:idx_notices_user"`
	User      *User     `gorm:"constraint:OnDelete:CASCADE"`
	Kind      string    `gorm:"size:40;not null"`
	Subject   string    `gorm:"size:100;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// Attention is something a person should act on: a notice (ID is the
// notice's), or one of their tokens that expires soon or has expired (ID is
// the token's, At its expiry).
type Attention struct {
	Kind string
	ID   uint
	Name string
	At   time.Time
}

// Expired reports whether an expiring token's time is up at now.
func (a Attention) Expired(now time.Time) bool {
	return a.Kind == AttentionTokenExpiring && !now.Before(a.At)
}

// Attention lists, in one query on two indexes, the person's notices and
// their tokens that stop working before `before` (expired ones included:
// they need renewing or deleting too), soonest first.
func (s *Store) Attention(ctx context.Context, userID uint, before time.Time) ([]Attention, error) {
	var rows []struct {
		Kind string
		ID   uint
		Name string
		At   string
	}
	err := s.db.WithContext(ctx).Raw(
		`SELECT ? AS kind, id, name, expires_at AS at FROM tokens WHERE user_id = ? AND expires_at <= ?
		 UNION ALL
		 SELECT kind, id, subject AS name, created_at AS at FROM notices WHERE user_id = ?`,
		AttentionTokenExpiring, userID, before.UTC(), userID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]Attention, len(rows))
	for i, r := range rows {
		out[i] = Attention{Kind: r.Kind, ID: r.ID, Name: r.Name, At: parseDBTime(r.At)}
	}
	slices.SortStableFunc(out, func(a, b Attention) int { return a.At.Compare(b.At) })
	return out, nil
}

// parseDBTime reads a time a UNION hands back as text (SQLite keeps no
// column type through it; PostgreSQL's text form differs).
func parseDBTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999-07", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// DismissNotice removes one of the person's notices; anyone else's is
// ErrNotFound.
func (s *Store) DismissNotice(ctx context.Context, userID, id uint) error {
	res := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, userID).Delete(&Notice{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// MaxLeakedReport is how many strings one leak report may name.
const MaxLeakedReport = 100

// RevokeLeaked deletes every token whose string is among secrets (only
// well-formed strings are looked up, at most MaxLeakedReport, each once)
// and leaves each owner a notice, in one transaction. Expired tokens go
// too: renewing one would bring the leaked string back to life. It returns
// the tokens it deleted, with their owners, for the audit log.
func (s *Store) RevokeLeaked(ctx context.Context, secrets []string) ([]Token, error) {
	var hashes []string
	for _, sec := range secrets {
		if len(hashes) == MaxLeakedReport {
			break
		}
		if h := HashToken(sec); WellFormedToken(sec) && !slices.Contains(hashes, h) {
			hashes = append(hashes, h)
		}
	}
	if len(hashes) == 0 {
		return nil, nil
	}
	var out []Token
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out = nil
		var found []Token
		if err := tx.Preload("User").Where("hash IN ?", hashes).Order("id").Find(&found).Error; err != nil {
			return err
		}
		for _, t := range found {
			res := tx.Delete(&Token{}, t.ID)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue // revoked by a report running beside this one
			}
			out = append(out, t)
			if err := tx.Create(&Notice{UserID: t.UserID, Kind: NoticeTokenLeaked, Subject: t.Name, CreatedAt: s.Now().UTC()}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
