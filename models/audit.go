package models

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// AuditEvent records one change or sign-in attempt. Details never hold a secret.
type AuditEvent struct {
	ID         uint      `gorm:"primaryKey" json:"id"`
	At         time.Time `gorm:"not null;index" json:"at"`
	ActorID    *uint     `gorm:"index" json:"actor_id,omitempty"`
	ActorEmail string    `gorm:"size:254;index" json:"actor"`
	Action     string    `gorm:"size:64;not null;index" json:"action"`
	Target     string    `gorm:"size:300" json:"target"`
	Details    string    `gorm:"type:text" json:"-"`
	IP         string    `gorm:"size:64" json:"ip,omitempty"`
}

// DetailsMap decodes Details for JSON and views.
func (e AuditEvent) DetailsMap() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(e.Details), &m)
	return m
}

// MarshalJSON includes the decoded details.
func (e AuditEvent) MarshalJSON() ([]byte, error) {
	type plain AuditEvent
	return json.Marshal(struct {
		plain
		Details map[string]any `json:"details,omitempty"`
	}{plain(e), e.DetailsMap()})
}

// Audit is the input for Record: who did what to which target.
type Audit struct {
	ActorID    uint
	ActorEmail string
	IP         string
	Action     string
	Target     string
	Details    map[string]any
}

// Record writes an audit event.
func (s *Store) Record(ctx context.Context, a Audit) error {
	ev := AuditEvent{At: s.Now().UTC(), ActorEmail: a.ActorEmail, Action: a.Action, Target: a.Target, IP: a.IP}
	if a.ActorID != 0 {
		id := a.ActorID
		ev.ActorID = &id
	}
	if len(a.Details) > 0 {
		b, err := json.Marshal(a.Details)
		if err != nil {
			return err
		}
		ev.Details = string(b)
	}
	return s.db.WithContext(ctx).Create(&ev).Error
}

// AuditFilter narrows the audit log; zero fields match everything. Actor
// matches any part of the actor's email.
type AuditFilter struct {
	Actor  string
	Action string
	Since  time.Time
	Until  time.Time
	Limit  int
	Offset int
}

// AuditEvents lists events, newest first.
func (s *Store) AuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	q := s.db.WithContext(ctx).Model(&AuditEvent{})
	if actor := strings.ToLower(strings.TrimSpace(f.Actor)); actor != "" {
		// Any part of an email, literally; emails are stored lower-cased.
		q = q.Where(`actor_email LIKE ? ESCAPE '\'`, "%"+escapeLike(actor)+"%")
	}
	if action := strings.TrimSpace(f.Action); action != "" {
		q = q.Where(`action = ? OR action LIKE ? ESCAPE '\'`, action, escapeLike(action)+".%")
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var evs []AuditEvent
	err := q.Order("at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&evs).Error
	return evs, err
}

// AuditActions lists the distinct actions recorded, for the filter menu.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&AuditEvent{}).Distinct("action").Order("action").Pluck("action", &out).Error
	return out, err
}
