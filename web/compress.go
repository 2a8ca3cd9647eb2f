package web

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
	"github.com/labstack/echo/v4"
)

// compressible are the content types worth compressing: HTML, CSS, JS, JSON
// and plain text. Everything else (package files, zstd) is sent as is.
var compressible = []string{"text/html", "text/css", "text/javascript", "application/javascript",
	"application/json", "text/plain", "image/svg+xml"}

// Compress gzips compressible answers for clients that accept gzip, with
// Vary: Accept-Encoding; answers under 1 KiB are not worth it. Requests for
// which skip says so are left alone. Pages that show a CSRF token next to
// text a visitor chose get a few bytes of content-derived padding, which
// blunts BREACH-style guessing from compressed sizes.
func Compress(skip func(c echo.Context) bool) echo.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.EnableZstd(false),
		gzhttp.ContentTypes(compressible),
		gzhttp.MinSize(1024),
		gzhttp.RandomJitter(32, 0, false),
	)
	if err != nil {
		panic(err) // the options are constants
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip(c) {
				return next(c)
			}
			var err error
			res := c.Response()
			wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				orig := res.Writer
				res.Writer = w
				defer func() { res.Writer = orig }()
				// Errors are rendered here, inside the compressing writer,
				// so error pages are compressed like the rest.
				if err = next(c); err != nil {
					c.Error(err)
					err = nil
				}
			})).ServeHTTP(res.Writer, c.Request())
			return err
		}
	}
}
