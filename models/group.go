package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"gatehouse/models/access"
)

// ChannelGroup is a named set of channels. Its grants (resource type
// "group") apply to every member channel, and a resource token naming it
// ("group:<name>") covers every member, both as membership is now.
type ChannelGroup struct {
	ID          uint      `gorm:"primaryKey" json:"-"`
	Name        string    `gorm:"size:100;uniqueIndex:idx_channel_groups_name;not null" json:"name"`
	Description string    `gorm:"size:1000;not null;default:''" json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ChannelGroupMember puts one channel in one channel group.
type ChannelGroupMember struct {
	GroupID   uint `gorm:"primaryKey;autoIncrement:false"`
	ChannelID uint `gorm:"primaryKey;autoIncrement:false;index:idx_channel_group_members_channel"`
}

// SubchannelGroup is a named set of one channel's subchannels; a resource
// token naming it ("<channel>/group:<name>") covers every member.
type SubchannelGroup struct {
	ID        uint      `gorm:"primaryKey"`
	ChannelID uint      `gorm:"not null;uniqueIndex:idx_subchannel_groups_name,priority:1"`
	Name      string    `gorm:"size:100;not null;uniqueIndex:idx_subchannel_groups_name,priority:2"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SubchannelGroupMember puts one subchannel in one subchannel group.
type SubchannelGroupMember struct {
	GroupID      uint `gorm:"primaryKey;autoIncrement:false"`
	SubchannelID uint `gorm:"primaryKey;autoIncrement:false;index:idx_subchannel_group_members_sub"`
}

// ResourceGroup is the resource type of grants on channel groups.
const ResourceGroup = "group"

// MaxGroupMembers bounds how many channels or subchannels one request may
// put in a group.
const MaxGroupMembers = 500

// ValidateGroupName checks a group name: the rules of channel names, as
// group names appear in URLs and token resources ("group:<name>"). Names
// are folded to lower case, so "Ops" and "ops" are one name.
func ValidateGroupName(field, name string) (string, error) {
	return ValidateChannelName(field, strings.ToLower(strings.TrimSpace(name)))
}

// GroupInfo is a channel group with its members (by name), its grants and
// what the engine needs to decide on it.
type GroupInfo struct {
	ChannelGroup
	Channels []Channel
	Grants   LevelGrants
	Access   access.Group
}

// ChannelNames lists the members by name.
func (g *GroupInfo) ChannelNames() []string {
	out := make([]string, len(g.Channels))
	for i, ch := range g.Channels {
		out[i] = ch.Name
	}
	return out
}

// groupInfos completes groups with members, grants and member ACLs: a few
// queries whatever the number of groups.
func (s *Store) groupInfos(ctx context.Context, groups []ChannelGroup) ([]GroupInfo, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	gids := ids(groups, func(g ChannelGroup) uint { return g.ID })
	var members []ChannelGroupMember
	if err := db.Where("group_id IN ?", gids).Find(&members).Error; err != nil {
		return nil, err
	}
	var chans []Channel
	if len(members) > 0 {
		if err := db.Where("id IN ?", ids(members, func(m ChannelGroupMember) uint { return m.ChannelID })).Order("name").Find(&chans).Error; err != nil {
			return nil, err
		}
	}
	acls, err := s.ChannelACLs(ctx, chans)
	if err != nil {
		return nil, err
	}
	grants, err := s.GrantsFor(ctx, ResourceGroup, gids)
	if err != nil {
		return nil, err
	}
	out := make([]GroupInfo, len(groups))
	for i, g := range groups {
		gi := GroupInfo{ChannelGroup: g, Grants: grants[g.ID], Channels: []Channel{}}
		gi.Access = access.Group{Name: g.Name, ByLevel: byLevel(grants[g.ID])}
		for _, ch := range chans {
			if slices.Contains(members, ChannelGroupMember{GroupID: g.ID, ChannelID: ch.ID}) {
				gi.Channels = append(gi.Channels, ch)
				gi.Access.Members = append(gi.Access.Members, acls[ch.ID])
			}
		}
		out[i] = gi
	}
	return out, nil
}

func byLevel(g LevelGrants) map[access.Level]access.Grants {
	out := make(map[access.Level]access.Grants, len(access.Levels))
	for _, l := range access.Levels {
		out[l] = g[l.String()]
	}
	return out
}

// ChannelGroupByName loads one channel group with its members and grants.
func (s *Store) ChannelGroupByName(ctx context.Context, name string) (*GroupInfo, error) {
	if !PossibleChannelName(name) {
		return nil, ErrNotFound
	}
	var g ChannelGroup
	if err := s.db.WithContext(ctx).Where("name = ?", name).First(&g).Error; err != nil {
		return nil, notFound(err)
	}
	infos, err := s.groupInfos(ctx, []ChannelGroup{g})
	if err != nil {
		return nil, err
	}
	return &infos[0], nil
}

// ReadableGroup is a channel group with the subject's own level on it.
type ReadableGroup struct {
	GroupInfo
	Own access.Level
}

// ReadableGroups lists, by name, the channel groups the subject may at
// least read (access.GroupLevel), each with that level. Tokens cap these
// levels further.
func (s *Store) ReadableGroups(ctx context.Context, subj access.Subject) ([]ReadableGroup, error) {
	if subj.Anonymous() || subj.Disabled {
		return nil, nil
	}
	var groups []ChannelGroup
	if err := s.db.WithContext(ctx).Order("name").Find(&groups).Error; err != nil {
		return nil, err
	}
	infos, err := s.groupInfos(ctx, groups)
	if err != nil {
		return nil, err
	}
	var out []ReadableGroup
	for _, gi := range infos {
		if lvl := access.GroupLevel(subj, gi.Access); lvl >= access.Read {
			out = append(out, ReadableGroup{GroupInfo: gi, Own: lvl})
		}
	}
	return out, nil
}

// validateGroupDesc checks a description as channels' are checked.
func validateGroupDesc(desc string) (string, error) {
	if err := validateChannelDesc(desc); err != nil {
		return "", err
	}
	return strings.TrimSpace(desc), nil
}

// CreateChannelGroup adds a channel group with its first members (channel
// ids the caller may put there). Names are unique, whatever their case.
func (s *Store) CreateChannelGroup(ctx context.Context, name, desc string, channelIDs []uint) (*GroupInfo, error) {
	name, err := ValidateGroupName("name", name)
	if err != nil {
		return nil, err
	}
	if desc, err = validateGroupDesc(desc); err != nil {
		return nil, err
	}
	if len(channelIDs) > MaxGroupMembers {
		return nil, Invalid("channels", "A group may list at most %d channels.", MaxGroupMembers)
	}
	g := ChannelGroup{Name: name, Description: desc}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&g).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("A group named %q already exists.", name)
			}
			return err
		}
		return addGroupMembers(tx, g.ID, channelIDs)
	})
	if err != nil {
		return nil, err
	}
	return s.ChannelGroupByName(ctx, name)
}

