package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// The findings of the security review, one test each.

// Finding 1: no sign-in target leads a browser to another host.
func TestSignInNeverRedirectsElsewhere(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	for _, next := range []string{"/\t/evil.example/x", "/\t\\evil.example", "//evil.example", "/\\evil.example", "https://evil.example", "/./\\evil.example", "/x/..//evil.example"} {
		c := srv.Anonymous()
		res := c.PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {modeltest.Password}, "next": {next}})
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\t\\") {
			t.Errorf("next=%q: %d to %q", next, res.StatusCode, loc)
		}
		// Signed in already, the sign-in page sends the browser on too.
		res = c.Get("/login?next=" + url.QueryEscape(next))
		if loc := res.Header.Get("Location"); strings.HasPrefix(loc, "//") || strings.ContainsAny(loc, "\t\\") || strings.Contains(loc, ":") {
			t.Errorf("signed in, next=%q: to %q", next, loc)
		}
	}
}

// Finding 2: failures against someone's account from one address never
// lock the owner out elsewhere; failures with made-up emails never lock
// out everyone behind the address; addresses come from X-Forwarded-For only
// through trusted proxies.
func TestSignInThrottleLocksOutNobody(t *testing.T) {
	cfg := handlertest.Config(t)
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	srv := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	modeltest.MustUser(t, srv.Store, "ann@example.com")
	from := func(ip string) *handlertest.Client {
		c := srv.Anonymous()
		c.Header.Set("X-Forwarded-For", ip)
		return c
	}
	try := func(c *handlertest.Client, email, password string) int {
		return c.PostForm("/login", url.Values{"email": {email}, "password": {password}}).StatusCode
	}
	attacker := from("203.0.113.9")
	for i := range 5 {
		if got := try(attacker, "ann@example.com", "wrong-password"); got != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, got)
		}
	}
	if got := try(attacker, "ann@example.com", modeltest.Password); got != http.StatusTooManyRequests {
		t.Fatalf("the guessing address may go on: %d", got)
	}
	if got := try(from("198.51.100.7"), "ann@example.com", modeltest.Password); got != http.StatusSeeOther {
		t.Fatalf("the owner from elsewhere is locked out: %d", got)
	}
	// Made-up emails from an office behind one address.
	office := from("192.0.2.44")
	for i := range 10 {
		try(office, fmt.Sprintf("nobody%d@example.com", i), "wrong-password")
	}
	if got := try(office, handlertest.Admin, modeltest.Password); got != http.StatusSeeOther {
		t.Fatalf("everyone behind the address is locked out: %d", got)
	}
	// Without a trusted proxy, X-Forwarded-For is ignored: the peer counts.
	plain := handlertest.Start(t, modeltest.SQLite)
	for i := range 5 {
		c := plain.Anonymous()
		c.Header.Set("X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i))
		c.PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {"wrong-password"}})
	}
	if res := plain.Anonymous().PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {"wrong-password"}}); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For escaped the throttle: %d", res.StatusCode)
	}
}

// countingBody is an upload body that counts what the server read of it.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

