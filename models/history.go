package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// HistoryActions are the kinds of audit events that make up a channel's
// history: other events may name the same target (a token or a team
// called like a channel) and are never part of it.
var HistoryActions = []string{"channel", "subchannel", "artifact", "mirror", "group"}

// HistoryFilter narrows a channel's history; zero fields match everything.
// Action is an action or a family ("artifact" for every artifact.*);
// Actor matches any part of the actor's email.
type HistoryFilter struct {
	Action string
	Actor  string
	Since  time.Time
	Until  time.Time
	Limit  int
	Offset int
}

// ChannelHistory lists the events of a channel (with its subchannels) or,
// when sub is set, of that subchannel alone, newest first. Only events
// since the channel's (or subchannel's) creation count, so one created
// again under an old name does not inherit what happened to the old one.
func (s *Store) ChannelHistory(ctx context.Context, ch *Channel, sub *Subchannel, f HistoryFilter) ([]AuditEvent, error) {
	var evs []AuditEvent
	err := s.historyQuery(s.db.WithContext(ctx), ch, sub, f).Find(&evs).Error
	return evs, err
}

func (s *Store) historyQuery(db *gorm.DB, ch *Channel, sub *Subchannel, f HistoryFilter) *gorm.DB {
	q := db.Model(&AuditEvent{})
	created := ch.CreatedAt
	if sub != nil {
		q = q.Where("target = ?", ch.Name+"/"+sub.Name)
		created = sub.CreatedAt
	} else {
		q = q.Where(s.underChannel(ch.Name))
	}
	fam := s.db.Where("action LIKE ?", HistoryActions[0]+".%")
	for _, a := range HistoryActions[1:] {
		fam = fam.Or("action LIKE ?", a+".%")
	}
	q = q.Where(fam)
	since := created
	if f.Since.After(since) {
		since = f.Since
	}
	q = q.Where("at >= ?", since.UTC())
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	if actor := strings.ToLower(strings.TrimSpace(f.Actor)); actor != "" {
		q = q.Where(`actor_email LIKE ? ESCAPE '\'`, "%"+escapeLike(actor)+"%")
	}
	if action := strings.TrimSpace(f.Action); action != "" {
		q = q.Where(`action = ? OR action LIKE ? ESCAPE '\'`, action, escapeLike(action)+".%")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	return q.Order("at DESC, id DESC").Limit(f.Limit).Offset(f.Offset)
}

// underChannel matches targets that are the channel or lie under it
// ("name/…"), exactly and through the target index: PostgreSQL's index
// uses text_pattern_ops, so a LIKE prefix uses it whatever the collation;
// SQLite compares bytes, so a range does ('/' + 1 is '0').
func (s *Store) underChannel(name string) *gorm.DB {
	if s.db.Dialector.Name() == "postgres" {
		return s.db.Where(`target = ? OR target LIKE ? ESCAPE '\'`, name, escapeLike(name)+"/%")
	}
	return s.db.Where("target = ? OR (target >= ? AND target < ?)", name, name+"/", name+"0")
}
