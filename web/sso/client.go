package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Limits on the groups claim: beyond them the provider's answer is refused
// rather than cut short, since a cut list would remove teams at random.
const (
	MaxGroups   = 1000
	MaxGroupLen = 255
)

// Client signs people in with one provider. Discovery happens at the first
// sign-in and is retried until it works, so Gatehouse starts while the
// provider is down.
type Client struct {
	cfg  Config
	http *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	failedAt time.Time // last failed discovery
}

// retryAfter spaces out discovery attempts while the provider is down, so
// a crowd at the sign-in page does not queue up behind timeouts.
const retryAfter = 5 * time.Second

// NewClient returns a client for the configured provider.
func NewClient(cfg Config) *Client {
	return &Client{cfg: cfg, http: &http.Client{Timeout: 10 * time.Second}}
}

// Config returns the settings the client runs with.
func (c *Client) Config() Config { return c.cfg }

// Identity is what the provider vouched for.
type Identity struct {
	Issuer  string
	Subject string
	Email   string
	Groups  []string
}

// discover fetches the provider's configuration once it answers.
func (c *Client) discover(ctx context.Context) (*oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, nil
	}
	if time.Since(c.failedAt) < retryAfter {
		return nil, refuse(ProviderDown, "discovery", nil)
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.http), c.cfg.Issuer)
	if err != nil {
		c.failedAt = time.Now()
		return nil, refuse(ProviderDown, "discovery", err)
	}
	c.provider = p
	return p, nil
}

func (c *Client) oauth(p *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURL, Scopes: c.cfg.Scopes}
}

// Start begins a sign-in: the provider's URL to send the browser to and
// the flow this browser must bring back.
func (c *Client) Start(ctx context.Context, redirectURL string) (string, Flow, error) {
	p, err := c.discover(ctx)
	if err != nil {
		return "", Flow{}, err
	}
	f := newFlow()
	u := c.oauth(p, redirectURL).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return u, f, nil
}

// Finish redeems the code, verifies the ID token (signature, issuer,
// audience, expiry, nonce) and applies Gatehouse's rules to the claims.
func (c *Client) Finish(ctx context.Context, f Flow, code, redirectURL string) (*Identity, error) {
	p, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, c.http)
	tok, err := c.oauth(p, redirectURL).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, exchangeRefusal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refuse(TokenInvalid, "missing", nil)
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: c.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, verifyRefusal(err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return nil, refuse(TokenInvalid, "nonce", nil)
	}
	cl, err := c.claims(ctx, p, tok, idt)
	if err != nil {
		return nil, err
	}
	return c.identity(idt, cl)
}

// claimSet is the part of the claims Gatehouse reads.
type claimSet struct {
	email    *string
	verified json.RawMessage
	groups   json.RawMessage
}

// claims reads email and groups from the ID token and, for those it lacks,
// from the userinfo endpoint.
func (c *Client) claims(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, idt *oidc.IDToken) (claimSet, error) {
	var cl claimSet
	var m map[string]json.RawMessage
	if err := idt.Claims(&m); err != nil {
		return cl, refuse(TokenInvalid, "malformed", err)
	}
	fill(&cl, m, c.cfg.GroupsClaim)
	if cl.email != nil && (cl.groups != nil || !c.needsGroups()) {
		return cl, nil
	}
	if p.UserInfoEndpoint() == "" {
		return cl, nil
	}
	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return cl, refuse(ProviderDown, "userinfo", err)
	}
	if ui.Subject != idt.Subject {
		return cl, refuse(TokenInvalid, "userinfo_subject", nil)
	}
	m = nil
	if err := ui.Claims(&m); err != nil {
		return cl, refuse(ProviderRefused, "userinfo_malformed", err)
	}
	fill(&cl, m, c.cfg.GroupsClaim)
	return cl, nil
}

// fill takes the claims cl does not have yet from m.
func fill(cl *claimSet, m map[string]json.RawMessage, groupsClaim string) {
	if cl.email == nil {
		var e string
		if raw, ok := m["email"]; ok && json.Unmarshal(raw, &e) == nil && e != "" {
			cl.email, cl.verified = &e, m["email_verified"]
		}
	}
	if raw, ok := m[groupsClaim]; ok && cl.groups == nil && string(raw) != "null" {
		cl.groups = raw
	}
}

func (c *Client) needsGroups() bool { return len(c.cfg.Teams) > 0 || len(c.cfg.AdminGroups) > 0 }

// identity applies the rules: a verified email, an allowed domain, and a
// groups claim that is a list of names within the limits.
func (c *Client) identity(idt *oidc.IDToken, cl claimSet) (*Identity, error) {
	if cl.email == nil {
		return nil, refuse(EmailMissing, "email", nil)
	}
	email := strings.ToLower(strings.TrimSpace(*cl.email))
	if !isTrue(cl.verified) {
		return nil, refuse(EmailUnverified, "email_verified", nil).withEmail(email)
	}
	if !c.cfg.DomainAllowed(email) {
		return nil, refuse(DomainRefused, "domain", nil).withEmail(email)
	}
	id := &Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: email}
	if !c.needsGroups() {
		return id, nil // groups change nothing, so they cannot refuse anyone either
	}
	groups, check := parseGroups(cl.groups)
	if check != "" {
		return nil, refuse(GroupsInvalid, check, nil).withEmail(email)
	}
	id.Groups = groups
	return id, nil
}

// isTrue accepts true and "true" (some providers send strings).
func isTrue(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.EqualFold(s, "true")
}

// parseGroups reads the groups claim; absent means no groups. The second
// result names what is wrong with it, if anything.
func parseGroups(raw json.RawMessage) ([]string, string) {
	if raw == nil {
		return nil, ""
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, "groups_not_a_list"
	}
	if len(items) > MaxGroups {
		return nil, "groups_too_many"
	}
	groups := make([]string, 0, len(items))
	for _, it := range items {
		var g string
		if err := json.Unmarshal(it, &g); err != nil || string(it) == "null" {
			return nil, "groups_not_names"
		}
		if len(g) > MaxGroupLen {
			return nil, "groups_name_too_long"
		}
		groups = append(groups, g)
	}
	return groups, ""
}

// exchangeRefusal names why the token endpoint did not give tokens for a
// code, without keeping the provider's words.
func exchangeRefusal(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return refuse(ProviderDown, "token_endpoint", err)
	}
	switch {
	case re.Response != nil && re.Response.StatusCode >= 500:
		return refuse(ProviderDown, "token_endpoint_status", err)
	case re.ErrorCode == "invalid_grant":
		return refuse(CodeRefused, "invalid_grant", err)
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
		return refuse(ProviderRefused, re.ErrorCode, err)
	}
	return refuse(ProviderRefused, "token_endpoint", err)
}

// verifyRefusal names the ID token check that failed. go-oidc reports most
// of them only as text, so the names come from its messages.
func verifyRefusal(err error) error {
	var expired *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &expired):
		return refuse(TokenInvalid, "expired", err)
	case strings.Contains(msg, "fetching keys"):
		return refuse(ProviderDown, "keys", err)
	case strings.Contains(msg, "issued by a different provider"):
		return refuse(TokenInvalid, "issuer", err)
	case strings.Contains(msg, "expected audience"):
		return refuse(TokenInvalid, "audience", err)
	case strings.Contains(msg, "signature"):
		return refuse(TokenInvalid, "signature", err)
	}
	return refuse(TokenInvalid, "malformed", err)
}
