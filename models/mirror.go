package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"gatehouse/models/conda"
	"gatehouse/models/policy"
)

// Mirror makes a channel (SubchannelID 0) or subchannel copy an upstream
// conda channel, filtered. Lists are JSON arrays of strings.
type Mirror struct {
	ID              uint       `gorm:"primaryKey" json:"id"`
	ChannelID       uint       `gorm:"not null" json:"-"`
	SubchannelID    uint       `gorm:"not null;default:0" json:"-"`
	URL             string     `gorm:"size:2000;not null" json:"-"`
	Include         string     `gorm:"type:text;not null;default:'[]'" json:"-"`
	Exclude         string     `gorm:"type:text;not null;default:'[]'" json:"-"`
	Subdirs         string     `gorm:"type:text;not null;default:'[]'" json:"-"`
	Versions        string     `gorm:"size:500;not null;default:''" json:"-"`
	Licenses        string     `gorm:"type:text;not null;default:'[]'" json:"-"`
	MaxSeverity     string     `gorm:"size:16;not null;default:''" json:"-"`
	IntervalMinutes int        `gorm:"not null;default:0" json:"-"`
	State           string     `gorm:"type:text;not null;default:'{}'" json:"-"`
	NextRunAt       *time.Time `json:"-"`
	ClaimedBy       string     `gorm:"size:64;not null;default:''" json:"-"`
	ClaimedUntil    *time.Time `json:"-"`
	CreatedAt       time.Time  `json:"-"`
	UpdatedAt       time.Time  `json:"-"`
}

