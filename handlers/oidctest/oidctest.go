// Package oidctest runs a real OpenID provider on loopback for tests: the
// zitadel/oidc OP (discovery, authorization code flow with PKCE, token,
// userinfo and keys endpoints) over the library's example storage, with test
// users and their groups, the provider's own login form, and switches that
// make the OP issue tokens a hostile or broken provider would.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// The client Gatehouse is registered as.
const (
	ClientID     = "gatehouse"
	ClientSecret = "gatehouse-test-secret"
	// OtherClient is another application registered at the same provider.
	OtherClient = "another-app"
)

// User is a person at the provider.
type User struct {
	Username      string
	Password      string
	Email         string
	EmailVerified bool
	Groups        []string
	// GroupsClaim, when set, is sent as the groups claim instead of Groups:
	// a string, a list of numbers, a huge list.
	GroupsClaim any
	// GroupsOnlyFromUserinfo leaves the groups out of the ID token, as many
	// providers do; they are then only at the userinfo endpoint.
	GroupsOnlyFromUserinfo bool
}

// Subject is the stable id the provider gives a user.
func (u User) Subject() string { return "sub-" + u.Username }

// Tamper makes the provider issue bad ID tokens through its own token
// endpoint.
type Tamper int

// The ways the provider can misbehave.
const (
	Honest        Tamper = iota
	WrongKey             // signs with a key it does not publish (same key id)
	WrongAudience        // issues the ID token to another client
	WrongIssuer          // names another issuer in the ID token
	Expired              // issues ID tokens that have already expired
	WrongNonce           // puts a nonce nobody asked for in the ID token
)

// Provider is a running OpenID provider.
type Provider struct {
	// URL is the issuer: discovery is at URL/.well-known/openid-configuration.
	URL string

	srv *httptest.Server
	op  *op.Provider

	mu        sync.Mutex
	users     map[string]*User // by username
	tamper    Tamper
	redirects []string
	// emailInUserinfoOnly keeps email claims out of the ID token.
	emailInUserinfoOnly bool
	codeLifetime        time.Duration
	badKey              *rsa.PrivateKey
}

// Start runs a provider on loopback until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	p := &Provider{users: map[string]*User{}}
	mux := http.NewServeMux()
	p.srv = httptest.NewUnstartedServer(mux)
	p.URL = "http://" + p.srv.Listener.Addr().String()

	var err error
	if p.badKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	clients := map[string]*storage.Client{
		ClientID:    storage.WebClient(ClientID, ClientSecret),
		OtherClient: storage.WebClient(OtherClient, "another-secret"),
	}
	st := &store{Storage: storage.NewStorageWithClients(users{p}, clients), p: p}
	key := sha256.Sum256([]byte(p.URL))
	cfg := &op.Config{CryptoKey: key, CodeMethodS256: true, AuthMethodPost: true, SupportedUILocales: []language.Tag{language.English}}
	p.op, err = op.NewProvider(cfg, st, p.issuer, op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	login := op.NewIssuerInterceptor(p.op.IssuerFromRequest)
	mux.HandleFunc("GET /login/username", p.loginForm)
	mux.Handle("POST /login/username", login.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.login(w, r, st) }))
	mux.Handle("/", p.op)
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

// issuer names the provider; with WrongIssuer the token endpoint names
// another one in the tokens it issues.
func (p *Provider) issuer(bool) (op.IssuerFromRequest, error) {
	return func(r *http.Request) string {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.tamper == WrongIssuer && r.URL.Path == "/oauth/token" {
			return p.URL + "/elsewhere"
		}
		return p.URL
	}, nil
}

// AddUser adds (or replaces) a person.
func (p *Provider) AddUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[u.Username] = &u
}

// SetGroups changes a person's groups, as an admin at the provider would.
func (p *Provider) SetGroups(username string, groups ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[username].Groups = groups
}

// AllowRedirect registers a redirect URI for Gatehouse's client.
func (p *Provider) AllowRedirect(uri string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.redirects = append(p.redirects, uri)
}

// SetTamper makes the provider misbehave from now on.
func (p *Provider) SetTamper(t Tamper) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = t
}

// EmailInUserinfoOnly keeps email claims out of ID tokens.
func (p *Provider) EmailInUserinfoOnly() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emailInUserinfoOnly = true
}

// SetCodeLifetime makes codes expire this long after the sign-in began.
func (p *Provider) SetCodeLifetime(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.codeLifetime = d
}

// Close takes the provider down.
func (p *Provider) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
}

func (p *Provider) user(name string) *User {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u, ok := p.users[name]; ok {
		c := *u
		return &c
	}
	return nil
}

func (p *Provider) bySubject(sub string) *User {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.users {
		if u.Subject() == sub {
			c := *u
			return &c
		}
	}
	return nil
}

