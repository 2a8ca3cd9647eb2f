package handlers_test

import (
	"bufio"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// logSink collects a server's log lines; safe for its goroutines.
type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// requestLine finds the request line with request id id and returns its
// key=value fields. The line is written once the handler chain is done,
// which for a large body can be just after the client has read it all, so
// it is waited for (briefly).
func (l *logSink) requestLine(t *testing.T, id string) map[string]string {
	t.Helper()
	if id == "" {
		t.Fatal("the response has no X-Request-Id")
	}
	for range 200 {
		if f := l.find(id); f != nil {
			return f
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no request line with id %s in the log:\n%s", id, l.String())
	return nil
}

func (l *logSink) find(id string) map[string]string {
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "msg=request ") || !strings.HasSuffix(line, " id="+id) {
			continue
		}
		f := map[string]string{}
		for _, kv := range strings.Fields(line) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				f[k] = v
			}
		}
		return f
	}
	return nil
}

// startLogged runs a server whose log goes to a sink, with a test-only
// route that panics.
func startLogged(t *testing.T, b modeltest.Backend) (*handlertest.Server, *logSink) {
	sink := &logSink{}
	srv := handlertest.StartOpts(t, modeltest.Open(t, b), handlertest.Config(t), handlertest.Options{
		Log: slog.New(slog.NewTextHandler(sink, nil)),
		Routes: func(e *echo.Echo) {
			e.GET("/test/panic", func(echo.Context) error { panic("test panic") })
		},
	})
	return srv, sink
}

// Issue 13: every request line logs the status the client received and the
// bytes sent, and the metrics count the same status, whatever produced the
// answer: a handler, the error handler, a recovered panic, the body limit,
// the CSRF check, the sign-in throttle or a refusal before routing.
func TestRequestLogShowsTheStatusSent(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv, sink := startLogged(t, b)
			ctx := t.Context()
			if _, err := srv.Store.CreateChannel(ctx, models.NewChannel{Name: "pub", Public: true}); err != nil {
				t.Fatal(err)
			}
			secret := mustToken(t, srv.Store, handlertest.Admin, "ops", access.TokenGrant{Scopes: []string{"channel:create", "channel:view"}})
			plain := func(c *handlertest.Client) *handlertest.Client {
				c.Header.Set("Accept-Encoding", "identity") // so bytes on the wire are the body's bytes
				return c
			}
			anon := plain(srv.Anonymous())
			tok := plain(withToken(srv, secret))
			admin := plain(srv.AsAdmin())
			etag := anon.Get("/api/repo/pub/linux-64/repodata.json").Header.Get("ETag")

			cases := []struct {
				name   string
				do     func() *handlertest.Response
				status int
				route  string
			}{
				{"ok", func() *handlertest.Response { return anon.Get("/healthz") }, 200, "/healthz"},
				{"not modified", func() *handlertest.Response {
					c := plain(srv.Anonymous())
					c.Header.Set("If-None-Match", etag)
					return c.Get("/api/repo/pub/linux-64/repodata.json")
				}, 304, "/api/repo/*"},
				{"redirect to sign in", func() *handlertest.Response { return anon.Get("/tokens") }, http.StatusSeeOther, "/tokens"},
				{"signed in, see other", func() *handlertest.Response {
					return plain(srv.Anonymous()).PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {modeltest.Password}})
				}, 303, "/login"},
				{"malformed JSON", func() *handlertest.Response { return tok.SendJSON("POST", "/api/channels", `{"name":`) }, 400, "/api/channels"},
				{"unknown token", func() *handlertest.Response {
					return plain(withToken(srv, "gth_unknown")).Get("/api/channels")
				}, 401, "/api/channels"},
				{"CSRF refused", func() *handlertest.Response { return admin.Do("POST", "/logout", nil, "", true) }, 403, "/logout"},
				{"missing file", func() *handlertest.Response { return anon.Get("/api/repo/pub/linux-64/nothing-1.0-0.tar.bz2") }, 404, "/api/repo/*"},
				{"no such route", func() *handlertest.Response { return admin.Get("/no/such/page") }, 404, "unmatched"},
				{"token path off the API", func() *handlertest.Response { return anon.Get("/t/" + secret + "/tokens") }, 404, "unmatched"},
				{"conflict", func() *handlertest.Response { return tok.SendJSON("POST", "/api/channels", `{"name":"pub"}`) }, 409, "/api/channels"},
				{"body too large", func() *handlertest.Response {
					return tok.SendJSON("POST", "/api/channels", `{"description":"`+strings.Repeat("x", 2<<20)+`"}`)
				}, 413, "/api/channels"},
				{"invalid", func() *handlertest.Response { return tok.SendJSON("POST", "/api/channels", `{"name":"Not A Name"}`) }, 422, "/api/channels"},
				{"panic", func() *handlertest.Response { return anon.Get("/test/panic") }, 500, "/test/panic"},
			}
			cases = append(cases, struct {
				name   string
				do     func() *handlertest.Response
				status int
				route  string
			}{"throttled", func() *handlertest.Response {
				// Five wrong passwords spend the allowance (of this address
				// too, so this comes last); the sixth attempt is throttled.
				wrong := url.Values{"email": {"who@example.com"}, "password": {"wrong"}}
				for range 5 {
					plain(srv.Anonymous()).PostForm("/login", wrong)
				}
				return plain(srv.Anonymous()).PostForm("/login", wrong)
			}, 429, "/login"})

			before := srv.Scrape()
			for _, tc := range cases {
				res := tc.do()
				if res.StatusCode != tc.status {
					t.Fatalf("%s: status %d, want %d: %s", tc.name, res.StatusCode, tc.status, res.Body)
				}
				f := sink.requestLine(t, res.Header.Get("X-Request-Id"))
				if f["status"] != strconv.Itoa(res.StatusCode) {
					t.Errorf("%s: logged status %s, the client got %d", tc.name, f["status"], res.StatusCode)
				}
				if f["bytes"] != strconv.Itoa(len(res.Body)) {
					t.Errorf("%s: logged %s bytes, the client got %d", tc.name, f["bytes"], len(res.Body))
				}
				if f["route"] != tc.route {
					t.Errorf("%s: logged route %q, want %q", tc.name, f["route"], tc.route)
				}
			}
			// The metrics count each answer under the same status.
			after := srv.Scrape()
			for _, tc := range cases {
				labels := []string{"route", tc.route, "status", strconv.Itoa(tc.status)}
				if after.Value("gatehouse_http_requests_total", labels...) <= before.Value("gatehouse_http_requests_total", labels...) {
					t.Errorf("%s: gatehouse_http_requests_total%v did not move", tc.name, labels)
				}
			}
			log := sink.String()
			if strings.Contains(log, secret) {
				t.Error("a token string reached the log")
			}
			if !strings.Contains(log, "path=/t/REDACTED/tokens") {
				t.Error("the token path is not logged redacted")
			}
			if !strings.Contains(log, "msg=panic") {
				t.Error("the recovered panic is not logged")
			}
		})
	}
}
