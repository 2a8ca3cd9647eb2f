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
	ID          uint      `gorm:"primaryKey" json:"id"`
	ChannelID   uint      `gorm:"not null;uniqueIndex:idx_sub_name,priority:1" json:"-"`
	Name        string    `gorm:"size:100;not null;uniqueIndex:idx_sub_name,priority:2" json:"name"`
	Description string    `gorm:"size:1000;not null;default:''" json:"description"`
	CreatedAt   time.Time `json:"created_at"`
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
	Summary       string    `gorm:"type:text;not null;default:''" json:"-"` // from info/about.json
	Home          string    `gorm:"type:text;not null;default:''" json:"-"`
	Timestamp     int64     `gorm:"not null;default:0" json:"timestamp"` // milliseconds since the epoch, as conda writes it
	Size          int64     `gorm:"not null" json:"size"`
	MD5           string    `gorm:"size:32;not null" json:"md5"`
	SHA256        string    `gorm:"size:64;not null;index" json:"sha256"`
	UploaderID    *uint     `json:"-"`
	MirrorID      uint      `gorm:"not null;default:0;index" json:"-"` // the mirror that added it; 0: uploaded
	CreatedAt     time.Time `json:"created_at"`
}

// ChannelACLs loads what decides access to each channel: privacy, grants,
// the channel groups it is in with theirs, and its subchannel groups.
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
	if err := groupACLs(s.db.WithContext(ctx), idList, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ChannelByName returns a channel by its name.
func (s *Store) ChannelByName(ctx context.Context, name string) (*Channel, error) {
	if !PossibleChannelName(name) {
		return nil, ErrNotFound // not even asked: PostgreSQL refuses NUL and invalid UTF-8
	}
	channels := func() map[string]Channel { return s.view.channels }
	if ch, ok := cached(s.view, channels, name); ok {
		if ch.ID == 0 {
			return nil, ErrNotFound // known missing: as cheap as a known channel
		}
		return &ch, nil
	}
	epoch := s.view.epoch(partChannels)
	var ch Channel
	if err := s.db.WithContext(ctx).Where("name = ?", name).First(&ch).Error; err != nil {
		if err = notFound(err); err == ErrNotFound {
			keep(s.view, partChannels, epoch, channels, name, Channel{})
		}
		return nil, err
	}
	keep(s.view, partChannels, epoch, channels, name, ch)
	return &ch, nil
}

// ChannelACL loads what decides access to one channel: its privacy (from
// ch) and its grants.
func (s *Store) ChannelACL(ctx context.Context, ch *Channel) (access.ChannelACL, error) {
	acls := func() map[uint]access.ChannelACL { return s.view.acls }
	if acl, ok := cached(s.view, acls, ch.ID); ok {
		acl.Public = ch.Public // the view keeps the grants; the row says the privacy
		return acl, nil
	}
	epoch := s.view.epoch(partACLs)
	all, err := s.ChannelACLs(ctx, []Channel{*ch})
	if err != nil {
		return access.ChannelACL{}, err
	}
	keep(s.view, partACLs, epoch, acls, ch.ID, all[ch.ID])
	return all[ch.ID], nil
}

// ReadableChannel is a channel with the subject's own level on it.
type ReadableChannel struct {
	Channel
	Own access.Level
}

// ReadableChannels lists, by name, the channels the subject may at least
// read, each with the subject's own level there (access.ChannelLevel,
// grants on the channel groups it is in included): one query, scoped by
// who asks. Tokens cap these levels further.
func (s *Store) ReadableChannels(ctx context.Context, subj access.Subject) ([]ReadableChannel, error) {
	var out []ReadableChannel
	db := s.db.WithContext(ctx)
	switch {
	case subj.IsAdmin():
		var all []Channel
		if err := db.Order("name").Find(&all).Error; err != nil {
			return nil, err
		}
		for _, ch := range all {
			out = append(out, ReadableChannel{Channel: ch, Own: access.Manage})
		}
		return out, nil
	case subj.Disabled:
		return nil, nil
	}
	type row struct {
		Channel
		Best int
	}
	var rows []row
	err := db.Raw(`
SELECT c.*, COALESCE(MAX(CASE g.level WHEN 'manage' THEN 3 WHEN 'write' THEN 2 WHEN 'read' THEN 1 END), 0) AS best
FROM channels c
LEFT JOIN grants g ON (g.resource_type = 'channel' AND g.resource_id = c.id
  OR g.resource_type = 'group' AND g.resource_id IN (SELECT m.group_id FROM channel_group_members m WHERE m.channel_id = c.id)) AND (
     (g.principal_kind = 'user' AND g.principal_id = ?)
  OR (g.principal_kind = 'role' AND g.principal_id IN (SELECT id FROM roles WHERE name IN ?))
  OR (g.principal_kind = 'team' AND g.principal_id IN (SELECT id FROM teams WHERE name IN ?)))
GROUP BY c.id
HAVING c.public OR COALESCE(MAX(CASE g.level WHEN 'manage' THEN 3 WHEN 'write' THEN 2 WHEN 'read' THEN 1 END), 0) > 0
ORDER BY c.name`, subj.UserID, storableOnly(subj.Roles), storableOnly(subj.Teams)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out = append(out, ReadableChannel{Channel: r.Channel, Own: max(access.Level(r.Best), publicLevel(r.Public))})
	}
	return out, nil
}

func publicLevel(public bool) access.Level {
	if public {
		return access.Read
	}
	return access.None
}