func addGroupMembers(tx *gorm.DB, groupID uint, channelIDs []uint) error {
	if len(channelIDs) == 0 {
		return nil
	}
	rows := make([]ChannelGroupMember, 0, len(channelIDs))
	for _, id := range channelIDs {
		rows = append(rows, ChannelGroupMember{GroupID: groupID, ChannelID: id})
	}
	return tx.Create(&rows).Error
}

// GroupUpdate changes what is set: the description, and channels to add
// and remove (ids the caller may add and remove).
type GroupUpdate struct {
	Description *string
	Add, Remove []uint
}

// UpdateChannelGroup changes a group's description and members in one
// transaction and returns the group before and after.
func (s *Store) UpdateChannelGroup(ctx context.Context, g *GroupInfo, up GroupUpdate) (*GroupInfo, error) {
	if up.Description != nil {
		d, err := validateGroupDesc(*up.Description)
		if err != nil {
			return nil, err
		}
		up.Description = &d
	}
	if len(g.Channels)+len(up.Add) > MaxGroupMembers {
		return nil, Invalid("channels", "A group may list at most %d channels.", MaxGroupMembers)
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Lock the group row: two edits of one group apply one after the other.
		res := tx.Model(&ChannelGroup{}).Where("id = ?", g.ID).Update("updated_at", s.Now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		var n int64
		if err := tx.Model(&ChannelGroupMember{}).Where("group_id = ?", g.ID).Count(&n).Error; err != nil {
			return err
		}
		if int(n) != len(g.Channels) {
			return Conflict("The group %s changed meanwhile; load it again.", g.Name)
		}
		if up.Description != nil {
			if err := tx.Model(&ChannelGroup{}).Where("id = ?", g.ID).Update("description", *up.Description).Error; err != nil {
				return err
			}
		}
		if len(up.Remove) > 0 {
			if err := tx.Where("group_id = ? AND channel_id IN ?", g.ID, up.Remove).Delete(&ChannelGroupMember{}).Error; err != nil {
				return err
			}
		}
		if err := addGroupMembers(tx, g.ID, up.Add); isDuplicate(err) {
			return Conflict("The group %s changed meanwhile; load it again.", g.Name)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ChannelGroupByName(ctx, g.Name)
}

// DeleteChannelGroup removes a group with its memberships and grants.
func (s *Store) DeleteChannelGroup(ctx context.Context, id uint) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		for _, del := range []struct {
			model any
			where string
			args  []any
		}{
			{&ChannelGroupMember{}, "group_id = ?", []any{id}},
			{&Grant{}, "resource_type = ? AND resource_id = ?", []any{ResourceGroup, id}},
			{&ChannelGroup{}, "id = ?", []any{id}},
		} {
			if err := tx.Where(del.where, del.args...).Delete(del.model).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// SubGroupInfo is a subchannel group with its members by name.
type SubGroupInfo struct {
	SubchannelGroup
	Subchannels []string
}

// SubchannelGroups lists a channel's subchannel groups by name.
func (s *Store) SubchannelGroups(ctx context.Context, ch *Channel) ([]SubGroupInfo, error) {
	var groups []SubchannelGroup
	if err := s.db.WithContext(ctx).Where("channel_id = ?", ch.ID).Order("name").Find(&groups).Error; err != nil {
		return nil, err
	}
	out := make([]SubGroupInfo, 0, len(groups))
	if len(groups) == 0 {
		return out, nil
	}
	var rows []struct {
		GroupID uint
		Name    string
	}
	err := s.db.WithContext(ctx).Raw(`
SELECT m.group_id, s.name FROM subchannel_group_members m JOIN subchannels s ON s.id = m.subchannel_id
WHERE m.group_id IN ? ORDER BY s.name`, ids(groups, func(g SubchannelGroup) uint { return g.ID })).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		gi := SubGroupInfo{SubchannelGroup: g, Subchannels: []string{}}
		for _, r := range rows {
			if r.GroupID == g.ID {
				gi.Subchannels = append(gi.Subchannels, r.Name)
			}
		}
		out = append(out, gi)
	}
	return out, nil
}

// SubchannelGroupByName finds one of a channel's subchannel groups.
func (s *Store) SubchannelGroupByName(ctx context.Context, ch *Channel, name string) (*SubGroupInfo, error) {
	all, err := s.SubchannelGroups(ctx, ch)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == name {
			return &all[i], nil
		}
	}
	return nil, ErrNotFound
}

// subchannelIDs resolves subchannel names of ch, naming every unknown one.
func subchannelIDs(tx *gorm.DB, ch *Channel, names []string) ([]uint, error) {
	if len(names) > MaxGroupMembers {
		return nil, Invalid("subchannels", "A group may list at most %d subchannels.", MaxGroupMembers)
	}
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return nil, Invalid("subchannels", "Subchannel %s is listed twice.", n)
		}
	}
	var subs []Subchannel
	if len(names) > 0 {
		if err := tx.Where("channel_id = ? AND name IN ?", ch.ID, storableOnly(names)).Find(&subs).Error; err != nil {
			return nil, err
		}
	}
	if m := missingNames(names, subs, func(s Subchannel) string { return s.Name }); len(m) > 0 {
		return nil, Invalid("subchannels", "Unknown subchannel of %s: %s.", ch.Name, strings.Join(m, ", "))
	}
	return ids(subs, func(s Subchannel) uint { return s.ID }), nil
}

