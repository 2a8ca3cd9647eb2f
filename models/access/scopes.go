package access

import "slices"

// Audience says who may put a scope into a token (the escalation rule).
type Audience int

// Audiences, from the widest.
const (
	// AnyUser scopes cover what every signed-in user may do for themselves
	// (their own tokens, reading pages they can see).
	AnyUser Audience = iota
	// ChannelHolder scopes need the scope's level on at least one channel.
	ChannelHolder
	// AdminOnly scopes cover administration only admins may do.
	AdminOnly
)

// Scope is one entry of the scope catalog: "category:action" or
// "category.subcategory:action", the level it carries, and who may hold it.
type Scope struct {
	Name     string   `json:"scope"`
	Category string   `json:"category"`
	Level    Level    `json:"-"`
	Audience Audience `json:"-"`
	// CapsChannels is set for the artifact, channel and subchannel scopes:
	// their level bounds what a scope token may do on any channel.
	CapsChannels bool `json:"-"`
	// Gatehouse marks the scopes Gatehouse adds to the seed's table.
	Gatehouse bool `json:"gatehouse,omitempty"`
}

// Scope categories, in the order the seed's table lists them.
const (
	CatArtifacts     = "Artifacts"
	CatChannels      = "Channels"
	CatDefault       = "Default Channel"
	CatChannelGroups = "Channel groups"
	CatChanMirrors   = "Channel mirrors"
	CatSubchannels   = "Subchannels"
	CatSubGroups     = "Subchannel groups"
	CatSubMirrors    = "Subchannel mirrors"
	CatMirrors       = "Mirrors"
	CatLicenses      = "Licenses"
	CatCVEs          = "CVEs"
	CatRoles         = "Roles"
	CatSystem        = "System blobs"
	CatTokens        = "Tokens"
	CatPages         = "Pages"
	CatAudit         = "Audit"
	CatUsers         = "Users"
	CatTeams         = "Teams"
	CatMetrics       = "Metrics"
)

func ch(name, cat string, l Level) Scope {
	caps := cat == CatArtifacts || cat == CatChannels || cat == CatSubchannels
	return Scope{Name: name, Category: cat, Level: l, Audience: ChannelHolder, CapsChannels: caps}
}

func adm(name, cat string, l Level) Scope {
	return Scope{Name: name, Category: cat, Level: l, Audience: AdminOnly}
}

func gh(s Scope) Scope { s.Gatehouse = true; return s }

// Catalog is every scope a token may carry: the seed's table (its levels as
// written, "manage/write permissions to parent resource" read as that level)
// followed by Gatehouse's own scopes for pages, audit, users, teams and metrics.
var Catalog = []Scope{
	ch("artifact:create", CatArtifacts, Write),
	ch("artifact:delete", CatArtifacts, Manage),
	ch("artifact:download", CatArtifacts, Read),
	ch("artifact:edit", CatArtifacts, Manage),
	ch("artifact:view", CatArtifacts, Read),
	ch("channel:create", CatChannels, Write),
	ch("channel:delete", CatChannels, Manage),
	ch("channel:edit", CatChannels, Manage),
	ch("channel:history", CatChannels, Manage),
	ch("channel:view", CatChannels, Read),
	ch("channel:view-artifacts", CatChannels, Read),
	ch("channel.default-channel:edit", CatDefault, Manage),
	ch("channel.group:edit", CatChannelGroups, Manage),
	ch("channel.group:view", CatChannelGroups, Read),
	ch("channel.mirror:edit", CatChanMirrors, Manage),
	ch("channel.mirror:view", CatChanMirrors, Manage),
	ch("subchannel:create", CatSubchannels, Manage),
	ch("subchannel:delete", CatSubchannels, Manage),
	ch("subchannel:edit", CatSubchannels, Manage),
	ch("subchannel:history", CatSubchannels, Manage),
	ch("subchannel:view", CatSubchannels, Read),
	ch("subchannel:view-artifacts", CatSubchannels, Read),
	ch("subchannel.group:edit", CatSubGroups, Manage),
	ch("subchannel.group:view", CatSubGroups, Read),
	ch("subchannel.mirror:edit", CatSubMirrors, Manage),
	ch("subchannel.mirror:view", CatSubMirrors, Manage),
	ch("mirror:view", CatMirrors, Manage),
	adm("system.license:edit", CatLicenses, Manage),
	adm("system.license:view", CatLicenses, Manage),
	adm("cve:edit", CatCVEs, Manage),
	adm("cve:view", CatCVEs, Read),
	adm("role:edit", CatRoles, Manage),
	adm("role:view", CatRoles, Read),
	adm("system.settings:edit", CatSystem, Manage),
	adm("system:delete-blobs", CatSystem, Manage),
	{Name: "user.token:edit", Category: CatTokens, Level: Manage, Audience: AnyUser},
	{Name: "user.token:view", Category: CatTokens, Level: Manage, Audience: AnyUser},
	gh(Scope{Name: "page:view", Category: CatPages, Level: Read, Audience: AnyUser}),
	gh(adm("page:edit", CatPages, Manage)),
	gh(adm("audit:view", CatAudit, Manage)),
	gh(adm("user:view", CatUsers, Read)),
	gh(adm("user:edit", CatUsers, Manage)),
	gh(adm("team:view", CatTeams, Read)),
	gh(adm("team:edit", CatTeams, Manage)),
	gh(adm("metrics:view", CatMetrics, Manage)),
}

var catalogIndex = func() map[string]Scope {
	m := make(map[string]Scope, len(Catalog))
	for _, s := range Catalog {
		m[s.Name] = s
	}
	return m
}()

// LookupScope finds a scope of the catalog by its exact name.
func LookupScope(name string) (Scope, bool) {
	s, ok := catalogIndex[name]
	return s, ok
}

// ScopeCategory is one category of the catalog with its scopes, in order.
type ScopeCategory struct {
	Name   string
	Scopes []Scope
}

// Categories groups the catalog by category, in the catalog's order.
func Categories() []ScopeCategory {
	var out []ScopeCategory
	for _, s := range Catalog {
		i := slices.IndexFunc(out, func(c ScopeCategory) bool { return c.Name == s.Category })
		if i < 0 {
			out = append(out, ScopeCategory{Name: s.Category})
			i = len(out) - 1
		}
		out[i].Scopes = append(out[i].Scopes, s)
	}
	return out
}
