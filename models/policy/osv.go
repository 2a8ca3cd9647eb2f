package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// Bounds on what one import may hold.
const (
	MaxRecords  = 20_000
	maxAffected = 2_000
	maxIDLen    = 100
	maxSummary  = 500
	maxDetails  = 20_000
)

// Record is an OSV vulnerability record as Gatehouse keeps it.
type Record struct {
	ID        string
	Aliases   []string
	Summary   string
	Details   string
	Published time.Time
	Modified  time.Time
	Withdrawn bool
	// Severity is the record's own rating ("database_specific.severity")
	// or else the worst CVSS score it gives; Rated is false when it gives
	// neither, and then the record counts as Medium.
	Severity Severity
	Rated    bool
	Score    float64 // the CVSS base score the severity came from (0: none)
	Vector   string
	Affected []Affected
}

// osvDoc is the wire form (https://ossf.github.io/osv-schema/).
type osvDoc struct {
	ID        string         `json:"id"`
	Modified  string         `json:"modified"`
	Published string         `json:"published"`
	Withdrawn string         `json:"withdrawn"`
	Aliases   []string       `json:"aliases"`
	Summary   string         `json:"summary"`
	Details   string         `json:"details"`
	Severity  []osvSeverity  `json:"severity"`
	Affected  []osvAffected  `json:"affected"`
	DBSpec    map[string]any `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Severity []osvSeverity `json:"severity"`
	Ranges   []struct {
		Type   string                       `json:"type"`
		Events []map[string]json.RawMessage `json:"events"`
	} `json:"ranges"`
	Versions []string       `json:"versions"`
	DBSpec   map[string]any `json:"database_specific"`
	EcoSpec  map[string]any `json:"ecosystem_specific"`
}

// ParseOSV reads OSV JSON: one record, an array of records, or an object
// {"vulns": [...]}. Every record is checked; the first fault is returned,
// naming the record and the field, and then no record is.
func ParseOSV(data []byte) ([]Record, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("the file is empty: expected OSV JSON")
	}
	var docs []osvDoc
	switch data[0] {
	case '[':
		if err := strictJSON(data, &docs); err != nil {
			return nil, err
		}
	case '{':
		var probe struct {
			Vulns *[]osvDoc `json:"vulns"`
		}
		if err := json.Unmarshal(data, &probe); err != nil {
			return nil, jsonFault(err)
		}
		if probe.Vulns != nil {
			docs = *probe.Vulns
		} else {
			var one osvDoc
			if err := strictJSON(data, &one); err != nil {
				return nil, err
			}
			docs = []osvDoc{one}
		}
	default:
		return nil, errors.New("not OSV JSON: expected a record, an array of records or {\"vulns\": [...]}")
	}
	if len(docs) == 0 {
		return nil, errors.New("the file holds no vulnerability records")
	}
	if len(docs) > MaxRecords {
		return nil, fmt.Errorf("the file holds %d records; at most %d may be imported at once", len(docs), MaxRecords)
	}
	out := make([]Record, 0, len(docs))
	seen := map[string]bool{}
	for i, d := range docs {
		r, err := d.record()
		if err != nil {
			if d.ID != "" && utf8.ValidString(d.ID) && len(d.ID) <= maxIDLen {
				return nil, fmt.Errorf("record %s: %w", d.ID, err)
			}
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
		if seen[strings.ToUpper(r.ID)] {
			return nil, fmt.Errorf("record %s appears twice in the file", r.ID)
		}
		seen[strings.ToUpper(r.ID)] = true
		out = append(out, r)
	}
	return out, nil
}

func strictJSON(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return jsonFault(err)
	}
	return nil
}

func jsonFault(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Errorf("not OSV JSON: %s holds a %s where OSV has another type", te.Field, te.Value)
	}
	return errors.New("not valid JSON")
}

func (d osvDoc) record() (Record, error) {
	id := strings.TrimSpace(d.ID)
	switch {
	case id == "":
		return Record{}, errors.New("no id")
	case len(id) > maxIDLen || !utf8.ValidString(id) || strings.ContainsAny(id, " \t\r\n/\\?#%"):
		return Record{}, errors.New("the id is not an OSV identifier")
	case len(d.Affected) > maxAffected:
		return Record{}, fmt.Errorf("more than %d affected packages", maxAffected)
	}
	r := Record{ID: id, Summary: clip(d.Summary, maxSummary), Details: clip(d.Details, maxDetails), Withdrawn: d.Withdrawn != ""}
	for _, a := range d.Aliases {
		if a = strings.TrimSpace(a); a != "" && len(a) <= maxIDLen && utf8.ValidString(a) {
			r.Aliases = append(r.Aliases, a)
		}
	}
	var err error
	if r.Published, err = osvTime("published", d.Published); err != nil {
		return Record{}, err
	}
	if r.Modified, err = osvTime("modified", d.Modified); err != nil {
		return Record{}, err
	}
	severities := d.Severity
	named := namedSeverity(d.DBSpec)
	for i, a := range d.Affected {
		pa, err := a.affected(i)
		if err != nil {
			return Record{}, err
		}
		if pa.Package != "" {
			r.Affected = append(r.Affected, pa)
		}
		severities = append(severities, a.Severity...)
		named = max(named, namedSeverity(a.DBSpec), namedSeverity(a.EcoSpec))
	}
	if named > None {
		r.Severity, r.Rated = named, true
	}
	for _, s := range severities {
		score, ok := cvssScore(s)
		if !ok || score <= r.Score {
			continue
		}
		r.Score, r.Vector = score, s.Score
		if named == None {
			r.Severity, r.Rated = ScoreSeverity(score), true
		}
	}
	if !r.Rated {
		r.Severity = Medium
	}
	return r, nil
}

func (a osvAffected) affected(i int) (Affected, error) {
	name := strings.TrimSpace(a.Package.Name)
	if name == "" && (len(a.Ranges) > 0 || len(a.Versions) > 0) {
		return Affected{}, fmt.Errorf("affected[%d] names no package", i)
	}
	if len(name) > 255 || !utf8.ValidString(name) {
		return Affected{}, fmt.Errorf("affected[%d].package.name is not a package name", i)
	}
	out := Affected{Package: name}
	for _, v := range a.Versions {
		if v = strings.TrimSpace(v); v != "" && len(v) <= 100 {
			out.Versions = append(out.Versions, v)
		}
	}
	for j, rg := range a.Ranges {
		where := fmt.Sprintf("affected[%d].ranges[%d]", i, j)
		switch rg.Type {
		case "GIT":
			continue // commits: conda packages carry none
		case "ECOSYSTEM", "SEMVER":
		default:
			return Affected{}, fmt.Errorf("%s has the type %q (expected ECOSYSTEM, SEMVER or GIT)", where, clip(rg.Type, 40))
		}
		r := Range{Type: rg.Type}
		introduced := false
		for k, raw := range rg.Events {
			e, err := event(raw)
			if err != nil {
				return Affected{}, fmt.Errorf("%s.events[%d] %v", where, k, err)
			}
			introduced = introduced || e.Introduced != ""
			r.Events = append(r.Events, e)
		}
		if !introduced {
			return Affected{}, fmt.Errorf("%s has no \"introduced\" event", where)
		}
		out.Ranges = append(out.Ranges, r)
	}
	return out, nil
}

// event reads one range event: exactly one known field, a version string.
func event(raw map[string]json.RawMessage) (Event, error) {
	if len(raw) != 1 {
		return Event{}, errors.New("must have exactly one of introduced, fixed, last_affected or limit")
	}
	var e Event
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil || strings.TrimSpace(s) == "" || len(s) > 100 {
			return Event{}, fmt.Errorf("has %q, which is not a version", k)
		}
		s = strings.TrimSpace(s)
		switch k {
		case "introduced":
			e.Introduced = s
		case "fixed":
			e.Fixed = s
		case "last_affected":
			e.LastAffected = s
		case "limit":
			e.Limit = s
		default:
			return Event{}, fmt.Errorf("has the unknown field %q", clip(k, 40))
		}
	}
	return e, nil
}

func osvTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 time", field)
	}
	return t.UTC(), nil
}

// namedSeverity reads a "severity" the record's database gives by name.
func namedSeverity(m map[string]any) Severity {
	s, _ := m["severity"].(string)
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "LOW":
		return Low
	case "MODERATE", "MEDIUM":
		return Medium
	case "HIGH", "IMPORTANT":
		return High
	case "CRITICAL":
		return Critical
	}
	return None
}

// cvssScore is the base score of a CVSS vector (v2, v3.0, v3.1, v4.0).
func cvssScore(s osvSeverity) (float64, bool) {
	v := strings.TrimSpace(s.Score)
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		if c, err := gocvss40.ParseVector(v); err == nil {
			return c.Score(), true
		}
	case strings.HasPrefix(v, "CVSS:3.1/"):
		if c, err := gocvss31.ParseVector(v); err == nil {
			return c.BaseScore(), true
		}
	case strings.HasPrefix(v, "CVSS:3.0/"):
		if c, err := gocvss30.ParseVector(v); err == nil {
			return c.BaseScore(), true
		}
	case s.Type == "CVSS_V2":
		if c, err := gocvss20.ParseVector(v); err == nil {
			return c.BaseScore(), true
		}
	}
	return 0, false
}

// ScoreSeverity rates a CVSS score as CVSS v3 and v4 do.
func ScoreSeverity(score float64) Severity {
	switch {
	case score >= 9:
		return Critical
	case score >= 7:
		return High
	case score >= 4:
		return Medium
	case score > 0:
		return Low
	}
	return None
}

func clip(s string, n int) string {
	s = strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
