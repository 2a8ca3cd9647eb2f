package models_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gatehouse/models"
)

// The SQLite file keeps its settings (WAL, busy timeout, foreign keys) and
// stores times as text in one sortable format, the one databases written
// by earlier releases hold, so time comparisons in SQL stay right.
func TestSQLiteSettingsAndTimeFormat(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a dir with #, ? and %20")
	path := filepath.Join(dir, "gatehouse.db")
	s, err := models.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database is not at the path given: %v", err)
	}
	db := s.DB()
	var version string
	db.Raw("SELECT sqlite_version()").Scan(&version)
	t.Logf("SQLite %s", version)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000", "synchronous": "1"} {
		var got string
		if err := db.Raw("PRAGMA " + pragma).Scan(&got).Error; err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}

	ctx := t.Context()
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	s.Now = func() time.Time { return at }
	if err := s.Record(ctx, models.Audit{Action: "test.one", Target: "x"}); err != nil {
		t.Fatal(err)
	}
	var raw string // read as text: the driver decodes datetime columns
	if err := db.Raw("SELECT at || '' FROM audit_events WHERE action = 'test.one'").Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	if raw != "2026-03-04 05:06:07.89+00:00" {
		t.Errorf("stored time %q, want the format 2006-01-02 15:04:05.999999999-07:00", raw)
	}
	// A row in that format, as an earlier release wrote it, compares right
	// with times the store binds now.
	if err := db.Exec("INSERT INTO audit_events (at, action, target, actor_email, ip, details) VALUES ('2026-03-04 05:06:08+00:00', 'test.old', 'x', '', '', '{}')").Error; err != nil {
		t.Fatal(err)
	}
	evs, err := s.AuditEvents(ctx, models.AuditFilter{Since: at.Add(50 * time.Millisecond), Until: at.Add(2 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Action != "test.old" || !evs[0].At.Equal(at.Add(110*time.Millisecond)) {
		t.Errorf("events in the window: %+v", evs)
	}
	if ok, _ := regexp.MatchString(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`, raw); !ok {
		t.Errorf("stored time %q does not sort as text", raw)
	}
}