func setSubGroupMembers(tx *gorm.DB, groupID uint, subIDs []uint) error {
	if err := tx.Where("group_id = ?", groupID).Delete(&SubchannelGroupMember{}).Error; err != nil {
		return err
	}
	if len(subIDs) == 0 {
		return nil
	}
	rows := make([]SubchannelGroupMember, len(subIDs))
	for i, id := range subIDs {
		rows[i] = SubchannelGroupMember{GroupID: groupID, SubchannelID: id}
	}
	return tx.Create(&rows).Error
}

// CreateSubchannelGroup adds a subchannel group of ch with its members.
func (s *Store) CreateSubchannelGroup(ctx context.Context, ch *Channel, name string, subs []string) (*SubGroupInfo, error) {
	name, err := ValidateGroupName("name", name)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		subIDs, err := subchannelIDs(tx, ch, subs)
		if err != nil {
			return err
		}
		g := SubchannelGroup{ChannelID: ch.ID, Name: name}
		if err := tx.Create(&g).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("%s already has a subchannel group named %q.", ch.Name, name)
			}
			return err
		}
		return setSubGroupMembers(tx, g.ID, subIDs)
	})
	if err != nil {
		return nil, err
	}
	return s.SubchannelGroupByName(ctx, ch, name)
}

// SetSubchannelGroup replaces a subchannel group's members and returns
// the group before and after.
func (s *Store) SetSubchannelGroup(ctx context.Context, ch *Channel, name string, subs []string) (before, after *SubGroupInfo, err error) {
	if before, err = s.SubchannelGroupByName(ctx, ch, name); err != nil {
		return nil, nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		subIDs, err := subchannelIDs(tx, ch, subs)
		if err != nil {
			return err
		}
		if err := tx.Model(&SubchannelGroup{}).Where("id = ?", before.ID).Update("updated_at", s.Now()).Error; err != nil {
			return err
		}
		return setSubGroupMembers(tx, before.ID, subIDs)
	})
	if err != nil {
		return nil, nil, err
	}
	after, err = s.SubchannelGroupByName(ctx, ch, name)
	return before, after, err
}

