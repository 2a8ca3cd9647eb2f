package models

import (
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// nameProfile normalises role and team names with PRECIS's FreeformClass:
// no invisible, control, bidi-override or unassigned characters, full-width
// forms folded and compatibility forms composed, so one name cannot be
// written to look like another.
var nameProfile = precis.NewFreeform(precis.FoldWidth, precis.Norm(norm.NFKC), precis.DisallowEmpty)

// identifier checks and normalises a role or team name.
func identifier(field, name string) (string, error) {
	out, err := nameProfile.String(strings.TrimSpace(name))
	switch {
	case err != nil:
		return "", Invalid(field, "Name may hold only visible letters, digits, spaces and punctuation (no invisible or control characters).")
	case mixedScripts(out):
		return "", Invalid(field, "Name mixes scripts (such as Latin and Cyrillic letters), so it could pass for another name; write it in one script.")
	}
	return out, nil
}

// checkEmailParts checks the part of an address before "@" with PRECIS's
// IdentifierClass, and every part for mixed scripts; the domain must be a
// valid (internationalised) host name.
func checkEmailParts(local, domain string) bool {
	if _, err := precis.UsernameCasePreserved.String(local); err != nil || mixedScripts(local) {
		return false
	}
	if _, err := idna.Lookup.ToASCII(domain); err != nil {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if mixedScripts(label) {
			return false
		}
	}
	return true
}

// mixedScripts reports whether the letters of s come from more than one
// script (Chinese, Japanese and Korean writing counts as one), the mark of
// a look-alike such as a Cyrillic "а" among Latin letters.
func mixedScripts(s string) bool {
	first := ""
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		sc := scriptOf(r)
		if first == "" {
			first = sc
		} else if sc != first {
			return true
		}
	}
	return false
}

var cjk = []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo}

func scriptOf(r rune) string {
	if unicode.In(r, cjk...) {
		return "CJK"
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return "Unknown"
}
