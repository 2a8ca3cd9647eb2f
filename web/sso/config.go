// Package sso signs people in through the organisation's OpenID Connect
// provider: discovery, the authorization code flow with PKCE, state and
// nonce, ID token verification (go-oidc and x/oauth2 do the protocol), and
// the rules Gatehouse adds: verified email, allowed domains, and groups that
// become teams and the Admin role.
package sso

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"gatehouse/models"
)

// Config holds the single sign-on settings.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string // empty for public clients
	Name         string // shown as "Sign in with <Name>"
	Scopes       []string
	GroupsClaim  string
	// Teams maps provider groups onto teams, in the order given.
	Teams          []TeamMapping
	AdminGroups    []string
	AllowedDomains []string // lower-case; empty allows every domain
}

// TeamMapping says that members of Group belong in Team.
type TeamMapping struct {
	Group string
	Team  string
}

// Defaults for the settings.
const (
	DefaultScopes      = "openid email profile groups"
	DefaultGroupsClaim = "groups"
	DefaultName        = "single sign-on"
)

// Enabled reports whether single sign-on is configured.
func (c Config) Enabled() bool { return c.Issuer != "" }

// Validate checks the settings that belong together.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("GATEHOUSE_OIDC_ISSUER must be the provider's https:// URL, got %q", c.Issuer)
	}
	if c.ClientID == "" {
		return fmt.Errorf("GATEHOUSE_OIDC_CLIENT_ID is required with GATEHOUSE_OIDC_ISSUER")
	}
	if !slices.Contains(c.Scopes, "openid") {
		return fmt.Errorf("GATEHOUSE_OIDC_SCOPES must include openid")
	}
	if c.GroupsClaim == "" {
		return fmt.Errorf("GATEHOUSE_OIDC_GROUPS_CLAIM may not be empty")
	}
	return nil
}

// ParseTeams reads "group=Team name;group2=Other team". A group may feed
// several teams and several groups one team.
func ParseTeams(s string) ([]TeamMapping, error) {
	var out []TeamMapping
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		group, team, ok := strings.Cut(part, "=")
		group, team = strings.TrimSpace(group), strings.TrimSpace(team)
		if !ok || group == "" || team == "" {
			return nil, fmt.Errorf("GATEHOUSE_OIDC_TEAMS: %q is not group=Team name", part)
		}
		name, err := models.ValidateName("team", team)
		if err != nil {
			return nil, fmt.Errorf("GATEHOUSE_OIDC_TEAMS: team %q: %w", team, err)
		}
		out = append(out, TeamMapping{Group: group, Team: name})
	}
	return out, nil
}

// SplitList reads a list separated by commas or spaces.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// TeamNames lists the mapped teams once each.
func (c Config) TeamNames() []string {
	var out []string
	for _, m := range c.Teams {
		if !slices.ContainsFunc(out, func(n string) bool { return strings.EqualFold(n, m.Team) }) {
			out = append(out, m.Team)
		}
	}
	return out
}

// SyncedFrom lists the groups that feed a team; none means the team is
// managed by hand.
func (c Config) SyncedFrom(team string) []string {
	var groups []string
	for _, m := range c.Teams {
		if strings.EqualFold(m.Team, team) {
			groups = append(groups, m.Group)
		}
	}
	return groups
}

// Membership turns a person's groups into the state of every mapped team
// and, when admin groups are set, of the Admin role.
func (c Config) Membership(groups []string) (teams map[string]bool, admin *bool) {
	teams = map[string]bool{}
	for _, name := range c.TeamNames() {
		teams[name] = false
	}
	for _, m := range c.Teams {
		if slices.Contains(groups, m.Group) {
			for name := range teams {
				if strings.EqualFold(name, m.Team) {
					teams[name] = true
				}
			}
		}
	}
	if len(c.AdminGroups) > 0 {
		isAdmin := slices.ContainsFunc(c.AdminGroups, func(g string) bool { return slices.Contains(groups, g) })
		admin = &isAdmin
	}
	return teams, admin
}

// DomainAllowed reports whether email's domain may sign in.
func (c Config) DomainAllowed(email string) bool {
	if len(c.AllowedDomains) == 0 {
		return true
	}
	at := strings.LastIndexByte(email, '@')
	return at >= 0 && slices.Contains(c.AllowedDomains, strings.ToLower(email[at+1:]))
}
