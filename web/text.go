package web

import (
	"strings"
	"unicode/utf8"
)

// Storable reports whether every database can hold s: valid UTF-8 without
// NUL characters. Requests carrying anything else are refused once, at the
// edge (see RefuseUnstorable).
func Storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
