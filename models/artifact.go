package models

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"gatehouse/models/conda"
)

// NewArtifact builds an artifact row from an archive's index and the file's
// hashes and size.
func NewArtifact(ch *Channel, sub *Subchannel, filename string, ix *conda.Index, sha256, md5 string, size int64) *Artifact {
	a := &Artifact{
		ChannelID: ch.ID, Subdir: ix.Subdir, Filename: filename,
		Name: ix.Name, Version: ix.Version, Build: ix.Build, BuildNumber: ix.BuildNumber,
		Depends: mustJSON(ix.Depends), Constrains: mustJSON(ix.Constrains), Extra: mustJSON(ix.Extra),
		License: ix.License, LicenseFamily: ix.LicenseFamily, Timestamp: ix.Timestamp, Summary: ix.Summary, Home: ix.Home,
		Size: size, MD5: md5, SHA256: sha256,
	}
	if sub != nil {
		a.SubchannelID = sub.ID
	}
	return a
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain strings and slices come here
	}
	return string(b)
}

// DependsList decodes Depends.
func (a *Artifact) DependsList() []string { return stringList(a.Depends) }

func stringList(s string) []string {
	if out, ok := quickStringList(s); ok {
		return out
	}
	out := []string{}
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// quickStringList reads the compact arrays json.Marshal stores (["a","b"])
// without encoding/json: a cold repodata build reads every row's lists.
// Anything unusual is left to encoding/json.
func quickStringList(s string) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	out := []string{}
	rest := s[1 : len(s)-1]
	for rest != "" {
		if rest[0] != '"' {
			return nil, false
		}
		end, escaped := 1, false
		for ; end < len(rest) && rest[end] != '"'; end++ {
			if rest[end] == '\\' {
				if end+1 < len(rest) && rest[end+1] == 'u' && end+5 < len(rest) && rest[end+2:end+4] == "00" {
					escaped = true // \u003c and friends, as json.Marshal writes <, > and &
					end += 5
					continue
				}
				return nil, false
			}
		}
		if end == len(rest) {
			return nil, false
		}
		v := rest[1:end]
		if escaped {
			var err error
			if v, err = strconv.Unquote(`"` + v + `"`); err != nil {
				return nil, false
			}
		}
		out = append(out, v)
		rest = rest[end+1:]
		if rest != "" {
			if rest[0] != ',' {
				return nil, false
			}
			rest = rest[1:]
			if rest == "" {
				return nil, false
			}
		}
	}
	return out, true
}

// Record is the artifact as a repodata.json entry.
func (a *Artifact) Record() conda.Record {
	var extra conda.Extra
	_ = json.Unmarshal([]byte(a.Extra), &extra)
	return conda.Record{
		Build: a.Build, BuildNumber: a.BuildNumber, Depends: a.DependsList(), Constrains: stringList(a.Constrains),
		License: a.License, LicenseFamily: a.LicenseFamily, MD5: a.MD5, Name: a.Name, SHA256: a.SHA256,
		Size: a.Size, Subdir: a.Subdir, Timestamp: a.Timestamp, Version: a.Version,
		Noarch: extra.Noarch, TrackFeatures: extra.TrackFeatures, Features: extra.Features,
	}
}

func (a *Artifact) subdirKey() SubdirKey {
	return SubdirKey{ChannelID: a.ChannelID, SubchannelID: a.SubchannelID, Subdir: a.Subdir}
}

// AddArtifact records an uploaded artifact. The same file name in the same
// place is a conflict unless overwrite is set; then the replaced row is
// returned. The channel's generation goes up either way.
func (s *Store) AddArtifact(ctx context.Context, a *Artifact, overwrite bool) (replaced *Artifact, err error) {
	return s.AddArtifactWith(ctx, a, overwrite, nil)
}

// AddArtifactWith is AddArtifact that also puts the artifact's blob in place
// (place, when set) once the row is written and before it is committed,
// holding the blob's lock: a concurrent CollectBlob either runs before (and
// the blob is placed again) or sees the new row. A place error stores nothing.
func (s *Store) AddArtifactWith(ctx context.Context, a *Artifact, overwrite bool, place func() error) (replaced *Artifact, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockBlob(tx, a.SHA256); err != nil {
			return err
		}
		// Bumping first locks the channel row: a concurrent channel or
		// subchannel delete either finishes before (and the place is gone)
		// or waits and then removes this row too.
		if err := bumpGeneration(tx, a.ChannelID); err != nil {
			return err
		}
		if a.SubchannelID != 0 {
			var n int64
			if err := tx.Model(&Subchannel{}).Where("id = ? AND channel_id = ?", a.SubchannelID, a.ChannelID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return ErrNotFound
			}
		}
		var old Artifact
		err := tx.Where("channel_id = ? AND subchannel_id = ? AND subdir = ? AND filename = ?", a.ChannelID, a.SubchannelID, a.Subdir, a.Filename).First(&old).Error
		switch {
		case err == nil && !overwrite:
			return Conflict("%s/%s already exists here; upload with overwrite to replace it.", a.Subdir, a.Filename)
		case err == nil:
			if err := tx.Delete(&old).Error; err != nil {
				return err
			}
			replaced = &old
		case notFound(err) != ErrNotFound:
			return err
		}
		if err := tx.Create(a).Error; err != nil {
			if isDuplicate(err) {
				return Conflict("%s/%s already exists here; upload with overwrite to replace it.", a.Subdir, a.Filename)
			}
			return err
		}
		if err := touchNames(tx, a.subdirKey(), a.Name); err != nil {
			return err
		}
		if place != nil {
			return place()
		}
		return nil
	})
	return replaced, err
}

