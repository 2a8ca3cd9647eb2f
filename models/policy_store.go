package models

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"gatehouse/models/policy"
)

// BlockedLicense is a license packages may not be stored under.
type BlockedLicense struct {
	ID        uint      `gorm:"primaryKey"`
	License   string    `gorm:"size:255;not null;uniqueIndex:idx_blocked_licenses_license"`
	Reason    string    `gorm:"type:text;not null"`
	BlockedBy *uint     `gorm:"column:blocked_by"`
	CreatedAt time.Time `gorm:"not null"`
}

// Vulnerability is an imported OSV record.
type Vulnerability struct {
	ID        uint   `gorm:"primaryKey"`
	OSVID     string `gorm:"column:osv_id;size:100;not null;uniqueIndex:idx_vulnerabilities_osv_id"`
	Aliases   string `gorm:"type:text;not null;default:'[]'"` // JSON array
	Summary   string `gorm:"type:text;not null;default:''"`
	Details   string `gorm:"type:text;not null;default:''"`
	Severity  policy.Severity
	Rated     bool
	Score     float64
	Vector    string `gorm:"size:255;not null;default:''"`
	Affected  string `gorm:"type:text;not null;default:'[]'"` // JSON of []policy.Affected
	Withdrawn bool
	Published *time.Time
	Modified  *time.Time
	Source    string    `gorm:"size:500;not null;default:''"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
	// Annotations are loaded by the listing queries.
	Annotations []VulnerabilityAnnotation `gorm:"foreignKey:VulnerabilityID"`
}

// Annotation statuses.
const AnnotationNotAffected = "not_affected"

// VulnerabilityAnnotation says a record does not affect a package (by its
// lower-case name), and why.
type VulnerabilityAnnotation struct {
	ID              uint      `gorm:"primaryKey"`
	VulnerabilityID uint      `gorm:"not null;uniqueIndex:idx_vulnerability_annotations_package,priority:1"`
	Package         string    `gorm:"size:255;not null;uniqueIndex:idx_vulnerability_annotations_package,priority:2"`
	Status          string    `gorm:"size:20;not null"`
	Reason          string    `gorm:"type:text;not null"`
	UserID          *uint     `gorm:"column:user_id"`
	CreatedAt       time.Time `gorm:"not null"`
	UpdatedAt       time.Time `gorm:"not null"`
}

// AffectedList is the record's affected packages.
func (v *Vulnerability) AffectedList() []policy.Affected {
	var out []policy.Affected
	_ = json.Unmarshal([]byte(v.Affected), &out)
	return out
}

// AliasList is the record's aliases.
func (v *Vulnerability) AliasList() []string { return stringList(v.Aliases) }

// Packages are the distinct package names the record names, lower case.
func (v *Vulnerability) Packages() []string {
	var out []string
	for _, a := range v.AffectedList() {
		if n := strings.ToLower(a.Package); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// NotAffected reports whether pkg is annotated as not affected.
func (v *Vulnerability) NotAffected(pkg string) *VulnerabilityAnnotation {
	for i := range v.Annotations {
		if v.Annotations[i].Package == strings.ToLower(pkg) {
			return &v.Annotations[i]
		}
	}
	return nil
}

// Limits on what admins type.
const (
	maxReason = 1000
)

func validReason(field, reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", Invalid(field, "Give a reason.")
	case utf8.RuneCountInString(reason) > maxReason || !storable(reason):
		return "", Invalid(field, "The reason must be text of at most %d characters.", maxReason)
	}
	return reason, nil
}

// BlockLicense blocks a license (normalised to its SPDX identifier where
// one is known). known says whether text that is no SPDX identifier is
// a license some artifact carries; anything else is refused.
func (s *Store) BlockLicense(ctx context.Context, license, reason string, by uint) (*BlockedLicense, error) {
	id := policy.NormalizeLicense(license)
	switch {
	case id == "":
		return nil, Invalid("license", "Name the license to block.")
	case len(id) > 255 || !storable(id):
		return nil, Invalid("license", "A license is at most 255 characters of text.")
	}
	reason, err := validReason("reason", reason)
	if err != nil {
		return nil, err
	}
	if !policy.IsSPDX(id) {
		used, err := s.licenseInUse(ctx, id)
		if err != nil {
			return nil, err
		}
		if !used {
			return nil, Invalid("license", "%q is neither an SPDX license identifier nor the license of any artifact.", id)
		}
	}
	b := &BlockedLicense{License: id, Reason: reason, BlockedBy: &by, CreatedAt: s.Now().UTC()}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&BlockedLicense{}).Where("license = ?", id).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return Conflict("The license %s is blocked already.", id)
		}
		return tx.Create(b).Error
	})
	if isDuplicate(err) {
		return nil, Conflict("The license %s is blocked already.", id)
	}
	return b, err
}

// licenseInUse reports whether some artifact's license normalises to id.
func (s *Store) licenseInUse(ctx context.Context, id string) (bool, error) {
	var written []string
	if err := s.db.WithContext(ctx).Model(&Artifact{}).Distinct("license").Where("license IS NOT NULL AND license <> ''").Pluck("license", &written).Error; err != nil {
		return false, unavailable(err)
	}
	return slices.ContainsFunc(written, func(w string) bool { return policy.NormalizeLicense(w) == id }), nil
}

// UnblockLicense lifts a block, returning it.
func (s *Store) UnblockLicense(ctx context.Context, license string) (*BlockedLicense, error) {
	id := policy.NormalizeLicense(license)
	var b BlockedLicense
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("license = ?", id).Take(&b).Error; err != nil {
			return err
		}
		return tx.Delete(&b).Error
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &b, err
}

// BlockedLicenses lists the blocked licenses by name.
func (s *Store) BlockedLicenses(ctx context.Context) ([]BlockedLicense, error) {
	var out []BlockedLicense
	err := s.db.WithContext(ctx).Order("license").Find(&out).Error
	return out, unavailable(err)
}

// LicenseUse is one license across every artifact.
type LicenseUse struct {
	License  string   `json:"license"` // SPDX identifier, or the text as written
	SPDX     bool     `json:"spdx"`
	Written  []string `json:"written"` // how packages write it
	Count    int      `json:"artifacts"`
	Channels []string `json:"channels"`
	Blocked  *BlockedLicense
}

// LicenseOverview counts the artifacts under each license, over every
// channel (it is for admins: the license scopes are theirs alone), with
// the blocked licenses no artifact carries as well.
func (s *Store) LicenseOverview(ctx context.Context) ([]LicenseUse, error) {
	var rows []struct {
		License string
		Channel string
		N       int
	}
	err := s.db.WithContext(ctx).Raw(`SELECT COALESCE(a.license, '') AS license, c.name AS channel, count(*) AS n
		FROM artifacts a JOIN channels c ON c.id = a.channel_id GROUP BY COALESCE(a.license, ''), c.name`).Scan(&rows).Error
	if err != nil {
		return nil, unavailable(err)
	}
	blocked, err := s.BlockedLicenses(ctx)
	if err != nil {
		return nil, err
	}
	by := map[string]*LicenseUse{}
	use := func(id string) *LicenseUse {
		if u, ok := by[id]; ok {
			return u
		}
		u := &LicenseUse{License: id, SPDX: id != "" && policy.IsSPDX(id)}
		by[id] = u
		return u
	}
	for _, r := range rows {
		u := use(policy.NormalizeLicense(r.License))
		u.Count += r.N
		if !slices.Contains(u.Written, r.License) {
			u.Written = append(u.Written, r.License)
		}
		if !slices.Contains(u.Channels, r.Channel) {
			u.Channels = append(u.Channels, r.Channel)
		}
	}
	for i := range blocked {
		use(blocked[i].License).Blocked = &blocked[i]
	}
	out := make([]LicenseUse, 0, len(by))
	for _, u := range by {
		slices.Sort(u.Written)
		slices.Sort(u.Channels)
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b LicenseUse) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.License, b.License)
	})
	return out, nil
}

// ImportResult says what an import did.
type ImportResult struct {
	Created []string `json:"created"`
	Updated []string `json:"updated"`
}

// ImportVulnerabilities stores records, replacing those with the same id,
// all in one transaction: a fault stores none.
func (s *Store) ImportVulnerabilities(ctx context.Context, recs []policy.Record, source string) (ImportResult, error) {
	var res ImportResult
	now := s.Now().UTC()
	source = clipText(source, 500)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for _, r := range recs {
			var v Vulnerability
			err := tx.Where("osv_id = ?", r.ID).Take(&v).Error
			switch {
			case errors.Is(err, gorm.ErrRecordNotFound):
				v = Vulnerability{OSVID: r.ID, CreatedAt: now}
				res.Created = append(res.Created, r.ID)
			case err != nil:
				return err
			default:
				res.Updated = append(res.Updated, r.ID)
			}
			v.fill(r, source, now)
			if err := tx.Save(&v).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

func (v *Vulnerability) fill(r policy.Record, source string, now time.Time) {
	v.Aliases = mustJSON(nonNil(r.Aliases))
	v.Summary, v.Details = storableText(r.Summary), storableText(r.Details)
	v.Severity, v.Rated, v.Score, v.Vector = r.Severity, r.Rated, r.Score, clipText(r.Vector, 255)
	v.Affected = mustJSON(nonNil(r.Affected))
	v.Withdrawn = r.Withdrawn
	v.Published, v.Modified = timeOrNil(r.Published), timeOrNil(r.Modified)
	v.Source, v.UpdatedAt = source, now
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

func clipText(s string, n int) string {
	s = storableText(s)
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// VulnerabilityFilter narrows the record list.
type VulnerabilityFilter struct {
	MinSeverity policy.Severity
	Package     string // lower-case name a record must name
}

// Vulnerabilities lists records with their annotations, worst first.
func (s *Store) Vulnerabilities(ctx context.Context, f VulnerabilityFilter) ([]Vulnerability, error) {
	var out []Vulnerability
	q := s.db.WithContext(ctx).Preload("Annotations").Order("severity DESC, osv_id")
	if f.MinSeverity > policy.None {
		q = q.Where("severity >= ?", int(f.MinSeverity))
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, unavailable(err)
	}
	if f.Package != "" {
		out = slices.DeleteFunc(out, func(v Vulnerability) bool { return !slices.Contains(v.Packages(), strings.ToLower(f.Package)) })
	}
	return out, nil
}

// VulnerabilityByID finds one record by its OSV id, with annotations.
func (s *Store) VulnerabilityByID(ctx context.Context, osvID string) (*Vulnerability, error) {
	var v Vulnerability
	err := s.db.WithContext(ctx).Preload("Annotations").Where("osv_id = ?", osvID).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &v, unavailable(err)
}

// AnnotateNotAffected records that the record osvID does not affect pkg,
// replacing an earlier annotation (returned as old).
func (s *Store) AnnotateNotAffected(ctx context.Context, osvID, pkg, reason string, by uint) (old, now *VulnerabilityAnnotation, err error) {
	v, err := s.VulnerabilityByID(ctx, osvID)
	if err != nil {
		return nil, nil, err
	}
	pkg = strings.ToLower(strings.TrimSpace(pkg))
	if !slices.Contains(v.Packages(), pkg) {
		return nil, nil, Invalid("package", "%s names no package %q.", v.OSVID, clipText(pkg, 100))
	}
	if reason, err = validReason("reason", reason); err != nil {
		return nil, nil, err
	}
	at := s.Now().UTC()
	a := VulnerabilityAnnotation{VulnerabilityID: v.ID, Package: pkg, Status: AnnotationNotAffected, Reason: reason, UserID: &by, CreatedAt: at, UpdatedAt: at}
	if prev := v.NotAffected(pkg); prev != nil {
		o := *prev
		old = &o
		a.ID, a.CreatedAt = prev.ID, prev.CreatedAt
	}
	if err := s.tx(ctx, func(tx *gorm.DB) error { return tx.Save(&a).Error }); err != nil {
		return nil, nil, err
	}
	return old, &a, nil
}

// RemoveAnnotation deletes the annotation of pkg on osvID, returning it.
func (s *Store) RemoveAnnotation(ctx context.Context, osvID, pkg string) (*VulnerabilityAnnotation, error) {
	v, err := s.VulnerabilityByID(ctx, osvID)
	if err != nil {
		return nil, err
	}
	a := v.NotAffected(strings.TrimSpace(pkg))
	if a == nil {
		return nil, ErrNotFound
	}
	return a, s.tx(ctx, func(tx *gorm.DB) error { return tx.Delete(a).Error })
}

// PolicySnapshot is the package policy now: blocked licenses and the
// records not withdrawn, minus "not affected" annotations. It is kept in
// memory until a write to the policy tables (here or, on PostgreSQL, on
// another instance) drops it.
func (s *Store) PolicySnapshot(ctx context.Context) (*policy.Snapshot, error) {
	if p, ok := s.view.policySnapshot(); ok {
		return p, nil
	}
	epoch := s.view.epoch(partPolicy)
	blocked, err := s.BlockedLicenses(ctx)
	if err != nil {
		return nil, err
	}
	var vulns []Vulnerability
	if err := s.db.WithContext(ctx).Preload("Annotations").Where("withdrawn = ?", false).Find(&vulns).Error; err != nil {
		return nil, unavailable(err)
	}
	ids := make([]string, len(blocked))
	for i, b := range blocked {
		ids[i] = b.License
	}
	known := make([]policy.Known, len(vulns))
	notAffected := map[string]map[string]bool{}
	for i, v := range vulns {
		known[i] = policy.Known{ID: v.OSVID, Severity: v.Severity, Affected: v.AffectedList()}
		for _, a := range v.Annotations {
			if notAffected[v.OSVID] == nil {
				notAffected[v.OSVID] = map[string]bool{}
			}
			notAffected[v.OSVID][a.Package] = true
		}
	}
	p := policy.NewWithRecords(ids, known, notAffected)
	s.view.keepPolicy(p, epoch)
	return p, nil
}
