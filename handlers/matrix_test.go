package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// The authorization matrix: every route of the route table against every
// kind of caller, on every database, with the answer each caller should
// get stated here independently of the engine. A route added to the table
// is walked here without anyone writing a line.

// outcome is how a route answers a caller.
type outcome int

const (
	allowed outcome = iota // past every gate (the handler may still say 400/422)
	denied                 // 401, 403, 429, or sent to sign in
	hidden                 // 404: the caller may not know the channel or page exists
)

func (o outcome) String() string { return [...]string{"allowed", "denied", "hidden"}[o] }

// caller is one kind of caller, and what the spec says it holds.
type caller struct {
	name string
	// person: "" (nobody), "member", "reader" (reads channel c and page p),
	// "writer" (writes c), "admin".
	person string
	// token: "" (the person's session), or which token the person uses.
	token string
}

var callers = []caller{
	{name: "anonymous"},
	{name: "member", person: "member"},
	{name: "member with read", person: "reader"},
	{name: "member with write", person: "writer"},
	{name: "admin", person: "admin"},
	{name: "resource token read", person: "writer", token: "res-read"},
	{name: "resource token write", person: "writer", token: "res-write"},
	{name: "subchannel-only token", person: "writer", token: "sub-only"},
	{name: "harmless scope token", person: "member", token: "harmless"},
	{name: "admin all-scopes token", person: "admin", token: "all"},
	{name: "expired token", person: "admin", token: "expired"},
	{name: "deleted token", person: "admin", token: "deleted"},
	{name: "re-issued token's old string", person: "admin", token: "reissued"},
}

// personOn is the person's own level on channel c (and its subchannel s)
// and on page p.
func personOn(person string) (channel, page access.Level) {
	switch person {
	case "admin":
		return access.Manage, access.Manage
	case "reader":
		return access.Read, access.Read
	case "writer":
		return access.Write, access.None
	}
	return access.None, access.None
}

// tokenOn is what a token allows on c, on c/s, and which scopes it holds
// (nil: a resource token, which acts only on channels).
func tokenOn(token string) (onC, onS access.Level, scopes []string) {
	switch token {
	case "res-read":
		return access.Read, access.Read, nil
	case "res-write":
		return access.Write, access.Write, nil
	case "sub-only":
		return access.None, access.Write, nil
	case "harmless":
		return access.None, access.None, []string{"user.token:view"}
	}
	all := make([]string, 0, len(access.Catalog))
	for _, s := range access.Catalog {
		all = append(all, s.Name)
	}
	return access.Manage, access.Manage, all
}

