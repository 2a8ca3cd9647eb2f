package models

import (
	"context"
	"encoding/json"
	"errors"

	"gorm.io/gorm/clause"
)

// MaxDefaultChannels bounds the install's default channel list.
const MaxDefaultChannels = 50

const keyDefaultChannels = "default_channels"

// DefaultChannels is the install's ordered list of default channels, as
// conda's default_channels: the channels that exist of those set (a
// channel deleted since drops out).
func (s *Store) DefaultChannels(ctx context.Context) ([]string, error) {
	names, err := s.storedDefaultChannels(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		switch _, err := s.ChannelByName(ctx, n); {
		case err == nil:
			out = append(out, n)
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) storedDefaultChannels(ctx context.Context) ([]string, error) {
	var rows []Setting
	if err := s.db.WithContext(ctx).Where("key = ?", keyDefaultChannels).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal([]byte(rows[0].Value), &names); err != nil {
		return nil, nil // unreadable: as if none were set
	}
	return names, nil
}

// ValidateDefaultChannels checks a list's form: valid names, no repeats,
// not too many. Whether each exists and who may list it is the caller's.
func ValidateDefaultChannels(names []string) error {
	if len(names) > MaxDefaultChannels {
		return Invalid("channels", "List at most %d default channels.", MaxDefaultChannels)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !PossibleChannelName(n) {
			return Invalid("channels", "%q is not a channel name.", truncate(n, MaxChannelNameLen))
		}
		if seen[n] {
			return Invalid("channels", "%s is listed twice.", n)
		}
		seen[n] = true
	}
	return nil
}

// SetDefaultChannels stores the list as it is, returning the one before.
func (s *Store) SetDefaultChannels(ctx context.Context, names []string) (before []string, err error) {
	if err := ValidateDefaultChannels(names); err != nil {
		return nil, err
	}
	if before, err = s.DefaultChannels(ctx); err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	b, err := json.Marshal(names)
	if err != nil {
		return nil, err
	}
	row := Setting{Key: keyDefaultChannels, Value: string(b)}
	err = s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value"})}).Create(&row).Error
	return before, err
}

// truncate cuts s to at most n bytes, for messages that quote input.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