// bigUpload is a multipart body of about size bytes that is never held in
// memory.
func bigUpload(size int64, fields ...string) (*countingBody, string) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	mw.CreateFormFile("file", "big-1.0-0.conda")
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	return &countingBody{r: io.MultiReader(&head, io.LimitReader(zeros{}, size), strings.NewReader(tail))}, mw.FormDataContentType()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// Finding 3: an upload from someone who may not make it is refused before
// the body is read (nothing spooled), and uploads run at most
// GATEHOUSE_MAX_UPLOADS at once.
func TestUploadsRefusedBeforeTheBody(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		modeltest.MustUser(t, srv.Store, "reader@example.com")
		readers := []string{"reader@example.com"}
		ch, _ := srv.Store.ChannelByName(t.Context(), "main")
		srv.Store.ApplyGrantsPatch(t.Context(), models.ResourceChannel, ch.ID, map[string]access.GrantsPatch{"read": {Users: &readers}})
		reader := srv.Login("reader@example.com")
		for _, who := range []struct {
			name string
			c    *handlertest.Client
			want []int
		}{
			{"anonymous", srv.Anonymous(), []int{http.StatusUnauthorized, http.StatusSeeOther}},
			{"a reader", reader, []int{http.StatusForbidden}},
		} {
			for _, path := range []string{"/api/channels/main/artifacts", "/channels/main/upload", "/api/channels/nope/artifacts"} {
				body, ct := bigUpload(200<<20, "_csrf", "x")
				req, _ := http.NewRequest(http.MethodPost, srv.URL+path, body)
				req.Header.Set("Content-Type", ct)
				for k, v := range who.c.Header {
					req.Header[k] = v
				}
				res, err := who.c.HTTP.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				ok := false
				for _, w := range who.want {
					ok = ok || res.StatusCode == w || strings.Contains(path, "nope") && res.StatusCode == http.StatusNotFound
				}
				if !ok {
					t.Errorf("%s POST %s: %d", who.name, path, res.StatusCode)
				}
				// What the client could push into the sockets' buffers
				// before the server answered and closed: megabytes, not
				// the 200 MiB an upload that was read would take.
				if n := body.read.Load(); n > 16<<20 {
					t.Errorf("%s POST %s: the server read %d bytes of a refused upload", who.name, path, n)
				}
			}
		}
		if files := stagingFiles(t, srv); len(files) > 0 {
			t.Errorf("refused uploads left files: %v", files)
		}
	})
	// The cap: with one slot taken by an upload in progress, the next is a 429.
	cfg := handlertest.Config(t)
	cfg.MaxUploads = 1
	srv := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	adm := srv.AsAdmin()
	mustChannel(t, adm, "main", "private")
	tok := mustToken(t, srv.Store, handlertest.Admin, "uploader", access.TokenGrant{Scopes: []string{"artifact:create"}})
	pr, pw := io.Pipe()
	started := make(chan struct{})
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/channels/main/artifacts", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) }) // never leave the first hanging
	go func() {
		pw.Write([]byte("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a-1-0.conda\"\r\n\r\n"))
		// More than the sockets can buffer: once this is written, the
		// server is reading the body, so the first upload holds its slot.
		pw.Write(make([]byte, 32<<20))
		close(started)
	}()
	<-started // the first upload holds its slot until its body ends
	for {
		pkg := condatest.Pkg{Name: "second"}
		res := uploadTo(t, withToken(srv, tok), "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda))
		if res.StatusCode == http.StatusTooManyRequests {
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			break
		}
		if res.StatusCode == http.StatusCreated {
			t.Fatal("a second upload ran beside the first with one slot")
		}
		time.Sleep(10 * time.Millisecond) // the first has not taken its slot yet
	}
	pw.CloseWithError(io.ErrUnexpectedEOF)
	<-done
}

func stagingFiles(t *testing.T, srv *handlertest.Server) []string {
	var out []string
	filepath.WalkDir(srv.Cfg.DataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(p, "staging") || strings.Contains(filepath.Base(p), "upload")) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Finding 4: however a /t/<TOKEN>/ path is spelled, the token is taken out
// before anything logs it or redirects with it.
func TestTokenNeverReachesTheLog(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			logs := &syncBuffer{}
			srv := handlertest.StartWithLog(t, modeltest.Open(t, b), handlertest.Config(t), slog.New(slog.NewTextHandler(logs, nil)))
			adm := srv.AsAdmin()
			mustChannel(t, adm, "main", "private")
			tok := mustToken(t, srv.Store, handlertest.Admin, "reader", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Level: access.Read}}})
			for _, p := range []string{
				"/t/" + tok + "/api/repo/main/noarch/repodata.json",
				"//t/" + tok + "/api/repo/main/noarch/repodata.json",
				"/./t/" + tok + "/api/repo/main/noarch/repodata.json",
				"/x/../t/" + tok + "/api/repo/main/noarch/repodata.json",
				"/T/" + tok + "/api/repo/main/noarch/repodata.json",
				"/t/" + tok + "/api/../tokens",
				"/T/" + tok + "/tokens",
				"//t/" + tok + "//tokens",
			} {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
				req.URL.Opaque = p // sent exactly as spelled
				res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if strings.Contains(res.Header.Get("Location"), tok) {
					t.Errorf("%s: redirected with the token in the URL", p)
				}
				// "//t/…" as a request target reads as a host named "t": it
				// cannot be served, but its token must not be logged either.
				if strings.HasSuffix(p, "repodata.json") && !strings.HasPrefix(p, "//") && res.StatusCode != http.StatusOK {
					t.Errorf("%s: %d", p, res.StatusCode)
				}
			}
			out := logs.String()
			if strings.Contains(out, tok) || strings.Contains(out, tok[4:24]) {
				t.Fatalf("a token string is in the log:\n%s", out)
			}
			if !strings.Contains(out, "repodata.json") {
				t.Fatalf("the requests were not logged:\n%s", out)
			}
		})
	}
}