// expect states the answer a caller should get from a route.
func expect(cl caller, key string, r handlers.Rule) outcome {
	if r.CrossSite {
		return allowed // reads no credentials at all: the same for everyone
	}
	if cl.token == "expired" || cl.token == "deleted" || cl.token == "reissued" {
		return denied // 401, whatever the route
	}
	if r.Public {
		return allowed
	}
	ownC, ownP := personOn(cl.person)
	tokC, tokS, scopes := access.Manage, access.Manage, []string(nil)
	if cl.token != "" {
		tokC, tokS, scopes = tokenOn(cl.token)
		switch {
		case r.Scope == "" || r.PeopleOnly:
			return denied // pages are for people in a browser
		case scopes != nil && !slices.Contains(scopes, r.Scope):
			return denied
		case scopes == nil && r.On != access.OnChannel:
			return denied
		}
		if scopes != nil {
			sc, _ := access.LookupScope(r.Scope)
			tokC, tokS = sc.Level, sc.Level
		}
	}
	if cl.person == "" && !r.Anonymous {
		return denied
	}
	if r.TokensOnly && cl.token == "" {
		return denied // for machines (the metrics): a session never enters
	}
	switch r.On {
	case access.OnChannel:
		onC, onS := min(ownC, tokC), min(ownC, tokS)
		switch {
		case r.Param == "" && !r.Anonymous && r.Level == access.Manage && !r.Lists:
			// A change naming channels (the default channels): only for
			// those who manage a channel.
			if onC < access.Manage {
				return denied
			}
			return allowed
		case r.Param == "" && !r.Anonymous:
			return allowed // a list, filtered for the caller
		case r.Anonymous: // the conda protocol on c/noarch/repodata.json
			if onC < access.Read {
				return hidden
			}
			return allowed
		case r.Within:
			best := max(onC, onS)
			if best < access.Read {
				return hidden
			} else if best < r.Level {
				return denied
			}
			return allowed
		}
		on := onC
		if r.SubParam != "" {
			on = onS
		}
		if onC < access.Read && (r.SubParam == "" || onS < access.Read) {
			return hidden
		}
		if on < access.Read {
			return hidden
		}
		if on < r.Level {
			return denied
		}
		return allowed
	case access.OnGroup:
		if r.Param == "" {
			return allowed // a list, filtered for the caller
		}
		// The world's group holds channel c alone and grants nothing
		// itself: the caller's level on it is theirs on c.
		on := ownC
		if cl.token != "" {
			sc, _ := access.LookupScope(r.Scope)
			on = min(on, sc.Level)
		}
		if on < access.Read {
			return hidden
		} else if on < r.Level {
			return denied
		}
		return allowed
	case access.OnPage:
		on := ownP
		if cl.token != "" {
			sc, _ := access.LookupScope(r.Scope)
			on = min(on, sc.Level)
		}
		if on < access.Read {
			return hidden
		} else if on < r.Level {
			return denied
		}
		return allowed
	}
	// The system: admins hold everything; others their own tokens (and
	// the pages they see), lists filtered for them, no administration.
	own := access.None
	switch {
	case cl.person == "admin":
		own = access.Manage
	case r.Scope == "":
		own = access.Read
	case strings.HasPrefix(r.Scope, "user.token:") || r.Scope == "page:view":
		own = access.Manage
	case strings.HasPrefix(r.Scope, "channel") || strings.HasPrefix(r.Scope, "artifact") || strings.HasPrefix(r.Scope, "subchannel"):
		own = access.Read
	}
	if cl.token != "" {
		sc, _ := access.LookupScope(r.Scope)
		own = min(own, sc.Level)
	}
	if own < r.Level {
		return denied
	}
	return allowed
}

// world is one set of things a route acts on: channel c<n> with
// subchannel s and one package, channel group g<n> holding c<n>, subchannel
// group g<n> of c<n> holding s, page p<n>, team and role, and every
// caller's token — fresh for each request that changes things.
type world struct {
	channel, page  string
	group          string
	teamID, roleID uint
	tokenID        uint
	// mirrorID is a mirror of c, subMirrorID one of c/s.
	mirrorID, subMirrorID uint
	tokens                map[string]string
}

type matrix struct {
	t      *testing.T
	srv    *handlertest.Server
	users  map[string]*models.User
	people map[string]*handlertest.Client
	n      int
}

