package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"gatehouse/models/conda"
)

// PackageName records, per place and subdir, the channel generation at
// which a package name last changed (an upload, overwrite or delete of one
// of its files). A cache that knows a subdir as of generation G re-reads
// only the names changed after G; names of other subdirs never count.
type PackageName struct {
	ChannelID    uint   `gorm:"primaryKey;autoIncrement:false;index:idx_pkgname_gen,priority:1"`
	SubchannelID uint   `gorm:"primaryKey;autoIncrement:false;index:idx_pkgname_gen,priority:2"`
	Subdir       string `gorm:"primaryKey;size:32;index:idx_pkgname_gen,priority:3"`
	Name         string `gorm:"primaryKey;size:255"`
	Generation   int64  `gorm:"not null;index:idx_pkgname_gen,priority:4"`
}

// SubdirKey names one subdir of a channel or subchannel (0: the channel).
type SubdirKey struct {
	ChannelID, SubchannelID uint
	Subdir                  string
}

// touchNames marks names of a subdir as changed at the channel's current
// generation; the caller has just bumped it in the same transaction.
func touchNames(tx *gorm.DB, k SubdirKey, names ...string) error {
	var gen int64
	if err := tx.Model(&Channel{}).Where("id = ?", k.ChannelID).Pluck("generation", &gen).Error; err != nil {
		return err
	}
	rows := make([]PackageName, len(names))
	for i, n := range names {
		rows[i] = PackageName{ChannelID: k.ChannelID, SubchannelID: k.SubchannelID, Subdir: k.Subdir, Name: n, Generation: gen}
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "channel_id"}, {Name: "subchannel_id"}, {Name: "subdir"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"generation"}),
	}).CreateInBatches(rows, 500).Error
}

// TouchNames marks names of a subdir as changed now (for bulk loads that
// insert artifact rows directly), bumping the channel's generation.
func (s *Store) TouchNames(ctx context.Context, k SubdirKey, names []string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := bumpGeneration(tx, k.ChannelID); err != nil {
			return err
		}
		return touchNames(tx, k, names...)
	})
}

// ChangedNames lists the names of a subdir changed after generation since.
func (s *Store) ChangedNames(ctx context.Context, k SubdirKey, since int64) ([]string, error) {
	var names []string
	err := s.db.WithContext(ctx).Model(&PackageName{}).
		Where("channel_id = ? AND subchannel_id = ? AND subdir = ? AND generation > ?", k.ChannelID, k.SubchannelID, k.Subdir, since).
		Order("name").Pluck("name", &names).Error
	return names, err
}

// SubdirFiles reads a subdir's files as repodata records, grouped by
// package name (sorted by name, then file name): all of them when names is
// nil, else only those names' (names with no files left are absent).
func (s *Store) SubdirFiles(ctx context.Context, k SubdirKey, names []string) (map[string][]conda.File, error) {
	out := map[string][]conda.File{}
	if !storable(k.Subdir) {
		return out, nil
	}
	if names == nil {
		return out, s.scanFiles(ctx, k, nil, out)
	}
	const batch = 500 // bounded IN lists
	for len(names) > 0 {
		n := min(batch, len(names))
		if err := s.scanFiles(ctx, k, storableOnly(names[:n]), out); err != nil {
			return nil, err
		}
		names = names[n:]
	}
	return out, nil
}

// StreamSubdirFiles sends every name's files of a subdir, in name order, to
// fn as they are read, so a build can encode while it reads.
func (s *Store) StreamSubdirFiles(ctx context.Context, k SubdirKey, fn func(name string, files []conda.File)) error {
	if !storable(k.Subdir) {
		return nil
	}
	var cur string
	var files []conda.File
	err := s.scanRows(ctx, k, nil, func(f conda.File) {
		if f.Record.Name != cur && len(files) > 0 {
			fn(cur, files)
			files = nil
		}
		cur = f.Record.Name
		files = append(files, f)
	})
	if err == nil && len(files) > 0 {
		fn(cur, files)
	}
	return err
}

func (s *Store) scanFiles(ctx context.Context, k SubdirKey, names []string, out map[string][]conda.File) error {
	return s.scanRows(ctx, k, names, func(f conda.File) { out[f.Record.Name] = append(out[f.Record.Name], f) })
}

// scanRows reads only the columns repodata needs, without GORM's
// per-row reflection: a cold build of a big subdir reads every row.
func (s *Store) scanRows(ctx context.Context, k SubdirKey, names []string, fn func(conda.File)) error {
	q := s.db.WithContext(ctx).Model(&Artifact{}).
		Select("filename, name, version, build, build_number, depends, constrains, extra, license, license_family, timestamp, size, md5, sha256, created_at").
		Where("channel_id = ? AND subchannel_id = ? AND subdir = ?", k.ChannelID, k.SubchannelID, k.Subdir)
	if names != nil {
		if len(names) == 0 {
			return nil
		}
		q = q.Where("name IN ?", names)
	}
	rows, err := q.Order("name, filename").Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			f                          conda.File
			r                          = &f.Record
			depends, constrains, extra string
			license, family            sql.NullString
			created                    time.Time
		)
		if err := rows.Scan(&f.Filename, &r.Name, &r.Version, &r.Build, &r.BuildNumber, &depends, &constrains, &extra,
			&license, &family, &r.Timestamp, &r.Size, &r.MD5, &r.SHA256, &created); err != nil {
			return err
		}
		r.Subdir, r.License, r.LicenseFamily, f.Added = k.Subdir, license.String, family.String, created
		r.Depends, r.Constrains = stringList(depends), stringList(constrains)
		if len(r.Constrains) == 0 {
			r.Constrains = nil
		}
		if extra != "{}" && extra != "" {
			var x conda.Extra
			_ = json.Unmarshal([]byte(extra), &x)
			r.Noarch, r.TrackFeatures, r.Features = x.Noarch, x.TrackFeatures, x.Features
		}
		fn(f)
	}
	return rows.Err()
}

// PackageSummaries lists what channeldata.json needs of every file in a
// channel (or subchannel), over all subdirs.
func (s *Store) PackageSummaries(ctx context.Context, channelID, subchannelID uint) ([]conda.PackageSummary, error) {
	var out []conda.PackageSummary
	err := s.db.WithContext(ctx).Model(&Artifact{}).Select("name, version, subdir, license, timestamp, summary, home").
		Where("channel_id = ? AND subchannel_id = ?", channelID, subchannelID).Order("name, subdir").Scan(&out).Error
	return out, err
}
