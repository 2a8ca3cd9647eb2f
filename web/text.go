package web

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Storable reports whether every database can hold s: valid UTF-8 without
// NUL characters. Requests carrying anything else are refused once, at the
// edge, by RefuseUnstorable.
func Storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// errUnstorable is the one answer to text no database can hold.
var errUnstorable = Fail(http.StatusBadRequest, "The request holds text that is not valid UTF-8 or has NUL characters; send plain UTF-8.")

// RefuseUnstorableURL answers 400 to a request whose path or query holds
// invalid UTF-8 or NUL, before routing decides anything on them.
func RefuseUnstorableURL(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if req := c.Request(); !plainASCII(req.URL.Path) && !Storable(req.URL.Path) || !valuesStorable(req.URL.RawQuery) {
			return errUnstorable
		}
		return next(c)
	}
}

// RefuseUnstorableBody answers 400 to a request whose form fields or JSON
// body hold invalid UTF-8 or NUL, before any handler or database sees them.
// It runs once the caller is known to be allowed in, so nobody else makes
// Gatehouse read a body. Multipart names are checked as uploads read them.
func RefuseUnstorableBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Body == nil || req.Method == http.MethodGet || req.Method == http.MethodHead {
			return next(c)
		}
		ct, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
		switch ct {
		case echo.MIMEApplicationForm:
			if err := req.ParseForm(); err != nil {
				return next(c) // the handler reports a body it cannot read
			}
			for k, vs := range req.PostForm {
				if !Storable(k) || !allStorable(vs) {
					return errUnstorable
				}
			}
		case echo.MIMEApplicationJSON:
			body, err := io.ReadAll(req.Body)
			req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
			if err == nil && (!utf8.Valid(body) || jsonHasNUL(body)) {
				return errUnstorable
			}
		}
		return next(c)
	}
}

// errReader hands a handler the error reading the body ended with (a size
// limit, say), after the bytes that were read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}

func valuesStorable(raw string) bool {
	if plainASCII(raw) {
		return true // nothing escaped, nothing to decode: the usual case
	}
	vs, err := url.ParseQuery(raw)
	if err != nil {
		return true // the handler reports a query it cannot read
	}
	for k, v := range vs {
		if !Storable(k) || !allStorable(v) {
			return false
		}
	}
	return true
}

func allStorable(vs []string) bool {
	for _, v := range vs {
		if !Storable(v) {
			return false
		}
	}
	return true
}

// jsonHasNUL reports whether a JSON text holds the escape \u0000 (a raw NUL
// is already invalid JSON): a backslash run of odd length before "u0000".
func jsonHasNUL(b []byte) bool {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte(`u0000`))
		if j < 0 {
			return false
		}
		j += i
		n := 0
		for k := j - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 1 {
			return true
		}
		i = j + 1
	}
}

// plainASCII reports whether s holds only printable ASCII and no escapes.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '%' {
			return false
		}
	}
	return true
}