func (m *matrix) world() world {
	t, s, ctx := m.t, m.srv.Store, m.t.Context()
	m.n++
	w := world{channel: fmt.Sprintf("c%d", m.n), page: fmt.Sprintf("p%d", m.n), group: fmt.Sprintf("g%d", m.n), tokens: map[string]string{}}
	ch, err := s.CreateChannel(ctx, models.NewChannel{Name: w.channel})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.CreateSubchannel(ctx, ch, "s")
	if err != nil {
		t.Fatal(err)
	}
	list := func(v ...string) *[]string { return &v }
	if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourceChannel, ch.ID, map[string]access.GrantsPatch{
		"read": {Users: list("reader@example.com")}, "write": {Users: list("writer@example.com")}}); err != nil {
		t.Fatal(err)
	}
	a := &models.Artifact{ChannelID: ch.ID, Subdir: "noarch", Filename: "pkg-1.0-0.conda", Name: "pkg", Version: "1.0", Build: "0",
		Depends: "[]", Constrains: "[]", Extra: "{}", Size: 1, MD5: strings.Repeat("0", 32), SHA256: strings.Repeat("a", 64)}
	if _, err := s.AddArtifact(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	inSub := *a
	inSub.ID, inSub.SubchannelID = 0, sub.ID
	if _, err := s.AddArtifact(ctx, &inSub, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateChannelGroup(ctx, w.group, "", []uint{ch.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSubchannelGroup(ctx, ch, w.group, []string{sub.Name}); err != nil {
		t.Fatal(err)
	}
	// Upstreams on a port nothing serves: a run fails at once.
	mc, err := s.CreateMirror(ctx, ch, nil, models.MirrorSpec{URL: "http://127.0.0.1:9/c", Subdirs: []string{"noarch"}})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.CreateMirror(ctx, ch, sub, models.MirrorSpec{URL: "http://127.0.0.1:9/s", Subdirs: []string{"noarch"}})
	if err != nil {
		t.Fatal(err)
	}
	w.mirrorID, w.subMirrorID = mc.ID, ms.ID
	title := "Page"
	p, err := s.CreatePage(ctx, models.PageInput{Identifier: w.page, Title: &title, Widgets: &[]access.Widget{{Type: "table", Kind: "channels"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ApplyGrantsPatch(ctx, models.ResourcePage, p.ID, map[string]access.GrantsPatch{"read": {Roles: list(), Users: list("reader@example.com")}}); err != nil {
		t.Fatal(err)
	}
	team, err := s.CreateTeam(ctx, fmt.Sprintf("team%d", m.n), "")
	if err != nil {
		t.Fatal(err)
	}
	role, err := s.CreateRole(ctx, fmt.Sprintf("role%d", m.n))
	if err != nil {
		t.Fatal(err)
	}
	w.teamID, w.roleID = team.ID, role.ID
	mk := func(owner, name string, g access.TokenGrant) (*models.Token, string) {
		tok, secret, err := s.CreateToken(ctx, m.users[owner], models.NewToken{Name: fmt.Sprintf("%s-%d", name, m.n), ExpiresOn: future(30), Grant: g})
		if err != nil {
			t.Fatalf("token %s: %v", name, err)
		}
		return tok, secret
	}
	res := func(path, level string) access.TokenGrant {
		r, _ := access.ParseResource(path, level)
		return access.TokenGrant{Resources: []access.Resource{r}}
	}
	_, _, all := tokenOn("all")
	_, w.tokens["res-read"] = mk("writer", "res-read", res(w.channel, "read"))
	_, w.tokens["res-write"] = mk("writer", "res-write", res(w.channel, "write"))
	_, w.tokens["sub-only"] = mk("writer", "sub-only", res(w.channel+"/s", "write"))
	_, w.tokens["harmless"] = mk("member", "harmless", access.TokenGrant{Scopes: []string{"user.token:view"}})
	var tok *models.Token
	tok, w.tokens["all"] = mk("admin", "all", access.TokenGrant{Scopes: all})
	w.tokenID = tok.ID
	tok, w.tokens["expired"] = mk("admin", "expired", access.TokenGrant{Scopes: all})
	if err := s.DB().Model(tok).Update("expires_at", time.Now().Add(-time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	tok, w.tokens["deleted"] = mk("admin", "deleted", access.TokenGrant{Scopes: all})
	if _, err := s.DeleteToken(ctx, 0, tok.ID); err != nil {
		t.Fatal(err)
	}
	tok, w.tokens["reissued"] = mk("admin", "reissued", access.TokenGrant{Scopes: all})
	if _, _, _, err := s.EditToken(ctx, 0, tok.ID, models.TokenEdit{Reissue: true}); err != nil {
		t.Fatal(err)
	}
	return w
}

// path fills a route pattern from a world.
func (w world) path(pattern string, users map[string]*models.User) string {
	id := ""
	switch {
	case strings.Contains(pattern, "/tokens/"):
		id = fmt.Sprint(w.tokenID)
	case strings.Contains(pattern, "/users/"):
		id = fmt.Sprint(users["member"].ID)
	case strings.Contains(pattern, "/teams/"):
		id = fmt.Sprint(w.teamID)
	case strings.Contains(pattern, "/roles/"):
		id = fmt.Sprint(w.roleID)
	case strings.Contains(pattern, "/cves/"):
		id = "GHSA-none-0000" // no such record: the gate is what is tried
	case strings.Contains(pattern, "/subchannels/:sub/mirrors/"):
		id = fmt.Sprint(w.subMirrorID)
	case strings.Contains(pattern, "/mirrors/"):
		id = fmt.Sprint(w.mirrorID)
	}
	// Longer names first: the replacer tries them in this order.
	r := strings.NewReplacer(":subdir", "noarch", ":filename", "pkg-1.0-0.conda", ":identifier", w.page,
		":name", w.channel, ":sub", "s", ":group", w.group, ":id", id)
	p := r.Replace(pattern)
	if strings.HasSuffix(p, "/artifacts/delete") { // the confirm dialog names its package in the query
		p += "?subdir=noarch&filename=pkg-1.0-0.conda"
	}
	if strings.HasSuffix(p, "/*") {
		p = strings.TrimSuffix(p, "*")
		if strings.HasPrefix(p, "/api/repo/") {
			p += w.channel + "/noarch/repodata.json"
		} else {
			p += "css/app.css"
		}
	}
	return p
}

func (m *matrix) client(cl caller, w world) *handlertest.Client {
	if cl.token != "" {
		return withToken(m.srv, w.tokens[cl.token])
	}
	if cl.person == "" {
		return m.srv.Anonymous()
	}
	return m.people[cl.person]
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			srv := handlertest.Start(t, b)
			e, rules, err := handlers.NewServerWithRules(t.Context(), web.Config{DataDir: t.TempDir()}, srv.Store, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			m := &matrix{t: t, srv: srv, users: map[string]*models.User{}, people: map[string]*handlertest.Client{}}
			for _, p := range []string{"member", "reader", "writer"} {
				m.users[p] = modeltest.MustUser(t, srv.Store, p+"@example.com")
			}
			m.users["admin"], _ = srv.Store.UserByEmail(t.Context(), handlertest.Admin)
			signIn := func() {
				for p, u := range m.users {
					m.people[p] = srv.Login(u.Email)
				}
			}
			signIn()
			var keys []string
			for _, r := range e.Routes() {
				if r.Method != echo.RouteNotFound {
					keys = append(keys, r.Method+" "+r.Path)
				}
			}
			sort.Strings(keys)
			shared := m.world()
			counts := map[outcome]int{}
			for _, key := range keys {
				rule, ok := rules[key]
				if !ok {
					t.Errorf("%s is not in the route table", key)
					continue
				}
				method, pattern, _ := strings.Cut(key, " ")
				changes := method != http.MethodGet && method != http.MethodHead
				for _, cl := range callers {
					w := shared
					if changes {
						w = m.world()
					}
					want := expect(cl, key, rule)
					res := send(m.client(cl, w), method, w.path(pattern, m.users), web.IsAPIPath(pattern))
					got := judge(res)
					switch {
					case rule.Public && got == hidden:
						got = allowed // sign-in with a provider that is not set up, an asset by another name: nothing to hide
					case key == "POST /logout" && cl.person != "" && cl.token == "" && res.Header.Get("Location") == "/login":
						got = allowed // signed out, and sent to sign in again
					}
					// Allowed routes on a person's own objects may still find
					// nothing of theirs there; the gate let them in.
					if want == allowed && got == hidden && strings.Contains(pattern, "/:id") {
						got = allowed
					}
					if got != want {
						t.Errorf("%s as %s: %s (%d %.120s), want %s", key, cl.name, got, res.StatusCode, res.Body, want)
					}
					counts[want]++
				}
				if key == "POST /logout" {
					signIn() // the sessions that signed out
				}
			}
			t.Logf("%d routes × %d callers: %v", len(keys), len(callers), counts)
		})
	}
}

// send makes one request with a body that passes no handler's checks but
// every parser's: {} for the API, an empty form for pages.
func send(c *handlertest.Client, method, path string, api bool) *handlertest.Response {
	if method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete {
		return c.Do(method, path, nil, "", false)
	}
	if api {
		return c.Do(method, path, strings.NewReader("{}"), "application/json", false)
	}
	form := ""
	if p, q, ok := strings.Cut(path, "?"); ok { // what the confirm dialog posts
		path, form = p, q
	}
	return c.Do(method, path, strings.NewReader(form), "application/x-www-form-urlencoded", false)
}

// judge reads an answer as an outcome.
func judge(res *handlertest.Response) outcome {
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusTooManyRequests:
		return denied // 429: an address sending many dead tokens is slowed
	case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"):
		return denied
	case res.StatusCode == http.StatusNotFound:
		return hidden
	}
	return allowed
}
