package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// probeServer is Gatehouse plus two probe routes shaped like the channel and
// conda routes, answering the actor's channelLevel (404 below read).
func probeServer(t *testing.T, s *models.Store, logTo io.Writer) string {
	t.Helper()
	h, err := newHandlers(t.Context(), web.Config{DataDir: t.TempDir()}, s, slog.New(slog.NewTextHandler(logTo, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	probe := func(name, sub string, c echo.Context) error {
		p, err := h.channelAt(c, name, sub, ruleOf(c).Level)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"level": p.Level.String()})
	}
	e := h.echo(func(e *echo.Echo) {
		r := routeTable{e: e, rules: h.rules}
		on := func(scope string, l access.Level) Rule { return Rule{Scope: scope, Level: l, On: access.OnChannel} }
		r.GET("/api/probe/:name", func(c echo.Context) error { return probe(c.Param("name"), c.QueryParam("sub"), c) }, on("channel:view", access.Read))
		r.add(http.MethodPut, "/api/probe/:name", func(c echo.Context) error { return probe(c.Param("name"), c.QueryParam("sub"), c) }, on("artifact:create", access.Write))
		r.GET("/api/probe-repo/*", func(c echo.Context) error {
			parts := strings.Split(c.Param("*"), "/")
			sub := ""
			if len(parts) == 4 {
				sub = parts[1]
			}
			return probe(parts[0], sub, c)
		}, on("artifact:download", access.Read))
	})
	ts := httptest.NewServer(e)
	t.Cleanup(ts.Close)
	return ts.URL
}

type probeResult struct {
	status int
	level  string
	msg    string
}

func call(t *testing.T, method, url string, hdr map[string]string) probeResult {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ Level, Message string }
	_ = json.NewDecoder(res.Body).Decode(&body)
	return probeResult{res.StatusCode, body.Level, body.Message}
}

