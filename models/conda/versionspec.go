package conda

import (
	"fmt"
	"strings"
)

// VersionSpec is the version part of a conda match spec: alternatives
// joined by "|", each a list of constraints joined by "," that must all
// hold. The zero VersionSpec (from "" or "*") matches every version.
type VersionSpec struct {
	any  [][]constraint
	text string
}

type constraint struct {
	op      string // ==, !=, >=, <=, >, <, =* (prefix), !=* (not prefix), ~=
	version string
}

// MaxVersionSpec bounds a spec's length.
const MaxVersionSpec = 500

// ParseVersionSpec reads conda's version syntax: ">=1.2,<2", "1.2.*",
// "==1.2.3", "=1.2" (1.2.*), "!=1.3", "~=1.2.3", "1.2*", "*", and "|"
// between alternatives ("1.2.*|>=2.1"). A bare version is an exact match.
func ParseVersionSpec(s string) (VersionSpec, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxVersionSpec {
		return VersionSpec{}, fmt.Errorf("the version spec is longer than %d characters", MaxVersionSpec)
	}
	vs := VersionSpec{text: s}
	if s == "" || s == "*" {
		return vs, nil
	}
	for _, alt := range strings.Split(s, "|") {
		var all []constraint
		for _, part := range strings.Split(alt, ",") {
			c, err := parseConstraint(strings.TrimSpace(part))
			if err != nil {
				return VersionSpec{}, err
			}
			all = append(all, c)
		}
		vs.any = append(vs.any, all)
	}
	return vs, nil
}

func parseConstraint(s string) (constraint, error) {
	if s == "" {
		return constraint{}, fmt.Errorf("a version spec has an empty part (check the commas and bars)")
	}
	if s == "*" {
		return constraint{op: "=*"}, nil
	}
	op := ""
	for _, o := range []string{"==", "!=", ">=", "<=", "~=", ">", "<", "="} {
		if strings.HasPrefix(s, o) {
			op, s = o, strings.TrimSpace(s[len(o):])
			break
		}
	}
	prefix := false
	if v, ok := strings.CutSuffix(s, "*"); ok {
		prefix, s = true, strings.TrimSuffix(v, ".")
	}
	if err := checkVersion(s); err != nil {
		return constraint{}, err
	}
	switch {
	case op == "=" || (op == "" || op == "==") && prefix:
		return constraint{op: "=*", version: s}, nil
	case op == "!=" && prefix:
		return constraint{op: "!=*", version: s}, nil
	case op == "~=" && prefix:
		return constraint{}, fmt.Errorf("~= takes a whole version, not %s*", s)
	case op == "":
		return constraint{op: "==", version: s}, nil
	}
	return constraint{op: op, version: s}, nil // >=1.2.* is read as >=1.2, as conda does
}

func checkVersion(v string) error {
	if v == "" {
		return fmt.Errorf("a version spec names an operator without a version")
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("._+!-", r)) {
			return fmt.Errorf("%q is not a conda version (use letters, digits and . _ + ! -)", v)
		}
	}
	return nil
}

// String is the spec as written.
func (vs VersionSpec) String() string { return vs.text }

// Match reports whether version satisfies the spec.
func (vs VersionSpec) Match(version string) bool {
	if len(vs.any) == 0 {
		return true
	}
	for _, all := range vs.any {
		ok := true
		for _, c := range all {
			if !c.match(version) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (c constraint) match(v string) bool {
	cmp := func() int { return CompareVersions(v, c.version) }
	switch c.op {
	case "==":
		return cmp() == 0
	case "!=":
		return cmp() != 0
	case ">=":
		return cmp() >= 0
	case "<=":
		return cmp() <= 0
	case ">":
		return cmp() > 0
	case "<":
		return cmp() < 0
	case "=*":
		return hasVersionPrefix(v, c.version)
	case "!=*":
		return !hasVersionPrefix(v, c.version)
	case "~=":
		// ~=1.2.3 is >=1.2.3 and 1.2.*: the last component may grow.
		i := strings.LastIndex(c.version, ".")
		return cmp() >= 0 && (i < 0 || hasVersionPrefix(v, c.version[:i]))
	}
	return false
}

// hasVersionPrefix reports whether v is p or continues p with a new
// component: 1.2 starts 1.2, 1.2.5 and 1.2a, never 1.20.
func hasVersionPrefix(v, p string) bool {
	if p == "" {
		return true
	}
	v, p = strings.ToLower(v), strings.ToLower(p)
	if !strings.HasPrefix(v, p) {
		return false
	}
	if len(v) == len(p) {
		return true
	}
	next := v[len(p)]
	last := p[len(p)-1]
	digit := func(b byte) bool { return b >= '0' && b <= '9' }
	return !(digit(next) && digit(last))
}
