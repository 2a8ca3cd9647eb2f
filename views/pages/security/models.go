// Package security holds the license and vulnerability pages: the license
// overview with blocks, and the imported vulnerability records.
package security

import (
	"net/url"
	"strconv"
	"strings"

	"gatehouse/views/components"
)

// LicensesPage is the license overview (admins).
type LicensesPage struct {
	CSRF    string
	CanEdit bool
	Rows    []LicenseRow
	// The block form, and what was wrong with it.
	License, Reason string
	Errors          map[string]string
	Error           string
}

// LicenseRow is one license across all artifacts.
type LicenseRow struct {
	License   string
	SPDX      bool
	Written   []string // other spellings packages use
	Count     int
	Channels  []string
	Blocked   bool
	Reason    string
	BlockedAt components.When
}

// Label is the license as shown ("(none)" for packages that give none).
func (r LicenseRow) Label() string {
	if r.License == "" {
		return "(none)"
	}
	return r.License
}

// Spellings lists how packages write the license when that differs.
func (r LicenseRow) Spellings() string {
	var other []string
	for _, w := range r.Written {
		if w != r.License && w != "" {
			other = append(other, w)
		}
	}
	return strings.Join(other, ", ")
}

// CVEsPage lists the imported vulnerability records.
type CVEsPage struct {
	CSRF     string
	CanEdit  bool
	Severity string // the filter: "", "low", "medium", "high", "critical"
	Rows     []CVERow
	Total    int
	URL      string // the import form's URL field
	Errors   map[string]string
	Error    string
}

// SeverityOptions are the filter's choices.
func (p CVEsPage) SeverityOptions() []components.Option {
	out := []components.Option{{Value: "", Label: "Any severity", Selected: p.Severity == ""}}
	for _, s := range []string{"low", "medium", "high", "critical"} {
		out = append(out, components.Option{Value: s, Label: "At least " + s, Selected: p.Severity == s})
	}
	return out
}

// CVERow is one record in the list.
type CVERow struct {
	ID        string
	Aliases   string
	Summary   string
	Severity  string
	Rated     bool
	Packages  string
	Artifacts int // artifacts it affects now, annotations considered
	Updated   components.When
}

// Href is the record's page.
func (r CVERow) Href() string { return CVEHref(r.ID) }

// CVEHref is the page of the record id.
func CVEHref(id string) string { return "/admin/cves/" + url.PathEscape(id) }

// SeverityTone is the badge colour of a severity.
func SeverityTone(s string) string {
	switch s {
	case "critical", "high":
		return "red"
	case "medium":
		return "amber"
	case "none", "":
		return "green"
	}
	return "gray"
}

// CVEPage is one record: what it affects, and the annotations.
type CVEPage struct {
	CSRF      string
	CanEdit   bool
	ID        string
	Aliases   []string
	Summary   string
	Details   string
	Severity  string
	Rated     bool
	Score     string
	Vector    string
	Withdrawn bool
	Published components.When
	Modified  components.When
	Source    string
	Affected  []AffectedRow
	Artifacts []AffectedArtifact
	Packages  []string // packages it names, for the annotation form
	// The annotation form, and what was wrong with it.
	Package, Reason string
	Errors          map[string]string
	Error           string
}

// Action is where the annotation form posts.
func (p CVEPage) Action() string { return CVEHref(p.ID) + "/annotations" }

// RemoveAction is where removing an annotation posts.
func (p CVEPage) RemoveAction() string { return CVEHref(p.ID) + "/annotations/delete" }

// AffectedRow is one package the record names.
type AffectedRow struct {
	Package     string
	Ranges      []string // "≥ 1.0, < 1.5"
	Versions    string
	NotAffected bool
	Reason      string
	By          string
}

// AffectedArtifact is an artifact the record affects.
type AffectedArtifact struct {
	Place    string // channel or channel/subchannel
	Href     string
	Filename string
	Subdir   string
	Name     string
	Version  string
}

// Score formats a CVSS score.
func Score(f float64) string {
	if f <= 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}
