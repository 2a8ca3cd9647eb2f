package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"

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
