package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
)

// memSessions keeps session rows in memory for the cookie clock tests; the
// handler tests use the real store.
type memSessions map[string]uint

func (m memSessions) CreateSession(_ context.Context, id string, uid uint, _ time.Time) error {
	m[id] = uid
	return nil
}
func (m memSessions) EndSession(_ context.Context, id string) error { delete(m, id); return nil }

func TestSessionTimeouts(t *testing.T) {
	s := NewSessions("secret", time.Hour, 8*time.Hour, false, memSessions{})
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	now := start
	s.now = func() time.Time { return now }
	e := echo.New()

	rec := httptest.NewRecorder()
	if err := s.SignIn(e.NewContext(httptest.NewRequest("GET", "/", nil), rec), &models.User{ID: 7}); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	at := func(t time.Time) uint {
		now = t
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		id, _ := s.Current(e.NewContext(req, rec))
		if cs := rec.Result().Cookies(); len(cs) > 0 {
			cookie = cs[0] // the idle clock was refreshed
		}
		return id
	}
	if id := at(start.Add(30 * time.Minute)); id != 7 {
		t.Fatalf("active session: %d", id)
	}
	if id := at(start.Add(89 * time.Minute)); id != 7 {
		t.Fatalf("within idle window of the last request: %d", id)
	}
	if id := at(start.Add(89*time.Minute + 61*time.Minute)); id != 0 {
		t.Fatal("idle session still valid")
	}
	// Keep it busy: the absolute limit still applies.
	now = start
	rec = httptest.NewRecorder()
	_ = s.SignIn(e.NewContext(httptest.NewRequest("GET", "/", nil), rec), &models.User{ID: 7})
	cookie = rec.Result().Cookies()[0]
	for h := 30 * time.Minute; h < 8*time.Hour; h += 30 * time.Minute {
		if id := at(start.Add(h)); id != 7 {
			t.Fatalf("busy session ended early at %v", h)
		}
	}
	if id := at(start.Add(8*time.Hour + time.Minute)); id != 0 {
		t.Fatal("session outlived the absolute timeout")
	}
	// A cookie signed with another key is ignored.
	other := NewSessions("other", time.Hour, 8*time.Hour, false, memSessions{})
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(cookie)
	if id, _ := other.Current(e.NewContext(req, httptest.NewRecorder())); id != 0 {
		t.Fatal("forged session accepted")
	}
}

func TestRedactPath(t *testing.T) {
	cases := map[string]string{
		"/t/gth_secret123/api/repo/ch/noarch/repodata.json": "/t/REDACTED/api/repo/ch/noarch/repodata.json",
		"/api/repo/ch/noarch/repodata.json":                 "/api/repo/ch/noarch/repodata.json",
		"/tokens":                                           "/tokens",
	}
	for in, want := range cases {
		if got := RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q", in, got)
		}
	}
}

// browserTarget resolves a Location value the way a browser does: drop
// tabs and newlines, trim spaces and controls, read "\\" as "/", then
// resolve against the page.
func browserTarget(t *testing.T, location string) *url.URL {
	t.Helper()
	loc := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, strings.TrimFunc(location, func(r rune) bool { return r <= ' ' }))
	base, _ := url.Parse("https://gatehouse.example/login")
	ref, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("the browser could not parse %q: %v", location, err)
	}
	return base.ResolveReference(ref)
}

// TestSafeNext holds a corpus of hostile targets against SafeNext: each
// must lead a browser to this site, never elsewhere, and good targets stay
// as they were.
func TestSafeNext(t *testing.T) {
	good := map[string]string{
		"/tokens?x=1": "/tokens?x=1", "/pages/services": "/pages/services", "/channels/web?sub=dev": "/channels/web?sub=dev",
		"/api/repo/x/noarch/a%2Bb.conda": "/api/repo/x/noarch/a+b.conda", "": "/", "/login?next=/x": "/", "/login/": "/",
		"/a/./b": "/a/b", "/a//b": "/a/b",
	}
	for in, want := range good {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
	hostile := []string{
		"https://evil.example", "http://evil.example/x", "//evil.example", "///evil.example", "////evil.example",
		"/\\evil.example", "\\\\evil.example", "/\\/evil.example", "\\/evil.example", "/%09/evil.example/x", "/%09%5Cevil.example/x",
		"/\t/evil.example/x", "/\n/evil.example", "/\r/evil.example", "/\t\\evil.example", "\t//evil.example", " //evil.example",
		"/%2F/evil.example", "/%2F%2Fevil.example", "/%5C%5Cevil.example", "/%5Cevil.example", "/.//evil.example", "/./\\evil.example",
		"/../evil.example", "/..//evil.example", "/x/..//evil.example", "/x/../../evil.example", "//evil.example/%2F..",
		"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "mailto:a@evil.example", "evil.example",
		"@evil.example", "/@evil.example", "https:evil.example", "https:/evil.example", "http:\\\\evil.example",
		"//gatehouse.example@evil.example", "/\x00//evil.example", "/%00//evil.example", "/%E3%80%82evil.example",
		"/\u3002/evil.example", "/ /evil.example", "\x7f//evil.example", "/login", "/login?next=//evil.example",
	}
	if len(hostile) < 40 {
		t.Fatalf("the corpus has %d variants", len(hostile))
	}
	for _, in := range hostile {
		got := SafeNext(in)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") {
			t.Errorf("SafeNext(%q) = %q: not a path on this site", in, got)
		}
		if u := browserTarget(t, got); u.Host != "gatehouse.example" || u.Scheme != "https" {
			t.Errorf("SafeNext(%q) = %q leads a browser to %s", in, got, u)
		}
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	th := NewThrottle(3, time.Minute, 8*time.Minute, time.Hour)
	th.now = func() time.Time { return now }
	for i := 0; i < 3; i++ {
		if th.Wait("k") != 0 {
			t.Fatalf("waiting after %d failures", i)
		}
		th.Fail("k")
	}
	if th.Wait("k") != time.Minute || th.Wait("other") != 0 {
		t.Fatalf("throttle does not count per key: %v", th.Wait("k"))
	}
	// Each further failure doubles the wait, up to the cap.
	for _, want := range []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 8 * time.Minute} {
		now = now.Add(th.Wait("k"))
		th.Fail("k")
		if got := th.Wait("k"); got != want {
			t.Fatalf("wait %v, want %v", got, want)
		}
	}
	// A success clears the key; so does an idle hour after the last wait.
	th.Succeed("k")
	if th.Wait("k") != 0 {
		t.Fatal("a success did not clear the key")
	}
	for i := 0; i < 4; i++ {
		th.Fail("j")
	}
	now = now.Add(2 * time.Hour)
	th.Fail("j")
	if th.Wait("j") != 0 {
		t.Fatal("an idle key did not start afresh")
	}
}

