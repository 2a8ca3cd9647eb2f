package models

import "gorm.io/gorm"

// ChannelHistorySQL is the statement ChannelHistory runs, for EXPLAIN.
func (s *Store) ChannelHistorySQL(ch *Channel, sub *Subchannel, f HistoryFilter) string {
	return s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
		return s.historyQuery(tx, ch, sub, f).Find(&[]AuditEvent{})
	})
}
