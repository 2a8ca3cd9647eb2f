package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"gorm.io/gorm/clause"
)

// Setting is a small piece of instance-wide state, such as the session key.
type Setting struct {
	Key   string `gorm:"primaryKey;size:64"`
	Value string `gorm:"type:text;not null"`
}

// SettingOrCreate returns the stored value for key, storing gen() first if
// there is none. Several instances starting at once agree on one value.
func (s *Store) SettingOrCreate(ctx context.Context, key string, gen func() string) (string, error) {
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Setting{Key: key, Value: gen()}).Error; err != nil {
		return "", err
	}
	var st Setting
	if err := db.First(&st, "key = ?", key).Error; err != nil {
		return "", err
	}
	return st.Value, nil
}

// RandomHex returns n random bytes, hex-encoded.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Settings are what admins tune while Gatehouse runs, stored as settings
// rows so every instance reads the same values.
type Settings struct {
	// MaxTokenLifetimeDays bounds how far ahead a token may be created or
	// extended to expire.
	MaxTokenLifetimeDays int `json:"max_token_lifetime_days"`
}

// Setting defaults and bounds.
const (
	DefaultMaxTokenLifetimeDays = 365
	MaxMaxTokenLifetimeDays     = 3660
)

const keyMaxTokenLifetime = "max_token_lifetime_days"

// Settings reads the run-time settings; unset ones have their defaults.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	out := Settings{MaxTokenLifetimeDays: DefaultMaxTokenLifetimeDays}
	var st Setting
	err := s.db.WithContext(ctx).Where("key = ?", keyMaxTokenLifetime).Limit(1).Find(&st).Error
	if err != nil {
		return out, err
	}
	if n, err := strconv.Atoi(st.Value); err == nil && n > 0 {
		out.MaxTokenLifetimeDays = n
	}
	return out, nil
}

// SaveSettings validates and stores the settings, returning them before
// and after.
func (s *Store) SaveSettings(ctx context.Context, in Settings) (before, after Settings, err error) {
	if in.MaxTokenLifetimeDays < 1 || in.MaxTokenLifetimeDays > MaxMaxTokenLifetimeDays {
		return before, after, Invalid("max_token_lifetime_days", "Maximum token lifetime must be between 1 and %d days.", MaxMaxTokenLifetimeDays)
	}
	if before, err = s.Settings(ctx); err != nil {
		return before, after, err
	}
	row := Setting{Key: keyMaxTokenLifetime, Value: strconv.Itoa(in.MaxTokenLifetimeDays)}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value"})}).Create(&row).Error
	return before, in, err
}
