package models

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"gatehouse/models/conda"
)

var channelNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// MaxChannelNameLen bounds channel and subchannel names.
const MaxChannelNameLen = 100

// ValidateChannelName checks a channel or subchannel name: lowercase letters,
// digits, "-", "_" and ".", starting with a letter or digit.
func ValidateChannelName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Invalid(field, "Name is required.")
	case len(name) > MaxChannelNameLen:
		return "", Invalid(field, "Name must be at most %d characters.", MaxChannelNameLen)
	case !channelNameRE.MatchString(name):
		return "", Invalid(field, "Use lowercase letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit.")
	}
	return name, nil
}

// validateChannelDesc checks a description's length and that every database
// can store it: valid UTF-8 without NUL bytes.
func validateChannelDesc(desc string) error {
	switch {
	case len(desc) > MaxDescLen:
		return Invalid("description", "Description must be at most %d characters.", MaxDescLen)
	case !utf8.ValidString(desc) || strings.ContainsRune(desc, 0):
		return Invalid("description", "Description must be plain text (valid UTF-8, no NUL characters).")
	}
	return nil
}

// PossibleChannelName reports whether a channel or subchannel could have
// this name; lookups of any other name are not found without a query.
func PossibleChannelName(name string) bool {
	if name == "" || len(name) > MaxChannelNameLen {
		return false
	}
	// channelNameRE as a loop: every conda request asks this.
	for i := 0; i < len(name); i++ {
		c := name[i]
		lower, digit := c >= 'a' && c <= 'z', c >= '0' && c <= '9'
		if !lower && !digit && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// NewChannel is the input for CreateChannel.
type NewChannel struct {
	Name        string
	Description string
	Public      bool
}

// CreateChannel adds a channel; names are unique.
func (s *Store) CreateChannel(ctx context.Context, in NewChannel) (*Channel, error) {
	name, err := ValidateChannelName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if err := validateChannelDesc(in.Description); err != nil {
		return nil, err
	}
	ch := &Channel{Name: name, Description: strings.TrimSpace(in.Description), Public: in.Public}
	if err := s.db.WithContext(ctx).Create(ch).Error; err != nil {
		if isDuplicate(err) {
			return nil, Conflict("A channel named %q already exists.", name)
		}
		return nil, err
	}
	return ch, nil
}

// ChannelUpdate changes what is set.
type ChannelUpdate struct {
	Description *string
	Public      *bool
}

// UpdateChannel changes a channel's description or privacy.
func (s *Store) UpdateChannel(ctx context.Context, id uint, up ChannelUpdate) (before, after *Channel, err error) {
	if up.Description != nil {
		if err := validateChannelDesc(*up.Description); err != nil {
			return nil, nil, err
		}
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var ch Channel
		if err := tx.First(&ch, id).Error; err != nil {
			return notFound(err)
		}
		old := ch
		before = &old
		if up.Description != nil {
			ch.Description = strings.TrimSpace(*up.Description)
		}
		if up.Public != nil {
			ch.Public = *up.Public
		}
		after = &ch
		return tx.Model(&ch).Select("description", "public", "updated_at").Updates(&ch).Error
	})
	return before, after, err
}

// DeleteChannel removes a channel with its subchannels, artifacts, grants,
// subchannel groups and its places in channel groups.
// It returns the channel and the SHA256 of every artifact removed, so their
// blobs can be collected once nothing refers to them.
func (s *Store) DeleteChannel(ctx context.Context, id uint) (*Channel, []string, error) {
	var ch Channel
	var shas []string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Lock the channel row first: an upload in flight holds it until it
		// commits, so its artifact is seen (and removed) below.
		if err := bumpGeneration(tx, id); err != nil {
			return err
		}
		if err := tx.First(&ch, id).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Model(&Artifact{}).Where("channel_id = ?", id).Distinct().Pluck("sha256", &shas).Error; err != nil {
			return err
		}
		for _, del := range []struct {
			model any
			where string
			args  []any
		}{
			{&Artifact{}, "channel_id = ?", []any{id}},
			{&PackageName{}, "channel_id = ?", []any{id}},
			{&SubchannelGroupMember{}, "group_id IN (SELECT id FROM subchannel_groups WHERE channel_id = ?)", []any{id}},
			{&SubchannelGroup{}, "channel_id = ?", []any{id}},
			{&ChannelGroupMember{}, "channel_id = ?", []any{id}},
			{&Subchannel{}, "channel_id = ?", []any{id}},
			{&Grant{}, "resource_type = ? AND resource_id = ?", []any{ResourceChannel, id}},
			{&Channel{}, "id = ?", []any{id}},
		} {
			if err := tx.Where(del.where, del.args...).Delete(del.model).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return &ch, shas, nil
}

// Channels lists every channel by name (admins' view; see ReadableChannels).
func (s *Store) Channels(ctx context.Context) ([]Channel, error) {
	var all []Channel
	err := s.db.WithContext(ctx).Order("name").Find(&all).Error
	return all, err
}

// ChannelGeneration reads a channel's generation: one primary-key lookup.
func (s *Store) ChannelGeneration(ctx context.Context, id uint) (int64, error) {
	var gen int64
	err := s.db.WithContext(ctx).Model(&Channel{}).Where("id = ?", id).Pluck("generation", &gen).Error
	return gen, err
}

// CreateSubchannel adds <channel>/<name>; a conda subdir is not a valid name.
func (s *Store) CreateSubchannel(ctx context.Context, ch *Channel, name string) (*Subchannel, error) {
	name, err := ValidateChannelName("name", name)
	if err != nil {
		return nil, err
	}
	if conda.LooksLikeSubdir(name) {
		return nil, Invalid("name", "%q is a conda subdir and cannot name a subchannel.", name)
	}
	sub := &Subchannel{ChannelID: ch.ID, Name: name}
	if err := s.db.WithContext(ctx).Create(sub).Error; err != nil {
		if isDuplicate(err) {
			return nil, Conflict("%s/%s already exists.", ch.Name, name)
		}
		return nil, err
	}
	return sub, nil
}

// UpdateSubchannel changes a subchannel's description, returning it
// before and after.
func (s *Store) UpdateSubchannel(ctx context.Context, ch *Channel, name, desc string) (before, after *Subchannel, err error) {
	if err := validateChannelDesc(desc); err != nil {
		return nil, nil, err
	}
	if !PossibleChannelName(name) {
		return nil, nil, ErrNotFound
	}
	var sub Subchannel
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("channel_id = ? AND name = ?", ch.ID, name).First(&sub).Error; err != nil {
			return notFound(err)
		}
		old := sub
		before = &old
		sub.Description = strings.TrimSpace(desc)
		if sub.Description == old.Description {
			return nil
		}
		return tx.Model(&Subchannel{}).Where("id = ?", sub.ID).Update("description", sub.Description).Error
	})
	if err != nil {
		return nil, nil, err
	}
	return before, &sub, nil
}

