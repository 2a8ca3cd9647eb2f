package policy

import (
	"slices"
	"strings"

	"gatehouse/models/conda"
)

// Affected is one package an OSV record affects: its name as the record
// writes it, version ranges and explicit versions.
type Affected struct {
	Package  string   `json:"package"`
	Ranges   []Range  `json:"ranges,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// Range is an OSV range of type ECOSYSTEM or SEMVER (GIT ranges name
// commits, which conda packages do not carry, and are not kept).
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// version is the one version the event names, and whether exactly one is set.
func (e Event) version() (string, bool) {
	var v string
	n := 0
	for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
		if s != "" {
			v = s
			n++
		}
	}
	return v, n == 1
}

// Matches reports whether version of the package named name is affected.
func (a Affected) Matches(name, version string) bool {
	if !strings.EqualFold(strings.TrimSpace(a.Package), strings.TrimSpace(name)) {
		return false
	}
	for _, v := range a.Versions {
		if conda.CompareVersions(v, version) == 0 {
			return true
		}
	}
	for _, r := range a.Ranges {
		if r.Includes(version) {
			return true
		}
	}
	return false
}

// Includes evaluates the range the way the OSV schema describes: events
// sorted by version, "introduced" opens, "fixed" (exclusive) and
// "last_affected" (inclusive) close, and "limit" caps from above. A range
// with a malformed event (none or several fields set) includes nothing.
func (r Range) Includes(v string) bool {
	if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
		return false
	}
	var events, limits []Event
	for _, e := range r.Events {
		if _, ok := e.version(); !ok {
			return false
		}
		if e.Limit != "" {
			limits = append(limits, e)
		} else {
			events = append(events, e)
		}
	}
	if len(limits) > 0 && !slices.ContainsFunc(limits, func(e Event) bool {
		return e.Limit == "*" || conda.CompareVersions(v, e.Limit) < 0
	}) {
		return false
	}
	slices.SortStableFunc(events, func(a, b Event) int { return compareEvent(a, b) })
	affected := false
	for _, e := range events {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" || conda.CompareVersions(v, e.Introduced) >= 0 {
				affected = true
			}
		case e.Fixed != "":
			if conda.CompareVersions(v, e.Fixed) >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			if conda.CompareVersions(v, e.LastAffected) > 0 {
				affected = false
			}
		}
	}
	return affected
}

// compareEvent orders events by the version they name; "0" comes first.
func compareEvent(a, b Event) int {
	va, _ := a.version()
	vb, _ := b.version()
	switch {
	case a.Introduced == "0" && b.Introduced == "0":
		return 0
	case a.Introduced == "0":
		return -1
	case b.Introduced == "0":
		return 1
	}
	return conda.CompareVersions(va, vb)
}