func TestClassifyNeverLeaksInternalErrors(t *testing.T) {
	status, code, msg, _ := Classify(http.ErrAbortHandler)
	if status != 500 || code != "internal" || msg == http.ErrAbortHandler.Error() {
		t.Fatalf("%d %s %q", status, code, msg)
	}
}

// The log buffer hands lines on within its interval, and everything on Close.
func TestLogBuffer(t *testing.T) {
	var out syncWriter
	b := NewLogBuffer(&out, 20*time.Millisecond)
	b.Write([]byte("one\n"))
	for deadline := time.Now().Add(time.Second); out.String() != "one\n"; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not flushed: %q", out.String())
		}
	}
	b.Write([]byte("two\n"))
	b.Close()
	if out.String() != "one\ntwo\n" {
		t.Fatalf("after Close: %q", out.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
func (w *syncWriter) String() string { w.mu.Lock(); defer w.mu.Unlock(); return w.b.String() }

// Timeouts changed at run time apply to sessions already running: a
// session idle 20 minutes survives a one-hour idle timeout and ends once
// it is lowered to 15 minutes; the absolute timeout likewise.
func TestSessionLimitsAtRunTime(t *testing.T) {
	s := NewSessions("secret", time.Hour, 8*time.Hour, false, memSessions{})
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	now := start
	s.now = func() time.Time { return now }
	idle, absolute := time.Hour, 8*time.Hour
	s.Limits = func(context.Context) (time.Duration, time.Duration) { return idle, absolute }
	e := echo.New()
	rec := httptest.NewRecorder()
	if err := s.SignIn(e.NewContext(httptest.NewRequest("GET", "/", nil), rec), &models.User{ID: 7}); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if cookie.MaxAge != int((8 * time.Hour).Seconds()) {
		t.Errorf("cookie Max-Age %d", cookie.MaxAge)
	}
	at := func(d time.Duration) uint {
		now = start.Add(d)
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(cookie)
		id, _ := s.Current(e.NewContext(req, httptest.NewRecorder()))
		return id
	}
	if at(20*time.Minute) != 7 {
		t.Fatal("ended within the idle timeout")
	}
	idle = 15 * time.Minute
	if at(20*time.Minute) != 0 {
		t.Fatal("a lowered idle timeout did not apply")
	}
	idle, absolute = time.Hour, 10*time.Minute
	if at(11*time.Minute) != 0 {
		t.Fatal("a lowered absolute timeout did not apply")
	}
	// A new session's cookie lives as long as the absolute timeout in force.
	rec = httptest.NewRecorder()
	_ = s.SignIn(e.NewContext(httptest.NewRequest("GET", "/", nil), rec), &models.User{ID: 7})
	if c := rec.Result().Cookies()[0]; c.MaxAge != 600 {
		t.Errorf("new cookie Max-Age %d, want 600", c.MaxAge)
	}
}

// Configure changes the allowance and waits from the next failure on.
func TestThrottleConfigure(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	th := NewThrottle(5, time.Minute, 8*time.Minute, time.Hour)
	th.now = func() time.Time { return now }
	th.Fail("k")
	if th.Wait("k") != 0 {
		t.Fatal("waiting within the allowance")
	}
	th.Configure(1, 10*time.Second, 20*time.Second)
	th.Fail("k")
	if got := th.Wait("k"); got != 20*time.Second {
		t.Fatalf("wait %v, want 20s (10s doubled once, at the cap)", got)
	}
}