// Subchannels lists a channel's subchannels by name.
func (s *Store) Subchannels(ctx context.Context, ch *Channel) ([]Subchannel, error) {
	var subs []Subchannel
	err := s.db.WithContext(ctx).Where("channel_id = ?", ch.ID).Order("name").Find(&subs).Error
	return subs, err
}

// SubchannelsOf lists the subchannels of several channels by name.
func (s *Store) SubchannelsOf(ctx context.Context, chans []Channel) ([]Subchannel, error) {
	var subs []Subchannel
	if len(chans) == 0 {
		return subs, nil
	}
	err := s.db.WithContext(ctx).Where("channel_id IN ?", ids(chans, func(c Channel) uint { return c.ID })).Order("name").Find(&subs).Error
	return subs, err
}

// SubchannelByName finds <channel>/<name>.
func (s *Store) SubchannelByName(ctx context.Context, ch *Channel, name string) (*Subchannel, error) {
	if !PossibleChannelName(name) {
		return nil, ErrNotFound
	}
	subs, k := func() map[subKey]Subchannel { return s.view.subs }, subKey{ch.ID, name}
	if sub, ok := cached(s.view, subs, k); ok {
		if sub.ID == 0 {
			return nil, ErrNotFound
		}
		return &sub, nil
	}
	epoch := s.view.epoch(partSubs)
	var sub Subchannel
	if err := s.db.WithContext(ctx).Where("channel_id = ? AND name = ?", ch.ID, name).First(&sub).Error; err != nil {
		if err = notFound(err); err == ErrNotFound {
			keep(s.view, partSubs, epoch, subs, k, Subchannel{})
		}
		return nil, err
	}
	keep(s.view, partSubs, epoch, subs, k, sub)
	return &sub, nil
}

// DeleteSubchannel removes a subchannel and its artifacts, returning the
// removed artifacts' SHA256s.
func (s *Store) DeleteSubchannel(ctx context.Context, ch *Channel, name string) (*Subchannel, []string, error) {
	var sub Subchannel
	var shas []string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Lock the channel row first, as uploads do (see AddArtifactWith).
		if err := bumpGeneration(tx, ch.ID); err != nil {
			return err
		}
		if err := tx.Where("channel_id = ? AND name = ?", ch.ID, name).First(&sub).Error; err != nil {
			return notFound(err)
		}
		q := tx.Model(&Artifact{}).Where("channel_id = ? AND subchannel_id = ?", ch.ID, sub.ID)
		if err := q.Distinct().Pluck("sha256", &shas).Error; err != nil {
			return err
		}
		if err := tx.Where("subchannel_id = ?", sub.ID).Delete(&SubchannelGroupMember{}).Error; err != nil {
			return err
		}
		for _, model := range []any{&Artifact{}, &PackageName{}, &Mirror{}} {
			if err := tx.Where("channel_id = ? AND subchannel_id = ?", ch.ID, sub.ID).Delete(model).Error; err != nil {
				return err
			}
		}
		return tx.Delete(&sub).Error
	})
	if err != nil {
		return nil, nil, err
	}
	return &sub, shas, nil
}

// bumpGeneration marks the channel's repodata stale and locks its row until
// the transaction ends; a channel that is gone is ErrNotFound.
func bumpGeneration(tx *gorm.DB, channelID uint) error {
	res := tx.Model(&Channel{}).Where("id = ?", channelID).UpdateColumn("generation", gorm.Expr("generation + 1"))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
