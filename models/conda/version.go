package conda

import "strings"

// CompareVersions orders two conda version strings the way conda does, near
// enough for picking the latest version: an epoch ("1!"), then components
// split at ".", "-" and "_" into numbers and words, where "dev" sorts before
// every other word, words before numbers, and "post" after numbers; a
// missing part counts as 0; a local part ("+…") breaks ties.
func CompareVersions(a, b string) int {
	ea, ma, la := splitVersion(a)
	eb, mb, lb := splitVersion(b)
	if c := compareParts(ea, eb); c != 0 {
		return c
	}
	if c := compareComponents(ma, mb); c != 0 {
		return c
	}
	return compareComponents(la, lb)
}

func splitVersion(v string) (epoch []string, main, local [][]string) {
	v = strings.ToLower(strings.TrimSpace(v))
	epoch = []string{"0"}
	if e, rest, ok := strings.Cut(v, "!"); ok {
		epoch, v = []string{e}, rest
	}
	v, l, _ := strings.Cut(v, "+")
	return epoch, components(v), components(l)
}

func components(v string) [][]string {
	if v == "" {
		return nil
	}
	var out [][]string
	for _, c := range strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		var parts []string
		for c != "" {
			n := 1
			digit := c[0] >= '0' && c[0] <= '9'
			for n < len(c) && (c[n] >= '0' && c[n] <= '9') == digit {
				n++
			}
			parts = append(parts, c[:n])
			c = c[n:]
		}
		if len(parts) > 0 && !isNumber(parts[0]) {
			parts = append([]string{"0"}, parts...) // "a1" is "0a1", as conda reads it
		}
		out = append(out, parts)
	}
	return out
}

func compareComponents(a, b [][]string) int {
	for i := range max(len(a), len(b)) {
		var x, y []string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := compareParts(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareParts(a, b []string) int {
	for i := range max(len(a), len(b)) {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func isNumber(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// partRank orders kinds of parts: dev < other words < numbers < post.
func partRank(s string) int {
	switch {
	case s == "dev":
		return 0
	case s == "post":
		return 3
	case isNumber(s):
		return 2
	}
	return 1
}

func comparePart(x, y string) int {
	rx, ry := partRank(x), partRank(y)
	if rx != ry {
		return rx - ry
	}
	if rx == 2 {
		x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
		if len(x) != len(y) { // any length: no overflow
			return len(x) - len(y)
		}
	}
	return strings.Compare(x, y)
}
