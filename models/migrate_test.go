package models_test

import (
	"slices"
	"testing"

	"gorm.io/gorm"

	"gatehouse/models"
	"gatehouse/models/modeltest"
)

// TestModelsMatchSchema catches a struct field added without its migration:
// every column GORM would read or write must exist after the migrations.
func TestModelsMatchSchema(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		db := s.DB()
		for _, m := range models.AllModels() {
			stmt := &gorm.Statement{DB: db}
			if err := stmt.Parse(m); err != nil {
				t.Fatal(err)
			}
			st := stmt.Schema
			if !db.Migrator().HasTable(st.Table) {
				t.Errorf("table %s (%T) has no migration", st.Table, m)
				continue
			}
			for _, f := range st.Fields {
				if f.DBName != "" && !db.Migrator().HasColumn(m, f.DBName) {
					t.Errorf("column %s.%s (%T.%s) has no migration", st.Table, f.DBName, m, f.Name)
				}
			}
		}
	})
}

// TestMigrationsTwice shows that applying the migrations again changes
// nothing, and that every migration is recorded as applied.
func TestMigrationsTwice(t *testing.T) {
	modeltest.ForEach(t, func(t *testing.T, s *models.Store) {
		applied, err := s.ApplyMigrations(t.Context())
		if err != nil || len(applied) != 0 {
			t.Fatalf("second run applied %v, %v", applied, err)
		}
		st, err := s.MigrationStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(st) < 2 {
			t.Fatalf("status lists %d migrations", len(st))
		}
		for _, m := range st {
			if !m.Applied {
				t.Errorf("migration %d %s not applied", m.Version, m.Name)
			}
		}
	})
}

// TestMigrationsWaitForTheLock holds the migration lock while an instance
// starts: it waits on the lock, applies nothing meanwhile, and finishes once
// the lock is free. Then several instances start at once on a fresh schema.
func TestMigrationsWaitForTheLock(t *testing.T) {
	if !slices.Contains(modeltest.Backends(t), modeltest.Postgres) {
		return // SQLite serves one instance; there is nothing to race
	}
	dsn := modeltest.DSN(t, modeltest.Postgres)
	holder, err := models.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	unlock, err := holder.LockMigrations(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		s, err := models.Open(dsn)
		if err == nil {
			defer s.Close()
			_, err = s.ApplyMigrations(t.Context())
		}
		done <- err
	}()
	// Wait until the starting instance is blocked on the advisory lock.
	for waiting := int64(0); waiting == 0; {
		select {
		case err := <-done:
			t.Fatalf("migrations ran while the lock was held: %v", err)
		default:
		}
		holder.DB().Raw("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%pg_advisory_lock%'").Scan(&waiting)
	}
	if holder.DB().Migrator().HasTable("users") {
		t.Fatal("tables exist while the lock is held")
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !holder.DB().Migrator().HasTable("users") {
		t.Fatal("no tables after the lock was released")
	}

	// Several instances at once: each migration is applied exactly once.
	dsn = modeltest.DSN(t, modeltest.Postgres)
	const n = 5
	errs := make(chan error, n)
	applied := make(chan int, n)
	for range n {
		go func() {
			s, err := models.Open(dsn)
			if err != nil {
				applied <- 0
				errs <- err
				return
			}
			defer s.Close()
			done, err := s.ApplyMigrations(t.Context())
			applied <- len(done)
			errs <- err
		}()
	}
	total := 0
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-applied
	}
	s := modeltest.OpenDSN(t, dsn)
	st, _ := s.MigrationStatus(t.Context())
	if total != len(st) {
		t.Fatalf("%d instances applied %d migrations in all; there are %d", n, total, len(st))
	}
}