// MirrorRun is one run of a mirror: what it did, refused, and how long it took.
type MirrorRun struct {
	ID          uint       `gorm:"primaryKey" json:"id"`
	MirrorID    uint       `gorm:"not null" json:"mirror_id"`
	Trigger     string     `gorm:"size:16;not null" json:"trigger"` // manual or schedule
	Status      string     `gorm:"size:16;not null" json:"status"`  // running, ok, failed
	Added       int        `gorm:"not null;default:0" json:"added"`
	Removed     int        `gorm:"not null;default:0" json:"removed"`
	Unchanged   int        `gorm:"not null;default:0" json:"unchanged"`
	Refused     int        `gorm:"not null;default:0" json:"refused"`
	Requests    int        `gorm:"not null;default:0" json:"requests"`
	NotModified int        `gorm:"not null;default:0" json:"not_modified"`
	Refusals    string     `gorm:"type:text;not null;default:'[]'" json:"-"`
	Error       string     `gorm:"type:text;not null;default:''" json:"error,omitempty"`
	StartedAt   time.Time  `gorm:"not null" json:"started_at"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	DurationMS  int64      `gorm:"not null;default:0" json:"duration_ms"`
}

// Run statuses.
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
)

// Refusal is one file a run did not store, and why.
type Refusal struct {
	Subdir   string `json:"subdir"`
	Filename string `json:"filename"`
	Reason   string `json:"reason"`
}

// RefusalList decodes Refusals.
func (r *MirrorRun) RefusalList() []Refusal {
	out := []Refusal{}
	_ = json.Unmarshal([]byte(r.Refusals), &out)
	return out
}

// MirrorSpec is a mirror's settings as people write them.
type MirrorSpec struct {
	URL             string
	Include         []string
	Exclude         []string
	Subdirs         []string
	Versions        string
	Licenses        []string
	MaxSeverity     string
	IntervalMinutes int
}

// Limits on a mirror's settings.
const (
	MaxMirrorURL      = 2000
	MaxMirrorPatterns = 100
	MaxMirrorPattern  = 255
	MaxMirrorInterval = 60 * 24 * 30
)

// Spec is the mirror's settings.
func (m *Mirror) Spec() MirrorSpec {
	return MirrorSpec{
		URL: m.URL, Include: stringList(m.Include), Exclude: stringList(m.Exclude), Subdirs: stringList(m.Subdirs),
		Versions: m.Versions, Licenses: stringList(m.Licenses), MaxSeverity: m.MaxSeverity, IntervalMinutes: m.IntervalMinutes,
	}
}

// Validate checks and normalises a spec; the first fault is returned.
func (sp *MirrorSpec) Validate() error {
	u, err := ValidateMirrorURL(sp.URL)
	if err != nil {
		return err
	}
	sp.URL = u
	for _, l := range []struct {
		field string
		list  *[]string
	}{{"include", &sp.Include}, {"exclude", &sp.Exclude}} {
		if err := cleanPatterns(l.field, l.list); err != nil {
			return err
		}
	}
	if err := cleanList("subdirs", &sp.Subdirs, func(s string) error {
		if !conda.LooksLikeSubdir(s) {
			return fmt.Errorf("%q is not a conda subdir (such as linux-64 or noarch)", s)
		}
		return nil
	}); err != nil {
		return err
	}
	vs, err := conda.ParseVersionSpec(sp.Versions)
	if err != nil {
		return Invalid("versions", "The version spec is not valid: %s.", err.Error())
	}
	sp.Versions = vs.String()
	if err := cleanList("licenses", &sp.Licenses, func(string) error { return nil }); err != nil {
		return err
	}
	for i, l := range sp.Licenses {
		sp.Licenses[i] = policy.NormalizeLicense(l)
	}
	if sp.MaxSeverity = strings.ToLower(strings.TrimSpace(sp.MaxSeverity)); sp.MaxSeverity != "" {
		sev, err := policy.ParseSeverity(sp.MaxSeverity)
		if err != nil || sev == policy.None {
			return Invalid("exclude_severity", "Severity must be low, medium, high or critical (or empty to keep packages with known CVEs).")
		}
	}
	if sp.IntervalMinutes < 0 || sp.IntervalMinutes > MaxMirrorInterval {
		return Invalid("interval_minutes", "The interval must be between 0 (run on demand only) and %d minutes.", MaxMirrorInterval)
	}
	return nil
}

// ValidateMirrorURL checks an upstream channel URL: absolute http or https,
// a host, no query or fragment; the trailing slash is dropped.
func ValidateMirrorURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", Invalid("url", "Enter the upstream channel's URL.")
	}
	if len(raw) > MaxMirrorURL {
		return "", Invalid("url", "The URL is longer than %d characters.", MaxMirrorURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return "", Invalid("url", "The upstream must be an http:// or https:// URL of a conda channel.")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", Invalid("url", "The upstream URL may not have a query or fragment.")
	}
	if host := u.Hostname(); host == "" || strings.ContainsAny(host, " %") || net.ParseIP(strings.Trim(host, "[]")) == nil && !validHost(host) {
		return "", Invalid("url", "The upstream URL's host is not valid.")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

func validHost(h string) bool {
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// RedactURL is the URL as shown: a password in it, or a token in a /t/
// path, is replaced, so a mirror's credentials are never echoed back.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	parts := strings.Split(u.Path, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "t" && parts[i+1] != "" {
			parts[i+1] = "REDACTED"
		}
	}
	u.Path = strings.Join(parts, "/")
	u.RawPath = ""
	return u.String()
}

func cleanPatterns(field string, list *[]string) error {
	return cleanList(field, list, func(p string) error {
		if _, err := path.Match(p, ""); err != nil || strings.ContainsAny(p, "/ ") {
			return fmt.Errorf("%q is not a valid pattern (use names with * ? and [a-z])", p)
		}
		return nil
	})
}

// cleanList trims, drops empty and repeated entries, and checks each.
func cleanList(field string, list *[]string, check func(string) error) error {
	if len(*list) > MaxMirrorPatterns {
		return Invalid(field, "At most %d entries are allowed in %s.", MaxMirrorPatterns, field)
	}
	out := []string{}
	for _, s := range *list {
		s = strings.TrimSpace(s)
		if s == "" || slices.Contains(out, s) {
			continue
		}
		if len(s) > MaxMirrorPattern || !storable(s) {
			return Invalid(field, "Each entry of %s must be at most %d characters of valid text.", field, MaxMirrorPattern)
		}
		if err := check(s); err != nil {
			return Invalid(field, "%s.", err.Error())
		}
		out = append(out, s)
	}
	*list = out
	return nil
}

func (m *Mirror) apply(sp MirrorSpec) {
	m.URL, m.Include, m.Exclude, m.Subdirs = sp.URL, mustJSON(sp.Include), mustJSON(sp.Exclude), mustJSON(sp.Subdirs)
	m.Versions, m.Licenses, m.MaxSeverity, m.IntervalMinutes = sp.Versions, mustJSON(sp.Licenses), sp.MaxSeverity, sp.IntervalMinutes
}

// CreateMirror adds a mirror to a channel or subchannel (sub nil). The same
// upstream twice in one place is a conflict.
func (s *Store) CreateMirror(ctx context.Context, ch *Channel, sub *Subchannel, sp MirrorSpec) (*Mirror, error) {
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	m := &Mirror{ChannelID: ch.ID, State: "{}"}
	if sub != nil {
		m.SubchannelID = sub.ID
	}
	m.apply(sp)
	if sp.IntervalMinutes > 0 {
		next := s.Now().UTC()
		m.NextRunAt = &next
	}
	if err := s.db.WithContext(ctx).Create(m).Error; err != nil {
		if isDuplicate(err) {
			return nil, Conflict("This place already mirrors that upstream.")
		}
		return nil, err
	}
	return m, nil
}

// UpdateMirror changes a mirror's settings; a change of filters or URL
// forgets what the last run knew, so the next run looks at everything.
func (s *Store) UpdateMirror(ctx context.Context, m *Mirror, sp MirrorSpec) (before MirrorSpec, err error) {
	if err := sp.Validate(); err != nil {
		return before, err
	}
	before = m.Spec()
	m.apply(sp)
	m.State = "{}"
	var next *time.Time
	if sp.IntervalMinutes > 0 {
		n := s.Now().UTC()
		next = &n
	}
	m.NextRunAt = next
	res := s.db.WithContext(ctx).Model(&Mirror{}).Where("id = ?", m.ID).Updates(map[string]any{
		"url": m.URL, "include": m.Include, "exclude": m.Exclude, "subdirs": m.Subdirs, "versions": m.Versions,
		"licenses": m.Licenses, "max_severity": m.MaxSeverity, "interval_minutes": m.IntervalMinutes,
		"state": m.State, "next_run_at": next, "updated_at": s.Now().UTC(),
	})
	if res.Error != nil {
		if isDuplicate(res.Error) {
			return before, Conflict("This place already mirrors that upstream.")
		}
		return before, res.Error
	}
	if res.RowsAffected == 0 {
		return before, ErrNotFound
	}
	return before, nil
}

// DeleteMirror removes a mirror and its runs. What it added stays, no
// longer marked as the mirror's.
func (s *Store) DeleteMirror(ctx context.Context, m *Mirror) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&Artifact{}).Where("mirror_id = ?", m.ID).UpdateColumn("mirror_id", 0).Error; err != nil {
			return err
		}
		if err := tx.Where("mirror_id = ?", m.ID).Delete(&MirrorRun{}).Error; err != nil {
			return err
		}
		res := tx.Delete(&Mirror{}, m.ID)
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
}

// MirrorIn finds mirror id of a channel's place (sub 0: the channel itself).
func (s *Store) MirrorIn(ctx context.Context, channelID, subID, id uint) (*Mirror, error) {
	var m Mirror
	err := s.db.WithContext(ctx).Where("id = ? AND channel_id = ? AND subchannel_id = ?", id, channelID, subID).First(&m).Error
	return &m, notFound(err)
}

// MirrorByID finds a mirror (for the runner; requests use MirrorIn).
func (s *Store) MirrorByID(ctx context.Context, id uint) (*Mirror, error) {
	var m Mirror
	err := s.db.WithContext(ctx).First(&m, id).Error
	return &m, notFound(err)
}

// MirrorsIn lists the mirrors of one place.
func (s *Store) MirrorsIn(ctx context.Context, channelID, subID uint) ([]Mirror, error) {
	var out []Mirror
	err := s.db.WithContext(ctx).Where("channel_id = ? AND subchannel_id = ?", channelID, subID).Order("id").Find(&out).Error
	return out, err
}

// MirrorsOf lists the mirrors of the given channels, subchannels included:
// the caller passes only channels the actor may see mirrors of.
func (s *Store) MirrorsOf(ctx context.Context, channelIDs []uint) ([]Mirror, error) {
	var out []Mirror
	if len(channelIDs) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("channel_id IN ?", channelIDs).Order("channel_id, subchannel_id, id").Find(&out).Error
	return out, err
}

// LastRuns is the latest run of each mirror, by mirror id.
func (s *Store) LastRuns(ctx context.Context, mirrorIDs []uint) (map[uint]MirrorRun, error) {
	out := map[uint]MirrorRun{}
	if len(mirrorIDs) == 0 {
		return out, nil
	}
	var runs []MirrorRun
	sub := s.db.Model(&MirrorRun{}).Select("MAX(id)").Where("mirror_id IN ?", mirrorIDs).Group("mirror_id")
	if err := s.db.WithContext(ctx).Where("id IN (?)", sub).Find(&runs).Error; err != nil {
		return nil, err
	}
	for _, r := range runs {
		out[r.MirrorID] = r
	}
	return out, nil
}

// MirrorRuns lists a mirror's runs, newest first, at most limit.
func (s *Store) MirrorRuns(ctx context.Context, mirrorID uint, limit int) ([]MirrorRun, error) {
	var out []MirrorRun
	err := s.db.WithContext(ctx).Where("mirror_id = ?", mirrorID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// MirrorRunByID finds one run of a mirror.
func (s *Store) MirrorRunByID(ctx context.Context, mirrorID, id uint) (*MirrorRun, error) {
	var r MirrorRun
	err := s.db.WithContext(ctx).Where("id = ? AND mirror_id = ?", id, mirrorID).First(&r).Error
	return &r, notFound(err)
}

// ErrClaimed says another run of the mirror holds it.
var ErrClaimed = errors.New("models: the mirror is running")

// ClaimMirror takes mirror id for one run by this instance for lease, in
// one conditional update: of several instances (or requests) at most one
// wins until the lease ends or is released. It starts the run's row.
func (s *Store) ClaimMirror(ctx context.Context, id uint, trigger string, lease time.Duration) (*MirrorRun, error) {
	now := s.Now().UTC()
	var run *MirrorRun
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Mirror{}).Where("id = ? AND (claimed_until IS NULL OR claimed_until < ?)", id, now).
			Updates(map[string]any{"claimed_by": s.instance, "claimed_until": now.Add(lease)})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var n int64
			if err := tx.Model(&Mirror{}).Where("id = ?", id).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return ErrNotFound
			}
			return ErrClaimed
		}
		run = &MirrorRun{MirrorID: id, Trigger: trigger, Status: RunRunning, Refusals: "[]", StartedAt: now}
		return tx.Create(run).Error
	})
	return run, err
}

// ExtendClaim keeps this instance's claim on a mirror for lease more.
func (s *Store) ExtendClaim(ctx context.Context, id uint, lease time.Duration) error {
	return s.db.WithContext(ctx).Model(&Mirror{}).Where("id = ? AND claimed_by = ?", id, s.instance).
		UpdateColumn("claimed_until", s.Now().UTC().Add(lease)).Error
}

// FinishRun records a run's outcome, the state the next run starts from
// (unchanged when state is ""), the next scheduled time, and releases the
// claim.
func (s *Store) FinishRun(ctx context.Context, m *Mirror, run *MirrorRun, state string) error {
	now := s.Now().UTC()
	run.FinishedAt = &now
	run.DurationMS = now.Sub(run.StartedAt).Milliseconds()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Save(run).Error; err != nil {
			return err
		}
		up := map[string]any{"claimed_by": "", "claimed_until": nil}
		if m.IntervalMinutes > 0 {
			up["next_run_at"] = now.Add(time.Duration(m.IntervalMinutes) * time.Minute)
		}
		if err := tx.Model(&Mirror{}).Where("id = ?", m.ID).UpdateColumns(up).Error; err != nil {
			return err
		}
		if state == "" {
			return nil
		}
		// Only under the settings the run used: an edit meanwhile forgot
		// the state on purpose, so the next run looks at everything.
		return tx.Model(&Mirror{}).Where("id = ? AND url = ? AND include = ? AND exclude = ? AND subdirs = ? AND versions = ? AND licenses = ? AND max_severity = ?",
			m.ID, m.URL, m.Include, m.Exclude, m.Subdirs, m.Versions, m.Licenses, m.MaxSeverity).UpdateColumn("state", state).Error
	})
}

// DueMirrors lists the scheduled mirrors whose time has come and that no
// run holds, oldest due first.
func (s *Store) DueMirrors(ctx context.Context, limit int) ([]Mirror, error) {
	now := s.Now().UTC()
	var out []Mirror
	err := s.db.WithContext(ctx).
		Where("interval_minutes > 0 AND next_run_at IS NOT NULL AND next_run_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)", now, now).
		Order("next_run_at").Limit(limit).Find(&out).Error
	return out, err
}

// MirrorChange is what one run applies: rows to add (with their blob's
// placement, run under the blob's lock) and mirror-added rows to remove.
type MirrorChange struct {
	Add    []*Artifact
	Place  func(a *Artifact) error
	Remove []Artifact
}

// maxBlobLocks bounds the advisory locks one mirror run takes.
const maxBlobLocks = 256

// ApplyMirror applies a run's changes in one transaction, the way uploads
// and deletes do (generation, touched names), so repodata and shards move
// from the old state to the new one at once or not at all.
func (s *Store) ApplyMirror(ctx context.Context, m *Mirror, c MirrorChange) error {
	if len(c.Add) == 0 && len(c.Remove) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		// Each blob's lock keeps a sweep off it until the rows commit; a
		// huge first run would exhaust PostgreSQL's lock table, so beyond
		// maxBlobLocks the sweep's grace period (blobs are put just before
		// this transaction) and Place, which puts each one again, do it.
		if len(c.Add) <= maxBlobLocks {
			for _, a := range c.Add {
				if err := lockBlob(tx, a.SHA256); err != nil {
					return err
				}
			}
		}
		if err := bumpGeneration(tx, m.ChannelID); err != nil {
			return err
		}
		if m.SubchannelID != 0 {
			var n int64
			if err := tx.Model(&Subchannel{}).Where("id = ? AND channel_id = ?", m.SubchannelID, m.ChannelID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return ErrNotFound
			}
		}
		touched := map[SubdirKey][]string{}
		for _, a := range c.Remove {
			res := tx.Where("id = ? AND mirror_id = ? AND sha256 = ?", a.ID, m.ID, a.SHA256).Delete(&Artifact{})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return Conflict("%s/%s changed while the mirror ran; run it again.", a.Subdir, a.Filename)
			}
			touched[a.subdirKey()] = append(touched[a.subdirKey()], a.Name)
		}
		for _, a := range c.Add {
			a.ChannelID, a.SubchannelID, a.MirrorID = m.ChannelID, m.SubchannelID, m.ID
			if err := tx.Create(a).Error; err != nil {
				if isDuplicate(err) {
					return Conflict("%s/%s appeared while the mirror ran; run it again.", a.Subdir, a.Filename)
				}
				return err
			}
			touched[a.subdirKey()] = append(touched[a.subdirKey()], a.Name)
			if c.Place != nil {
				if err := c.Place(a); err != nil {
					return err
				}
			}
		}
		for k, names := range touched {
			slices.Sort(names)
			if err := touchNames(tx, k, slices.Compact(names)...); err != nil {
				return err
			}
		}
		return nil
	})
}

// PlaceArtifacts lists every artifact of a place (sub 0: the channel),
// whoever added it.
func (s *Store) PlaceArtifacts(ctx context.Context, channelID, subID uint, subdir string) ([]Artifact, error) {
	var out []Artifact
	err := s.db.WithContext(ctx).Select("id, channel_id, subchannel_id, subdir, filename, name, version, sha256, size, mirror_id").
		Where("channel_id = ? AND subchannel_id = ? AND subdir = ?", channelID, subID, subdir).Find(&out).Error
	return out, err
}

// MirrorTarget names a mirror's place as the audit log does: "channel" or
// "channel/sub".
func (s *Store) MirrorTarget(ctx context.Context, m *Mirror) (string, error) {
	var ch Channel
	if err := s.db.WithContext(ctx).Select("name").First(&ch, m.ChannelID).Error; err != nil {
		return "", notFound(err)
	}
	if m.SubchannelID == 0 {
		return ch.Name, nil
	}
	var sub Subchannel
	if err := s.db.WithContext(ctx).Select("name").First(&sub, m.SubchannelID).Error; err != nil {
		return "", notFound(err)
	}
	return ch.Name + "/" + sub.Name, nil
}
