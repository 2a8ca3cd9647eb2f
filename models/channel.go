package models

import (
	"context"
	"time"

	"gatehouse/models/access"
)

// Channel is a conda channel: a named set of artifacts with its own access.
type Channel struct {
	ID          uint   `gorm:"primaryKey" json:"id"`
	Name        string `gorm:"size:100;uniqueIndex;not null" json:"name"`
	Description string `gorm:"size:1000" json:"description"`
	Public      bool   `gorm:"not null;default:false" json:"-"`
	// Generation goes up with every upload and delete, so every instance
	// knows when its cached repodata is stale.
	Generation int64     `gorm:"not null;default:0" json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Privacy is "public" or "private".
func (ch *Channel) Privacy() string {
	if ch.Public {
		return "public"
	}
	return "private"
}

// Subchannel is <channel>/<name>; it shares its channel's access.
type Subchannel struct {
	ID        uint      `gorm:"primaryKey" json:"id"`
	ChannelID uint      `gorm:"not null;uniqueIndex:idx_sub_name,priority:1" json:"-"`
	Name      string    `gorm:"size:100;not null;uniqueIndex:idx_sub_name,priority:2" json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Artifact is one conda package file in a channel or subchannel. Its
// metadata comes from the archive's info/index.json; the file is stored
// content-addressed by SHA256.
type Artifact struct {
	ID            uint      `gorm:"primaryKey" json:"id"`
	ChannelID     uint      `gorm:"not null;uniqueIndex:idx_artifact_place,priority:1;index:idx_artifact_subdir,priority:1" json:"-"`
	SubchannelID  uint      `gorm:"not null;default:0;uniqueIndex:idx_artifact_place,priority:2;index:idx_artifact_subdir,priority:2" json:"-"` // 0: the channel itself
	Subdir        string    `gorm:"size:32;not null;uniqueIndex:idx_artifact_place,priority:3;index:idx_artifact_subdir,priority:3" json:"subdir"`
	Filename      string    `gorm:"size:255;not null;uniqueIndex:idx_artifact_place,priority:4" json:"filename"`
	Name          string    `gorm:"size:255;not null;index" json:"name"`
	Version       string    `gorm:"size:100;not null" json:"version"`
	Build         string    `gorm:"size:255;not null" json:"build"`
	BuildNumber   int       `gorm:"not null" json:"build_number"`
	Depends       string    `gorm:"type:text;not null;default:'[]'" json:"-"` // JSON array of strings
	Constrains    string    `gorm:"type:text;not null;default:'[]'" json:"-"` // JSON array of strings
	Extra         string    `gorm:"type:text;not null;default:'{}'" json:"-"` // JSON of conda.Extra
	License       string    `gorm:"size:255" json:"license"`
	LicenseFamily string    `gorm:"size:100" json:"-"`
	Timestamp     int64     `gorm:"not null;default:0" json:"timestamp"` // milliseconds since the epoch, as conda writes it
	Size          int64     `gorm:"not null" json:"size"`
	MD5           string    `gorm:"size:32;not null" json:"md5"`
	SHA256        string    `gorm:"size:64;not null;index" json:"sha256"`
	UploaderID    *uint     `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
}

// ChannelACLs loads what decides access to each channel: privacy and grants.
func (s *Store) ChannelACLs(ctx context.Context, channels []Channel) (map[uint]access.ChannelACL, error) {
	idList := ids(channels, func(c Channel) uint { return c.ID })
	grants, err := s.GrantsFor(ctx, ResourceChannel, idList)
	if err != nil {
		return nil, err
	}
	out := make(map[uint]access.ChannelACL, len(channels))
	for _, ch := range channels {
		acl := access.ChannelACL{Public: ch.Public, ByLevel: map[access.Level]access.Grants{}}
		for _, l := range access.Levels {
			acl.ByLevel[l] = grants[ch.ID][l.String()]
		}
		out[ch.ID] = acl
	}
	return out, nil
}

// ChannelByName returns a channel by its name.
func (s *Store) ChannelByName(ctx context.Context, name string) (*Channel, error) {
	if !PossibleChannelName(name) {
		return nil, ErrNotFound // not even asked: PostgreSQL refuses NUL and invalid UTF-8
	}
	var ch Channel
	if err := s.db.WithContext(ctx).Where("name = ?", name).First(&ch).Error; err != nil {
		return nil, notFound(err)
	}
	return &ch, nil
}

// ChannelLevel is the subject's level on one channel (and its subchannels).
func (s *Store) ChannelLevel(ctx context.Context, subj access.Subject, ch *Channel) (access.Level, error) {
	if subj.IsAdmin() {
		return access.Manage, nil // no grant can change that; skip the query
	}
	acls, err := s.ChannelACLs(ctx, []Channel{*ch})
	if err != nil {
		return access.None, err
	}
	return access.ChannelLevel(subj, acls[ch.ID]), nil
}

// ReadableChannels lists, by name, the channels the subject may at least read.
func (s *Store) ReadableChannels(ctx context.Context, subj access.Subject) ([]Channel, error) {
	var all []Channel
	if err := s.db.WithContext(ctx).Order("name").Find(&all).Error; err != nil {
		return nil, err
	}
	if subj.IsAdmin() {
		return all, nil
	}
	acls, err := s.ChannelACLs(ctx, all)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ch := range all {
		if access.ChannelLevel(subj, acls[ch.ID]) >= access.Read {
			out = append(out, ch)
		}
	}
	return out, nil
}
