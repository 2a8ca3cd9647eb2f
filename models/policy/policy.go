// Package policy is the server-wide package policy at one moment: which
// licenses are blocked and which package versions have known
// vulnerabilities. It is pure code; the store builds a Snapshot from its
// tables, and uploads and mirror runs ask it about each package.
package policy

import (
	"fmt"
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
	if id := NormalizeLicense(license); p.blocked[id] {
		return fmt.Sprintf("Packages under the license %s are blocked on this server.", id)
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

// NormalizeLicense turns a package's license text into its SPDX identifier
// where one is recognised, and otherwise returns it trimmed.
func NormalizeLicense(s string) string {
	return strings.TrimSpace(s)
}
