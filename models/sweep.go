package models

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm/clause"

	"gatehouse/models/blobs"
)

// Sweep frees what interrupted work left behind: staging files of uploads
// no longer running, and blobs no artifact refers to that were last
// written more than grace ago. The grace period spares the blob of an
// upload that is about to record its row; even without it, collection and
// recording take the blob's lock (see CollectBlob), and an upload puts its
// blob back under that lock when it was collected meanwhile. Safe to run on
// several instances at once.
func (s *Store) Sweep(ctx context.Context, b blobs.Store, grace time.Duration) (blobs.Freed, error) {
	freed := b.SweepStaging()
	cutoff := s.Now().Add(-grace)
	var batch []blobs.Info
	flush := func() error {
		n, err := s.collectUnreferenced(ctx, b, batch)
		freed = freed.Add(n)
		batch = batch[:0]
		return err
	}
	err := b.Walk(ctx, func(i blobs.Info) error {
		if i.Modified.After(cutoff) {
			return nil
		}
		if batch = append(batch, i); len(batch) == 500 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return freed, err
}

// collectUnreferenced collects those of infos no artifact refers to.
func (s *Store) collectUnreferenced(ctx context.Context, b blobs.Store, infos []blobs.Info) (freed blobs.Freed, err error) {
	if len(infos) == 0 {
		return freed, nil
	}
	shas := make([]string, len(infos))
	for i, in := range infos {
		shas[i] = in.SHA256
	}
	var used []string
	if err := s.db.WithContext(ctx).Model(&Artifact{}).Distinct("sha256").Where("sha256 IN ?", shas).Pluck("sha256", &used).Error; err != nil {
		return freed, err
	}
	inUse := make(map[string]bool, len(used))
	for _, u := range used {
		inUse[u] = true
	}
	var errs []error
	for _, in := range infos {
		if inUse[in.SHA256] {
			continue
		}
		removed, err := s.CollectBlob(ctx, in.SHA256, func() error { return b.Remove(ctx, in.SHA256) })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if removed {
			freed.Blobs++
			freed.BlobBytes += in.Size
		}
	}
	return freed, errors.Join(errs...)
}

// BlobSHAs lists every blob the artifacts refer to, in order, from after
// (exclusive) on, at most limit of them: what must be in a blob store.
func (s *Store) BlobSHAs(ctx context.Context, after string, limit int) ([]BlobRef, error) {
	var out []BlobRef
	err := s.db.WithContext(ctx).Model(&Artifact{}).Select("sha256, MAX(size) AS size").Where("sha256 > ?", after).
		Group("sha256").Order("sha256").Limit(limit).Scan(&out).Error
	return out, err
}

// BlobRef is a blob artifacts refer to, with its size.
type BlobRef struct {
	SHA256 string
	Size   int64
}

// SweepRun is what one sweep freed, when and for whom it ran.
type SweepRun struct {
	At    time.Time   `json:"at"`
	By    string      `json:"by"` // an email, or "schedule"
	Freed blobs.Freed `json:"freed"`
	// Incomplete is set when some blob could not be removed (the next
	// sweep tries again).
	Incomplete bool `json:"incomplete,omitempty"`
}

const keyLastSweep = "last_blob_sweep"

// NoteSweep records the latest sweep, for the admins' page.
func (s *Store) NoteSweep(ctx context.Context, run SweepRun) error {
	b, err := json.Marshal(run)
	if err != nil {
		return err
	}
	row := Setting{Key: keyLastSweep, Value: string(b)}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}}, DoUpdates: clause.AssignmentColumns([]string{"value"})}).Create(&row).Error
}

// LastSweep is the latest sweep recorded; ok is false when none was.
func (s *Store) LastSweep(ctx context.Context) (run SweepRun, ok bool, err error) {
	var rows []Setting
	if err := s.db.WithContext(ctx).Where("key = ?", keyLastSweep).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
		return run, false, err
	}
	if err := json.Unmarshal([]byte(rows[0].Value), &run); err != nil {
		return run, false, nil // unreadable: as if none was recorded
	}
	return run, true, nil
}