// ArtifactFilter narrows Artifacts; SubchannelID 0 is the channel itself.
type ArtifactFilter struct {
	SubchannelID uint
	Subdir       string // all subdirs when empty
}

// Artifacts lists a channel's (or subchannel's) artifacts by subdir and file name.
func (s *Store) Artifacts(ctx context.Context, channelID uint, f ArtifactFilter) ([]Artifact, error) {
	if !storable(f.Subdir) {
		return nil, nil
	}
	q := s.db.WithContext(ctx).Where("channel_id = ? AND subchannel_id = ?", channelID, f.SubchannelID)
	if f.Subdir != "" {
		q = q.Where("subdir = ?", f.Subdir)
	}
	var out []Artifact
	err := q.Order("subdir, filename").Find(&out).Error
	return out, err
}

// Artifact finds one artifact by its place.
func (s *Store) Artifact(ctx context.Context, channelID, subchannelID uint, subdir, filename string) (*Artifact, error) {
	if !storable(subdir) || !storable(filename) {
		return nil, ErrNotFound
	}
	var a Artifact
	err := s.db.WithContext(ctx).Where("channel_id = ? AND subchannel_id = ? AND subdir = ? AND filename = ?", channelID, subchannelID, subdir, filename).First(&a).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// DeleteArtifact removes one artifact and bumps the channel's generation.
func (s *Store) DeleteArtifact(ctx context.Context, channelID, subchannelID uint, subdir, filename string) (*Artifact, error) {
	if !storable(subdir) || !storable(filename) {
		return nil, ErrNotFound
	}
	var a Artifact
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Where("channel_id = ? AND subchannel_id = ? AND subdir = ? AND filename = ?", channelID, subchannelID, subdir, filename).First(&a).Error
		if err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&a).Error; err != nil {
			return err
		}
		if err := bumpGeneration(tx, channelID); err != nil {
			return err
		}
		return touchNames(tx, a.subdirKey(), a.Name)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CollectBlob calls remove when no artifact refers to the blob any more,
// holding the blob's lock so no upload can start using it meanwhile.
func (s *Store) CollectBlob(ctx context.Context, sha256 string, remove func() error) (removed bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := lockBlob(tx, sha256); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&Artifact{}).Where("sha256 = ?", sha256).Limit(1).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		removed = true
		return remove()
	})
	return removed && err == nil, err
}

// lockBlob serialises, for one blob and across instances, recording an
// artifact that uses it and collecting it. PostgreSQL takes an advisory lock
// held until the transaction ends; SQLite runs on one connection, so its
// transactions never overlap anyway.
func lockBlob(tx *gorm.DB, sha256 string) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte("gatehouse-blob:" + sha256))
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", int64(h.Sum64())).Error
}

// storable reports whether every database can hold (and so compare) s:
// valid UTF-8 without NUL. No stored name is anything else.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// storableOnly keeps the names a database can compare; the rest can only be
// unknown.
func storableOnly(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if storable(n) {
			out = append(out, n)
		}
	}
	return out
}

// BlobInUse reports whether any artifact still refers to the blob.
func (s *Store) BlobInUse(ctx context.Context, sha256 string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Artifact{}).Where("sha256 = ?", sha256).Limit(1).Count(&n).Error
	return n > 0, err
}

// ArtifactAbout is the metadata people may change on an artifact: what
// channeldata.json says of its package (from info/about.json at upload).
type ArtifactAbout struct {
	Summary *string
	Home    *string
}

// UpdateArtifactAbout changes an artifact's summary or home page and bumps
// the channel's generation, returning the artifact before and after.
func (s *Store) UpdateArtifactAbout(ctx context.Context, channelID, subchannelID uint, subdir, filename string, in ArtifactAbout) (before, after *Artifact, err error) {
	if in.Summary != nil {
		if err := validateAboutText("summary", *in.Summary); err != nil {
			return nil, nil, err
		}
	}
	if in.Home != nil {
		if err := validateHome(*in.Home); err != nil {
			return nil, nil, err
		}
	}
	if !storable(subdir) || !storable(filename) {
		return nil, nil, ErrNotFound
	}
	var a Artifact
	err = s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Where("channel_id = ? AND subchannel_id = ? AND subdir = ? AND filename = ?", channelID, subchannelID, subdir, filename).First(&a).Error
		if err != nil {
			return notFound(err)
		}
		old := a
		before = &old
		up := map[string]any{}
		if in.Summary != nil && *in.Summary != a.Summary {
			a.Summary, up["summary"] = strings.TrimSpace(*in.Summary), strings.TrimSpace(*in.Summary)
		}
		if in.Home != nil && *in.Home != a.Home {
			a.Home, up["home"] = strings.TrimSpace(*in.Home), strings.TrimSpace(*in.Home)
		}
		if len(up) == 0 {
			return nil
		}
		if err := tx.Model(&Artifact{}).Where("id = ?", a.ID).Updates(up).Error; err != nil {
			return err
		}
		return bumpGeneration(tx, channelID)
	})
	if err != nil {
		return nil, nil, err
	}
	return before, &a, nil
}

func validateAboutText(field, s string) error {
	switch {
	case len(s) > conda.MaxAboutText:
		return Invalid(field, "The %s must be at most %d characters.", field, conda.MaxAboutText)
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return Invalid(field, "The %s must be plain text (valid UTF-8, no NUL characters).", field)
	}
	return nil
}

// validateHome accepts an empty home page or an http(s) URL.
func validateHome(s string) error {
	if err := validateAboutText("home", s); err != nil {
		return err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalid("home", "The home page must be an http:// or https:// URL.")
	}
	return nil
}
