package handlers

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// signIn signs in through the real handlers and returns the cookies to send.
func signIn(b *testing.B, h http.Handler, email string) []*http.Cookie {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	cookies := rec.Result().Cookies()
	var csrf string
	for _, c := range cookies {
		if c.Name == "gatehouse_csrf" {
			csrf = c.Value
		}
	}
	form := url.Values{"email": {email}, "password": {modeltest.Password}, "_csrf": {csrf}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", rec.Code)
	}
	return append(cookies, rec.Result().Cookies()...)
}

// BenchmarkTokenRequest serves GET /api/scopes through the whole handler
// chain (no network) with 100,000 tokens stored, authenticated by session
// and by token, so the difference is the latency a token adds.
func BenchmarkTokenRequest(b *testing.B) {
	for _, be := range modeltest.Backends(b) {
		s := modeltest.Open(b, be)
		u := modeltest.MustUser(b, s, "bench@example.com")
		secrets := modeltest.SeedTokens(b, s, u, 100_000, 1000)
		hs, err := newHandlers(b.Context(), web.Config{DataDir: b.TempDir()}, s, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			b.Fatal(err)
		}
		h := hs.echo(nil)
		cookies := signIn(b, h, u.Email)
		run := func(name string, prepare func(r *http.Request, i int)) {
			b.Run(string(be)+"/"+name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					req := httptest.NewRequest("GET", "/api/scopes", nil)
					prepare(req, i)
					rec := httptest.NewRecorder()
					start := time.Now()
					h.ServeHTTP(rec, req)
					lat = append(lat, time.Since(start))
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					i++
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			})
		}
		run("session", func(r *http.Request, _ int) {
			for _, c := range cookies {
				r.AddCookie(c)
			}
		})
		run("bearer", func(r *http.Request, i int) { r.Header.Set("Authorization", "Bearer "+secrets[i%len(secrets)]) })
	}
}

// BenchmarkTokenOverAnonymous is the added cost of a token (spec §10, the
// hot path): the same small repodata.json, anonymously from a public channel
// and with a token in /t/ from a private one its owner may read, with
// 100,000 tokens stored. Both answers come from the in-memory view.
func BenchmarkTokenOverAnonymous(b *testing.B) {
	for _, be := range modeltest.Backends(b) {
		s := modeltest.Open(b, be)
		u := modeltest.MustUser(b, s, "bench@example.com")
		secrets := modeltest.SeedTokens(b, s, u, 100_000, 1000)
		ctx := b.Context()
		if _, err := s.CreateChannel(ctx, models.NewChannel{Name: "open", Public: true}); err != nil {
			b.Fatal(err)
		}
		priv, err := s.CreateChannel(ctx, models.NewChannel{Name: "closed"})
		if err != nil {
			b.Fatal(err)
		}
		members := []string{"Member"}
		if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, priv.ID, map[string]access.GrantsPatch{"read": {Roles: &members}}); err != nil {
			b.Fatal(err)
		}
		hs, err := newHandlers(ctx, web.Config{DataDir: b.TempDir()}, s, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			b.Fatal(err)
		}
		h := hs.echo(nil)
		run := func(name string, path func(i int) string) {
			b.Run(string(be)+"/"+name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				i := 0
				for b.Loop() {
					req := httptest.NewRequest("GET", path(i), nil)
					rec := httptest.NewRecorder()
					start := time.Now()
					h.ServeHTTP(rec, req)
					lat = append(lat, time.Since(start))
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
					i++
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
			})
		}
		run("anonymous", func(int) string { return "/api/repo/open/noarch/repodata.json" })
		run("token", func(i int) string { return "/t/" + secrets[i%len(secrets)] + "/api/repo/closed/noarch/repodata.json" })
	}
}