// TestChannelLevelWithTokens drives h.channelLevel and the route table
// through real requests: resource tokens on a channel and on a subchannel,
// scope tokens, the owner's own access, and how each transport is accepted.
func TestChannelLevelWithTokens(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			s := modeltest.Open(t, b)
			ctx := t.Context()
			owner := modeltest.MustUser(t, s, "dev@example.com")
			mk := func(name string, public bool, level string, subs ...string) *models.Channel {
				ch := &models.Channel{Name: name, Public: public}
				if err := s.DB().Create(ch).Error; err != nil {
					t.Fatal(err)
				}
				for _, sub := range subs {
					s.DB().Create(&models.Subchannel{ChannelID: ch.ID, Name: sub})
				}
				if level != "" {
					users := []string{owner.Email}
					if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, ch.ID, map[string]access.GrantsPatch{level: {Users: &users}}); err != nil {
						t.Fatal(err)
					}
				}
				return ch
			}
			alpha := mk("alpha", false, "read", "s1", "s2")
			mk("beta", false, "write")
			mk("gamma", false, "")
			mk("pub", true, "")
			token := func(name string, g access.TokenGrant) string {
				_, secret, err := s.CreateToken(ctx, owner, models.NewToken{Name: name, ExpiresOn: time.Now().UTC().AddDate(0, 0, 5).Format(time.DateOnly), Grant: g})
				if err != nil {
					t.Fatal(err)
				}
				return secret
			}
			r := func(path, level string) access.TokenGrant {
				res, _ := access.ParseResource(path, level)
				return access.TokenGrant{Resources: []access.Resource{res}}
			}
			logs := &syncBuffer{}
			url := probeServer(t, s, logs)
			alphaRead := token("alpha-read", r("alpha", "read"))
			s1Read := token("s1-read", r("alpha/s1", "read"))
			betaRead := token("beta-read", r("beta", "read"))
			betaWrite := token("beta-write", r("beta", "write"))
			view := token("view", access.TokenGrant{Scopes: []string{"channel:view"}})
			upload := token("upload", access.TokenGrant{Scopes: []string{"channel:view", "artifact:create"}})
			tokensOnly := token("tokens-only", access.TokenGrant{Scopes: []string{"user.token:view"}})

			tests := []struct {
				tok, method, path string
				status            int
				level             string
			}{
				{alphaRead, "GET", "/api/probe/alpha", 200, "read"},
				{alphaRead, "GET", "/api/probe/alpha?sub=s1", 200, "read"},
				{alphaRead, "GET", "/api/probe/beta", 404, ""},  // not covered: existence does not leak
				{alphaRead, "GET", "/api/probe/gamma", 404, ""}, // idem
				{alphaRead, "GET", "/api/probe/nope", 404, ""},
				{alphaRead, "PUT", "/api/probe/alpha", 403, ""}, // the token grants only read
				{s1Read, "GET", "/api/probe/alpha?sub=s1", 200, "read"},
				{s1Read, "GET", "/api/probe/alpha?sub=s2", 404, ""},
				{s1Read, "GET", "/api/probe/alpha", 404, ""},
				{s1Read, "GET", "/api/probe-repo/alpha/s1/noarch/repodata.json", 200, "read"},
				{s1Read, "GET", "/api/probe-repo/alpha/noarch/repodata.json", 404, ""},
				{alphaRead, "GET", "/api/probe-repo/alpha/noarch/repodata.json", 200, "read"},
				{alphaRead, "GET", "/api/probe-repo/beta/noarch/repodata.json", 404, ""},
				{betaRead, "GET", "/api/probe/beta", 200, "read"}, // owner has write, the token caps at read
				{betaWrite, "PUT", "/api/probe/beta", 200, "write"},
				{view, "GET", "/api/probe/alpha", 200, "read"},
				{view, "GET", "/api/probe/beta", 200, "read"}, // capped by channel:view
				{view, "GET", "/api/probe/gamma", 404, ""},    // the owner cannot read it
				{view, "GET", "/api/probe/pub", 200, "read"},
				{view, "PUT", "/api/probe/beta", 403, ""}, // lacks artifact:create
				{upload, "PUT", "/api/probe/beta", 200, "write"},
				{upload, "PUT", "/api/probe/alpha", 403, ""}, // the owner only reads alpha
				{tokensOnly, "GET", "/api/probe/alpha", 403, ""},
				{betaWrite, "GET", "/api/tokens", 403, ""}, // resource tokens stay on channel routes
				{tokensOnly, "GET", "/api/tokens", 200, ""},
				{tokensOnly, "GET", "/api/users", 403, ""}, // lacks user:view
				{tokensOnly, "GET", "/tokens", 403, ""},    // no HTML pages with tokens
				{"gth_bogus", "GET", "/api/probe/alpha", 401, ""},
			}
			for _, tt := range tests {
				for _, how := range []string{"bearer", "x-auth", "path"} {
					u, hdr := url+tt.path, map[string]string{}
					switch how {
					case "bearer":
						hdr["Authorization"] = "Bearer " + tt.tok
					case "x-auth":
						hdr["X-Auth"] = tt.tok
					case "path":
						if !strings.HasPrefix(tt.path, "/api/") {
							continue
						}
						u = url + "/t/" + tt.tok + tt.path
					}
					got := call(t, tt.method, u, hdr)
					if got.status != tt.status || got.level != tt.level {
						t.Errorf("%s %s via %s: got %d %q (%s), want %d %q", tt.method, tt.path, how, got.status, got.level, got.msg, tt.status, tt.level)
					}
				}
			}
			if got := call(t, "GET", url+"/api/probe/alpha", map[string]string{"Authorization": "Bearer " + tokensOnly}); !strings.Contains(got.msg, "channel:view") {
				t.Errorf("403 message %q does not name the missing scope", got.msg)
			}
			if got := call(t, "GET", url+"/t/"+alphaRead+"/tokens", nil); got.status != 404 {
				t.Errorf("token path to a page: %d", got.status)
			}
			if got := call(t, "GET", url+"/api/probe/alpha", map[string]string{"Authorization": "Basic eDp5"}); got.status != 401 {
				t.Errorf("basic auth: %d", got.status)
			}

			// The owner loses read on alpha: the token loses it at once.
			none := []string{}
			if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, alpha.ID, map[string]access.GrantsPatch{"read": {Users: &none}}); err != nil {
				t.Fatal(err)
			}
			if got := call(t, "GET", url+"/api/probe/alpha", map[string]string{"X-Auth": alphaRead}); got.status != 404 {
				t.Errorf("after the owner lost access: %d", got.status)
			}
			// A disabled owner's tokens stop working.
			yes := true
			s.UpdateUser(ctx, owner.ID, models.UserUpdate{Disabled: &yes})
			if got := call(t, "GET", url+"/api/probe/beta", map[string]string{"X-Auth": betaWrite}); got.status != 401 || !strings.Contains(got.msg, "disabled") {
				t.Errorf("disabled owner: %d %q", got.status, got.msg)
			}

			// No token ever reaches the logs.
			out := logs.String()
			for _, tok := range []string{alphaRead, s1Read, betaWrite, view, tokensOnly} {
				if strings.Contains(out, tok) || strings.Contains(out, tok[4:20]) {
					t.Fatalf("a token string is in the logs:\n%s", out)
				}
			}
			if !strings.Contains(out, "/api/probe/alpha") {
				t.Errorf("access log lost the path:\n%s", out)
			}
		})
	}
}
