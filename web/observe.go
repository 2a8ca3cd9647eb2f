package web

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Unmatched is the route label of requests no route took (404, 405), so
// that raw paths never become labels.
const Unmatched = "unmatched"

// observe is the outermost middleware. It hands an error to the one error
// handler itself, so that the request line and the metrics both see the
// status and bytes the client really received: errors, recovered panics,
// body-limit and CSRF refusals and redirects alike.
func observe(e *echo.Echo, log *slog.Logger, m *Metrics) echo.MiddlewareFunc {
	var once sync.Once
	var routes map[string]bool
	known := func(method, path string) bool {
		once.Do(func() { // every route is registered before the first request
			routes = map[string]bool{}
			for _, r := range e.Routes() {
				routes[r.Method+" "+r.Path] = true
			}
		})
		return routes[method+" "+path]
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req, res := c.Request(), c.Response()
			path := RedactPath(req.URL.Path) // before anything rewrites it
			cw := &countingWriter{ResponseWriter: res.Writer}
			res.Writer = cw
			if err := next(c); err != nil {
				c.Error(err)
			}
			d := time.Since(start)
			status := res.Status
			if !res.Committed {
				// Nothing was written: net/http will send 200 with no body.
				status = http.StatusOK
			}
			method := methodLabel(req.Method)
			route := c.Path()
			if !known(req.Method, route) {
				route = Unmatched
			}
			m.request(method, route, status, cw.n, d)
			log.Info("request", "method", method, "path", path, "route", route, "status", status,
				"bytes", cw.n, "ms", float64(d.Microseconds())/1000, "id", res.Header().Get(echo.HeaderXRequestID))
			return nil
		}
	}
}

// methodLabel keeps the method label to the methods HTTP defines, so odd
// methods cannot grow the metrics without bound.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// countingWriter counts the body bytes that go to the client, after any
// compression above it.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