func (p *Provider) mode() Tamper {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tamper
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Test Identity Provider</title></head>
<body>
<h1>Test Identity Provider</h1>
<form method="post" action="/login/username">
<input type="hidden" name="id" value="{{.ID}}">
<p><label for="username">Username</label> <input id="username" name="username" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<p><button type="submit">Log in</button></p>
</form>
</body></html>`))

// loginForm is the provider's own sign-in page.
func (p *Provider) loginForm(w http.ResponseWriter, r *http.Request) {
	_ = loginPage.Execute(w, map[string]string{"ID": r.URL.Query().Get("authRequestID")})
}

// login checks the password and hands the browser back to the OP, which
// redirects to Gatehouse with a code.
func (p *Provider) login(w http.ResponseWriter, r *http.Request, st *store) {
	id := r.FormValue("id")
	if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		_ = loginPage.Execute(w, map[string]string{"ID": id, "Error": "Wrong username or password."})
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusFound)
}

// users is the example storage's user store over the provider's people.
type users struct{ p *Provider }

func (u users) GetUserByID(id string) *storage.User { return toStorage(u.p.bySubject(id)) }
func (u users) GetUserByUsername(name string) *storage.User {
	return toStorage(u.p.user(name))
}
func (users) ExampleClientID() string { return "service" }

func toStorage(u *User) *storage.User {
	if u == nil {
		return nil
	}
	return &storage.User{ID: u.Subject(), Username: u.Username, Password: u.Password, FirstName: u.Username,
		Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
}

// store is the example storage plus groups, and the switches.
type store struct {
	*storage.Storage
	p *Provider
}

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &client{Client: c, p: s.p}, nil
}

func (s *store) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	s.p.mu.Lock()
	ttl := s.p.codeLifetime
	s.p.mu.Unlock()
	if ar, ok := req.(*storage.AuthRequest); ok && ttl > 0 && time.Since(ar.CreationDate) > ttl {
		return nil, fmt.Errorf("code expired")
	}
	switch s.p.mode() {
	case WrongNonce, WrongAudience:
		return &tamperedRequest{AuthRequest: req, mode: s.p.mode()}, nil
	}
	return req, nil
}

func (s *store) SigningKey(ctx context.Context) (op.SigningKey, error) {
	k, err := s.Storage.SigningKey(ctx)
	if err != nil || s.p.mode() != WrongKey {
		return k, err
	}
	return badKey{id: k.ID(), key: s.p.badKey}, nil
}

// SetUserinfoFromRequest fills the ID token's claims, groups included.
func (s *store) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, req, scopes); err != nil {
		return err
	}
	u := s.p.bySubject(req.GetSubject())
	if u != nil && !u.GroupsOnlyFromUserinfo && slices.Contains(scopes, "groups") {
		ui.AppendClaims("groups", u.groupsClaim())
	}
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint, groups included.
func (s *store) SetUserinfoFromToken(ctx context.Context, ui *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, ui, tokenID, subject, origin); err != nil {
		return err
	}
	if u := s.p.bySubject(subject); u != nil {
		ui.AppendClaims("groups", u.groupsClaim())
	}
	return nil
}

func (u *User) groupsClaim() any {
	if u.GroupsClaim != nil {
		return u.GroupsClaim
	}
	if u.Groups == nil {
		return []string{}
	}
	return u.Groups
}

// client is Gatehouse's registration, with its redirect URIs and the
// switches that shape its ID tokens.
type client struct {
	op.Client
	p *Provider
}

func (c *client) RedirectURIs() []string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return slices.Clone(c.p.redirects)
}

func (c *client) IsScopeAllowed(scope string) bool { return scope == "groups" }

func (c *client) IDTokenUserinfoClaimsAssertion() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return !c.p.emailInUserinfoOnly
}

func (c *client) IDTokenLifetime() time.Duration {
	if c.p.mode() == Expired {
		return -time.Minute
	}
	return time.Hour
}

func (c *client) GetID() string {
	if c.p.mode() == WrongAudience {
		return OtherClient
	}
	return c.Client.GetID()
}

// tamperedRequest is a sign-in whose ID token goes to another client or
// carries another nonce.
type tamperedRequest struct {
	op.AuthRequest
	mode Tamper
}

func (r *tamperedRequest) GetNonce() string {
	if r.mode == WrongNonce {
		return "a-nonce-nobody-asked-for"
	}
	return r.AuthRequest.GetNonce()
}

func (r *tamperedRequest) GetClientID() string {
	if r.mode == WrongAudience {
		return OtherClient
	}
	return r.AuthRequest.GetClientID()
}

func (r *tamperedRequest) GetAudience() []string {
	if r.mode == WrongAudience {
		return []string{OtherClient}
	}
	return r.AuthRequest.GetAudience()
}

// badKey signs under the published key's id with a key nobody can verify.
type badKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k badKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k badKey) Key() any                                    { return k.key }
func (k badKey) ID() string                                  { return k.id }
