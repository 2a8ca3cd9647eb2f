package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// BenchmarkCompress compares Echo's gzip middleware (the standard library's
// compress/gzip) with Compress (klauspost/compress's gzhttp) on a catalog
// page's HTML and a JSON list, through Echo in process. "ratio" is
// compressed/plain size.
func BenchmarkCompress(b *testing.B) {
	var html, js strings.Builder
	html.WriteString("<!doctype html><html><body><table>")
	js.WriteString(`{"ok":true,"artifacts":[`)
	for i := range 400 {
		fmt.Fprintf(&html, `<tr class="border-b hover:bg-slate-50"><td class="px-3 py-2 font-mono">tool-%d</td><td>1.%d.0</td><td>py_%d</td><td>linux-64</td><td>BSD-3-Clause</td><td>%d</td></tr>`, i, i%17, i%5, 1000+i*37)
		fmt.Fprintf(&js, `{"name":"tool-%d","version":"1.%d.0","build":"py_%d","subdir":"linux-64","license":"BSD-3-Clause","size":%d,"sha256":"%064x"},`, i, i%17, i%5, 1000+i*37, i*7919)
	}
	html.WriteString("</table></body></html>")
	js.WriteString(`{}]}`)
	bodies := []struct{ name, ctype, body string }{
		{"html", echo.MIMETextHTMLCharsetUTF8, html.String()},
		{"json", echo.MIMEApplicationJSON, js.String()},
	}
	mws := []struct {
		name string
		mw   echo.MiddlewareFunc
	}{
		{"echo-gzip", middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024})},
		{"gzhttp", Compress(func(echo.Context) bool { return false })},
	}
	for _, body := range bodies {
		for _, m := range mws {
			e := echo.New()
			e.Use(m.mw)
			e.GET("/", func(c echo.Context) error { return c.Blob(http.StatusOK, body.ctype, []byte(body.body)) })
			b.Run(body.name+"/"+m.name, func(b *testing.B) {
				var size int
				b.SetBytes(int64(len(body.body)))
				for b.Loop() {
					req := httptest.NewRequest(http.MethodGet, "/", nil)
					req.Header.Set("Accept-Encoding", "gzip")
					rec := httptest.NewRecorder()
					e.ServeHTTP(rec, req)
					size = rec.Body.Len()
					if rec.Header().Get("Content-Encoding") != "gzip" {
						b.Fatal("not compressed")
					}
				}
				b.ReportMetric(float64(size)/float64(len(body.body)), "ratio")
			})
		}
	}
}
