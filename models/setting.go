package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"gorm.io/gorm"
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
// rows so every instance reads the same values. A zero session field is
// unset: the server's flags (--session-idle, --session-max) apply.
type Settings struct {
	// MaxTokenLifetimeDays bounds how far ahead a token may be created or
	// extended to expire.
	MaxTokenLifetimeDays int `json:"max_token_lifetime_days"`
	// SessionIdleMinutes signs people out after this long without a request.
	SessionIdleMinutes int `json:"session_idle_minutes"`
	// SessionMaxMinutes signs people out this long after signing in.
	SessionMaxMinutes int `json:"session_max_minutes"`
	// SigninFailures are the failed sign-ins allowed per account and
	// address before waiting starts.
	SigninFailures int `json:"signin_allowed_failures"`
	// SigninBaseWaitSeconds is the first wait; it doubles per failure up
	// to SigninMaxWaitSeconds.
	SigninBaseWaitSeconds int `json:"signin_base_wait_seconds"`
	SigninMaxWaitSeconds  int `json:"signin_max_wait_seconds"`
}

// Setting defaults and bounds.
const (
	DefaultMaxTokenLifetimeDays = 365
	MaxMaxTokenLifetimeDays     = 3660

	MinSessionMinutes     = 5
	MaxSessionIdleMinutes = 7 * 24 * 60
	MaxSessionMaxMinutes  = 30 * 24 * 60

	DefaultSigninFailures        = 5
	MaxSigninFailures            = 100
	DefaultSigninBaseWaitSeconds = 60
	DefaultSigninMaxWaitSeconds  = 15 * 60
	MaxSigninWaitSeconds         = 24 * 60 * 60
)

// settingKeys maps each setting's row key to its field.
func settingKeys(s *Settings) map[string]*int {
	return map[string]*int{
		"max_token_lifetime_days":  &s.MaxTokenLifetimeDays,
		"session_idle_minutes":     &s.SessionIdleMinutes,
		"session_max_minutes":      &s.SessionMaxMinutes,
		"signin_allowed_failures":  &s.SigninFailures,
		"signin_base_wait_seconds": &s.SigninBaseWaitSeconds,
		"signin_max_wait_seconds":  &s.SigninMaxWaitSeconds,
	}
}

func defaultSettings() Settings {
	return Settings{
		MaxTokenLifetimeDays:  DefaultMaxTokenLifetimeDays,
		SigninFailures:        DefaultSigninFailures,
		SigninBaseWaitSeconds: DefaultSigninBaseWaitSeconds,
		SigninMaxWaitSeconds:  DefaultSigninMaxWaitSeconds,
	}
}

// Settings reads the run-time settings; unset ones have their defaults.
// Every request that checks a session asks, so the view keeps them.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	if set, ok := s.view.cachedSettings(); ok {
		return set, nil
	}
	epoch := s.view.epoch(partSettings)
	out := defaultSettings()
	fields := settingKeys(&out)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	var rows []Setting
	if err := s.db.WithContext(ctx).Where("key IN ?", keys).Find(&rows).Error; err != nil {
		return defaultSettings(), err
	}
	for _, r := range rows {
		if n, err := strconv.Atoi(r.Value); err == nil && n > 0 {
			*fields[r.Key] = n
		}
	}
	s.view.keepSettings(out, epoch)
	return out, nil
}

// Validate checks every setting, naming the first field that is wrong.
func (in Settings) Validate() error {
	switch {
	case in.MaxTokenLifetimeDays < 1 || in.MaxTokenLifetimeDays > MaxMaxTokenLifetimeDays:
		return Invalid("max_token_lifetime_days", "Maximum token lifetime must be between 1 and %d days.", MaxMaxTokenLifetimeDays)
	case in.SessionIdleMinutes < MinSessionMinutes || in.SessionIdleMinutes > MaxSessionIdleMinutes:
		return Invalid("session_idle_minutes", "Idle timeout must be between %d and %d minutes (7 days).", MinSessionMinutes, MaxSessionIdleMinutes)
	case in.SessionMaxMinutes < MinSessionMinutes || in.SessionMaxMinutes > MaxSessionMaxMinutes:
		return Invalid("session_max_minutes", "Absolute timeout must be between %d and %d minutes (30 days).", MinSessionMinutes, MaxSessionMaxMinutes)
	case in.SessionIdleMinutes > in.SessionMaxMinutes:
		return Invalid("session_idle_minutes", "Idle timeout must not be longer than the absolute timeout (%d minutes).", in.SessionMaxMinutes)
	case in.SigninFailures < 1 || in.SigninFailures > MaxSigninFailures:
		return Invalid("signin_allowed_failures", "Allowed failures must be between 1 and %d.", MaxSigninFailures)
	case in.SigninBaseWaitSeconds < 1 || in.SigninBaseWaitSeconds > MaxSigninWaitSeconds:
		return Invalid("signin_base_wait_seconds", "First wait must be between 1 and %d seconds (a day).", MaxSigninWaitSeconds)
	case in.SigninMaxWaitSeconds < in.SigninBaseWaitSeconds || in.SigninMaxWaitSeconds > MaxSigninWaitSeconds:
		return Invalid("signin_max_wait_seconds", "Longest wait must be between the first wait (%d seconds) and %d seconds (a day).", in.SigninBaseWaitSeconds, MaxSigninWaitSeconds)
	}
	return nil
}

// SaveSettings validates and stores every setting at once, returning them
// as stored before and after.
func (s *Store) SaveSettings(ctx context.Context, in Settings) (before, after Settings, err error) {
	if err := in.Validate(); err != nil {
		return before, after, err
	}
	if before, err = s.Settings(ctx); err != nil {
		return before, after, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		for k, v := range settingKeys(&in) {
			row := Setting{Key: k, Value: strconv.Itoa(*v)}
			err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value"})}).Create(&row).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	return before, in, err
}