// Finding 5: sessions end on the server: a cookie copied before signing
// out, a password reset or disabling the person no longer works on any
// instance.
func TestSessionsEndOnEveryInstance(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			store := modeltest.Open(t, b)
			one := handlertest.StartWith(t, store, handlertest.Config(t))
			two := handlertest.StartWith(t, store, handlertest.Config(t))
			u := modeltest.MustUser(t, store, "ann@example.com")
			copyTo := func(c *handlertest.Client, srv *handlertest.Server) *handlertest.Client {
				from, _ := url.Parse(c.S.URL)
				to, _ := url.Parse(srv.URL)
				out := srv.Anonymous()
				out.HTTP.Jar.SetCookies(to, c.HTTP.Jar.Cookies(from))
				return out
			}
			ann := one.Login("ann@example.com")
			stolen := copyTo(ann, two)
			if res := stolen.Get("/tokens"); res.StatusCode != http.StatusOK {
				t.Fatalf("the session does not work on the other instance: %d", res.StatusCode)
			}
			if res := ann.PostForm("/logout", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign out: %d", res.StatusCode)
			}
			if res := stolen.Get("/tokens"); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("a copied cookie works after signing out: %d", res.StatusCode)
			}
			// Disabling ends every session at once.
			ann = one.Login("ann@example.com")
			stolen = copyTo(ann, two)
			yes := true
			if _, _, err := store.UpdateUser(t.Context(), u.ID, models.UserUpdate{Disabled: &yes}); err != nil {
				t.Fatal(err)
			}
			no := false
			store.UpdateUser(t.Context(), u.ID, models.UserUpdate{Disabled: &no})
			for _, c := range []*handlertest.Client{ann, stolen} {
				if res := c.Get("/tokens"); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("a session outlived disabling its person: %d", res.StatusCode)
				}
			}
		})
	}
}

// Finding 6: NUL and invalid UTF-8 are a 400 everywhere — page filters,
// audit filters, page search, token names, upload file names — never a
// database error.
func TestUnstorableTextIsRefusedOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		want(t, adm.SendJSON(http.MethodPost, "/v1/pages", `{"identifier":"svc","title":"Services","widgets":[{"type":"table","kind":"artifacts"}]}`), http.StatusCreated)
		mustChannel(t, adm, "main", "private")
		for _, p := range []string{
			"/pages/svc?f.name=%00", "/pages/svc?f.name=%FF", "/audit-log?actor=%00", "/audit-log?action=%FF",
			"/api/audit?actor=%00", "/api/audit?action=%C3%28", "/?q=%00", "/pages/svc?q=%FF", "/channels?q=%00",
		} {
			if res := adm.Get(p); res.StatusCode != http.StatusBadRequest {
				t.Errorf("GET %s: %d", p, res.StatusCode)
			}
		}
		// (encoding/json would turn invalid UTF-8 into U+FFFD: that case is sent raw below.)
		want(t, adm.SendJSON(http.MethodPost, "/api/tokens", map[string]any{"name": "a\x00b", "expires_at": future(3), "scopes": []string{"user.token:view"}}), http.StatusBadRequest)
		for _, name := range []string{"a\x00b", "bad \xff byte"} {
			want(t, adm.PostForm("/tokens", url.Values{"name": {name}, "type": {"scopes"}, "scopes": {"user.token:view"}, "expires_at": {future(3)}}), http.StatusBadRequest)
		}
		var raw bytes.Buffer
		raw.WriteString(`{"name":"x`)
		raw.Write([]byte{0xff})
		raw.WriteString(`","expires_at":"` + future(3) + `","scopes":["user.token:view"]}`)
		want(t, adm.Do(http.MethodPost, "/api/tokens", &raw, "application/json", false), http.StatusBadRequest)
		if ts, _ := srv.Store.Tokens(t.Context(), 0); len(ts) != 0 {
			t.Errorf("a token was stored: %v", ts)
		}
		pkg := condatest.Pkg{Name: "nul"}
		for _, fn := range []string{"nul\x00-1.0-0.conda", "nul\xff-1.0-0.conda"} {
			res := uploadTo(t, adm, "main", "", fn, condatest.Build(t, pkg, conda.Conda))
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("upload named %q: %d %s", fn, res.StatusCode, res.Body)
			}
		}
	})
}

