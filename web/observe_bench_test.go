package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// BenchmarkObserve is what the request line and the metrics add to one
// request: Echo answering a small JSON body with and without observe.
func BenchmarkObserve(b *testing.B) {
	for _, on := range []bool{false, true} {
		e := echo.New()
		if on {
			e.Pre(observe(e, slog.New(slog.NewTextHandler(io.Discard, nil)), NewMetrics()))
		}
		e.GET("/api/channels/:name", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]bool{"ok": true}) })
		name := "without"
		if on {
			name = "with"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/channels/main", nil))
			}
		})
	}
}
