// Package policy is the server-wide package policy at one moment: which
// licenses are blocked and which package versions have known
// vulnerabilities. It is pure code; the store builds a Snapshot from its
// tables, and uploads and mirror runs ask it about each package.
package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Severity orders vulnerability severities; None means no known record.
type Severity int

// Severities, from the least.
const (
	None Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"none", "low", "medium", "high", "critical"}

// String is the lower-case name ("high").
func (s Severity) String() string {
	if s < None || s > Critical {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Severity(i), nil
		}
	}
	return None, fmt.Errorf("policy: unknown severity %q (use low, medium, high or critical)", s)
}

// Snapshot answers policy questions about packages. A nil Snapshot allows
// everything and knows no vulnerabilities.
type Snapshot struct {
	blocked map[string]bool
	// worst finds the worst severity affecting one package version, not
	// counting records annotated as not affecting it.
	worst func(name, version string) Severity
	// vulns are the known records by lower-case package name, for
	// Vulnerabilities (nil when the Snapshot was built by New).
	vulns map[string][]Known
}

// Known is a vulnerability record as a Snapshot holds it for one package:
// the package's affected entries in it, minus annotated packages.
type Known struct {
	ID       string
	Severity Severity
	Affected []Affected
}

// Match is one record affecting a package version.
type Match struct {
	ID       string   `json:"id"`
	Severity Severity `json:"-"`
}

// MarshalText writes a severity by name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// NewWithRecords builds a Snapshot from blocked license identifiers and
// known records; notAffected lists, per record id, the lower-case package
// names annotated as not affected by it.
func NewWithRecords(blockedLicenses []string, records []Known, notAffected map[string]map[string]bool) *Snapshot {
	idx := map[string][]Known{}
	for _, r := range records {
		byName := map[string][]Affected{}
		for _, a := range r.Affected {
			n := strings.ToLower(strings.TrimSpace(a.Package))
			if !notAffected[r.ID][n] {
				byName[n] = append(byName[n], a)
			}
		}
		for n, as := range byName {
			idx[n] = append(idx[n], Known{ID: r.ID, Severity: r.Severity, Affected: as})
		}
	}
	p := New(blockedLicenses, nil)
	p.vulns = idx
	p.worst = func(name, version string) Severity {
		w := None
		for _, m := range p.Vulnerabilities(name, version) {
			w = max(w, m.Severity)
		}
		return w
	}
	return p
}

// Vulnerabilities lists the records affecting name at version, worst first.
func (p *Snapshot) Vulnerabilities(name, version string) []Match {
	if p == nil {
		return nil
	}
	var out []Match
	for _, k := range p.vulns[strings.ToLower(strings.TrimSpace(name))] {
		for _, a := range k.Affected {
			if a.Matches(name, version) {
				out = append(out, Match{ID: k.ID, Severity: k.Severity})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Match) int {
		if a.Severity != b.Severity {
			return int(b.Severity - a.Severity)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Blocked lists the blocked license identifiers.
func (p *Snapshot) Blocked() []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, len(p.blocked))
	for l := range p.blocked {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// New builds a Snapshot from blocked license identifiers and a lookup of
// known vulnerabilities (nil when none are known).
func New(blockedLicenses []string, worst func(name, version string) Severity) *Snapshot {
	p := &Snapshot{blocked: map[string]bool{}, worst: worst}
	for _, l := range blockedLicenses {
		p.blocked[NormalizeLicense(l)] = true
	}
	return p
}

// LicenseRefusal says why a package under license may not be stored, or
// "" when it may.
func (p *Snapshot) LicenseRefusal(license string) string {
	if p == nil || len(p.blocked) == 0 {
		return ""
	}
	if l, ok := refused(NormalizeLicense(license), p.blocked); ok {
		return fmt.Sprintf("Packages under the license %s are blocked on this server.", l)
	}
	return ""
}

// Worst is the worst known severity affecting name at version.
func (p *Snapshot) Worst(name, version string) Severity {
	if p == nil || p.worst == nil {
		return None
	}
	return p.worst(name, version)
}
