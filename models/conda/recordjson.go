package conda

import (
	"strconv"
	"unicode/utf8"
)

// appendRecordJSON appends r as encoding/json writes Record (same keys, same
// order, HTML left unescaped) without reflection: a cold build of a big
// subdir writes every record.
func appendRecordJSON(b []byte, r *Record) []byte {
	b = append(b, `{"build":`...)
	b = appendJSONString(b, r.Build)
	b = append(b, `,"build_number":`...)
	b = strconv.AppendInt(b, int64(r.BuildNumber), 10)
	if len(r.Constrains) > 0 {
		b = appendJSONStrings(append(b, `,"constrains":`...), r.Constrains)
	}
	b = appendJSONStrings(append(b, `,"depends":`...), r.Depends)
	b = appendOptJSON(b, `,"features":`, r.Features)
	b = appendOptJSON(b, `,"license":`, r.License)
	b = appendOptJSON(b, `,"license_family":`, r.LicenseFamily)
	b = appendJSONString(append(b, `,"md5":`...), r.MD5)
	b = appendJSONString(append(b, `,"name":`...), r.Name)
	if len(r.Noarch) > 0 {
		b = append(append(b, `,"noarch":`...), r.Noarch...) // stored compact, from json.Marshal
	}
	b = appendJSONString(append(b, `,"sha256":`...), r.SHA256)
	b = strconv.AppendInt(append(b, `,"size":`...), r.Size, 10)
	b = appendJSONString(append(b, `,"subdir":`...), r.Subdir)
	if r.Timestamp != 0 {
		b = strconv.AppendInt(append(b, `,"timestamp":`...), r.Timestamp, 10)
	}
	b = appendOptJSON(b, `,"track_features":`, r.TrackFeatures)
	b = appendJSONString(append(b, `,"version":`...), r.Version)
	return append(b, '}')
}

func appendOptJSON(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, key...), v)
}

func appendJSONStrings(b []byte, vs []string) []byte {
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does with HTML escaping off:
// control characters, quotes and backslashes escaped, invalid UTF-8 as
// U+FFFD, and U+2028/U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}
