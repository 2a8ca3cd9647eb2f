package models_test

import (
	"fmt"
	"strings"
	"testing"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// The history query reads the audit log through the target index on both
// databases, for the channel (name or "name/…") and a subchannel.
func TestChannelHistoryUsesTheTargetIndex(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		ch, err := s.CreateChannel(ctx, models.NewChannel{Name: "c_7"})
		if err != nil {
			t.Fatal(err)
		}
		db := s.DB().WithContext(ctx)
		var rows []models.AuditEvent
		for i := range 5000 {
			rows = append(rows, models.AuditEvent{At: ch.CreatedAt, Action: "artifact.upload", Target: fmt.Sprintf("c_%d/s%d", i%400, i%3)})
		}
		if err := db.CreateInBatches(rows, 500).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("ANALYZE").Error; err != nil {
			t.Fatal(err)
		}
		sub := &models.Subchannel{Name: "s1", CreatedAt: ch.CreatedAt}
		for _, tc := range []struct {
			name string
			sub  *models.Subchannel
		}{{"channel", nil}, {"subchannel", sub}} {
			q := s.ChannelHistorySQL(ch, tc.sub, models.HistoryFilter{})
			var plan []string
			explain := "EXPLAIN "
			if db.Dialector.Name() == "sqlite" {
				explain = "EXPLAIN QUERY PLAN "
			}
			rs, err := db.Raw(explain + q).Rows()
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rs.Columns()
			for rs.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rs.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, fmt.Sprint(vals...))
			}
			rs.Close()
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, "idx_audit_events_target") {
				t.Errorf("%s history does not use the target index:\n%s\n%s", tc.name, q, text)
			}
			t.Logf("%s plan:\n%s", tc.name, text)
			evs, err := s.ChannelHistory(ctx, ch, tc.sub, models.HistoryFilter{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"channel": 13, "subchannel": 5}[tc.name] // i = 7, 407, … 4807; every third in s1
			if len(evs) != want {
				t.Errorf("%s: %d events, want %d", tc.name, len(evs), want)
			}
		}
	})
}