// DeleteSubchannelGroup removes a subchannel group and returns it.
func (s *Store) DeleteSubchannelGroup(ctx context.Context, ch *Channel, name string) (*SubGroupInfo, error) {
	g, err := s.SubchannelGroupByName(ctx, ch, name)
	if err != nil {
		return nil, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("group_id = ?", g.ID).Delete(&SubchannelGroupMember{}).Error; err != nil {
			return err
		}
		return tx.Delete(&SubchannelGroup{}, g.ID).Error
	})
	return g, err
}

// groupOfChannel is one channel's membership of one channel group.
type groupOfChannel struct {
	ChannelID, GroupID uint
	Name               string
}

// groupACLs adds to acls (by channel id) the channel groups each channel
// is in, with their grants, and its subchannels' subchannel groups.
func groupACLs(db *gorm.DB, chIDs []uint, acls map[uint]access.ChannelACL) error {
	if len(chIDs) == 0 {
		return nil
	}
	var in []groupOfChannel
	err := db.Raw(`
SELECT m.channel_id, g.id AS group_id, g.name FROM channel_group_members m JOIN channel_groups g ON g.id = m.group_id
WHERE m.channel_id IN ? ORDER BY g.name`, chIDs).Scan(&in).Error
	if err != nil {
		return err
	}
	if len(in) > 0 {
		grants, err := grantsFor(db, ResourceGroup, ids(in, func(r groupOfChannel) uint { return r.GroupID }))
		if err != nil {
			return err
		}
		for _, r := range in {
			acl := acls[r.ChannelID]
			acl.Groups = append(acl.Groups, access.GroupGrants{Name: r.Name, ByLevel: byLevel(grants[r.GroupID])})
			acls[r.ChannelID] = acl
		}
	}
	var subs []struct {
		ChannelID uint
		Sub       string
		Name      string
	}
	err = db.Raw(`
SELECT g.channel_id, s.name AS sub, g.name FROM subchannel_group_members m
JOIN subchannel_groups g ON g.id = m.group_id JOIN subchannels s ON s.id = m.subchannel_id
WHERE g.channel_id IN ? ORDER BY g.name`, chIDs).Scan(&subs).Error
	if err != nil {
		return err
	}
	for _, r := range subs {
		acl := acls[r.ChannelID]
		if acl.SubGroups == nil {
			acl.SubGroups = map[string][]string{}
		}
		acl.SubGroups[r.Sub] = append(acl.SubGroups[r.Sub], r.Name)
		acls[r.ChannelID] = acl
	}
	return nil
}

// SubchannelGroupNamesOf names the subchannel groups of several channels,
// by channel id, in one query.
func (s *Store) SubchannelGroupNamesOf(ctx context.Context, chans []Channel) (map[uint][]string, error) {
	out := map[uint][]string{}
	if len(chans) == 0 {
		return out, nil
	}
	var groups []SubchannelGroup
	if err := s.db.WithContext(ctx).Where("channel_id IN ?", ids(chans, func(c Channel) uint { return c.ID })).Order("name").Find(&groups).Error; err != nil {
		return nil, err
	}
	for _, g := range groups {
		out[g.ChannelID] = append(out[g.ChannelID], g.Name)
	}
	return out, nil
}