// Finding 7: names that look like other names are refused.
func TestLookAlikeNamesAreRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		for _, r := range []struct {
			path string
			body any
		}{
			{"/api/users", map[string]any{"email": "m\u200b@x.io", "password": modeltest.Password}},
			{"/api/users", map[string]any{"email": "p\u0430ypal@example.com", "password": modeltest.Password}},
			{"/api/users", map[string]any{"email": "ann@ex\u0430mple.com", "password": modeltest.Password}},
			{"/api/roles", map[string]any{"name": "\u0410dmin"}},
			{"/api/roles", map[string]any{"name": "Ops\u200b"}},
			{"/api/teams", map[string]any{"name": "\u043eps"}},
			{"/api/teams", map[string]any{"name": "o\u202eps"}},
		} {
			if res := adm.SendJSON(http.MethodPost, r.path, r.body); res.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("POST %s %v: %d %s", r.path, r.body, res.StatusCode, res.Body)
			}
		}
		// One script at a time is fine, whichever it is; full-width forms fold.
		want(t, adm.SendJSON(http.MethodPost, "/api/teams", map[string]any{"name": "Команда"}), http.StatusCreated)
		want(t, adm.SendJSON(http.MethodPost, "/api/teams", map[string]any{"name": "José's team"}), http.StatusCreated)
		res := adm.SendJSON(http.MethodPost, "/api/teams", map[string]any{"name": "ＯＰＳ"})
		want(t, res, http.StatusCreated)
		if !strings.Contains(res.Body, `"name":"OPS"`) {
			t.Errorf("full-width name not folded: %s", res.Body)
		}
	})
}

// Finding 8: the smaller ones.
func TestSmallerHardening(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	// The CSRF cookie is renewed at sign-in.
	c := srv.Anonymous()
	c.Get("/login")
	u, _ := url.Parse(srv.URL)
	csrf := func() string {
		for _, ck := range c.HTTP.Jar.Cookies(u) {
			if ck.Name == "gatehouse_csrf" {
				return ck.Value
			}
		}
		return ""
	}
	before := csrf()
	c.PostForm("/login", url.Values{"email": {handlertest.Admin}, "password": {modeltest.Password}})
	if after := csrf(); before == "" || after == "" || after == before {
		t.Errorf("CSRF cookie not renewed at sign-in: %q then %q", before, after)
	}
	// Signed-in HTML and JSON are never stored by caches.
	for _, p := range []string{"/", "/tokens", "/api/tokens", "/v1/pages"} {
		if cc := c.Get(p).Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, cc)
		}
	}
	// The conda line never takes the Host header's word.
	mustChannel(t, c, "main", "private")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/channels/main", nil)
	req.Host = "evil.example"
	for _, ck := range c.HTTP.Jar.Cookies(u) { // the jar would file them under the other host
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(page), "evil.example") || !strings.Contains(string(page), srv.Cfg.BaseURL+"/api/repo/main") {
		t.Errorf("the conda line trusts the Host header: %d %s %s", res.StatusCode, res.Header.Get("Location"), page)
	}
	// HSTS when the public URL is https (TLS ends at a proxy in front).
	cfg := handlertest.Config(t)
	cfg.BaseURL = "https://gatehouse.example"
	tls := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	if h := tls.Anonymous().Get("/login").Header.Get("Strict-Transport-Security"); !strings.Contains(h, "max-age=") {
		t.Errorf("no HSTS behind https: %q", h)
	}
	if h := srv.Anonymous().Get("/login").Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS over plain http: %q", h)
	}
	if web.SafeNext("//x") != "/" {
		t.Fatal("SafeNext")
	}
}

// A token that names only a subchannel: every list and every page agrees
// on what it reads — the subchannel, never its channel.
func TestSubchannelTokenSeesOneAnswer(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		mustChannel(t, adm, "main", "private")
		want(t, adm.SendJSON(http.MethodPost, "/api/channels/main/subchannels", map[string]any{"name": "dev"}), http.StatusCreated)
		tok := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "dev-only", access.TokenGrant{Resources: []access.Resource{{Channel: "main", Sub: "dev", Level: access.Write}}}))
		if res := tok.Get("/api/channels"); strings.Contains(res.Body, `"main"`) {
			t.Errorf("the list shows the channel: %s", res.Body)
		}
		want(t, tok.Get("/api/channels/main"), http.StatusNotFound)
		want(t, tok.Get("/api/repo/main/noarch/repodata.json"), http.StatusNotFound)
		want(t, tok.Get("/api/repo/main/dev/noarch/repodata.json"), http.StatusOK)
		pkg := condatest.Pkg{Name: "devtool"}
		want(t, uploadTo(t, tok, "main", "?subchannel=dev", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusCreated)
		want(t, uploadTo(t, tok, "main", "", pkg.Filename(conda.Conda), condatest.Build(t, pkg, conda.Conda)), http.StatusNotFound)
	})
}
