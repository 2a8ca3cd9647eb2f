package access

import (
	"fmt"
	"slices"
	"strings"
)

// TokenKind is a token's type: resources or scopes, never both.
type TokenKind string

// Token kinds.
const (
	KindResources TokenKind = "resources"
	KindScopes    TokenKind = "scopes"
)

// Limits on what one token may list.
const (
	MaxTokenResources = 50
	MaxTokenScopes    = 100
)

// Resource is one (place, level) pair of a resource token. The place is
// a channel (Sub and Group empty: the channel and its subchannels), one
// subchannel (Sub), a channel group (Group, no Channel: each channel in
// it) or a subchannel group of Channel (Group: each subchannel in it).
type Resource struct {
	Channel string `json:"channel"`
	Sub     string `json:"subchannel,omitempty"`
	Group   string `json:"group,omitempty"`
	Level   Level  `json:"-"`
}

// GroupPrefix marks a group in a resource path: "group:<name>" is a
// channel group, "chan/group:<name>" a subchannel group of chan. Channel
// names cannot hold ":", so the forms never overlap.
const GroupPrefix = "group:"

// Path is "chan", "chan/sub", "group:<name>" or "chan/group:<name>".
func (r Resource) Path() string {
	switch {
	case r.Group != "" && r.Channel == "":
		return GroupPrefix + r.Group
	case r.Group != "":
		return r.Channel + "/" + GroupPrefix + r.Group
	case r.Sub == "":
		return r.Channel
	}
	return r.Channel + "/" + r.Sub
}

// ParseResource reads "chan[/sub]", "group:<name>" or "chan/group:<name>"
// and a level name.
func ParseResource(path, level string) (Resource, error) {
	l, err := ParseLevel(level)
	if err != nil {
		return Resource{}, err
	}
	path = strings.TrimSpace(path)
	bad := fmt.Errorf("%q is not a channel, channel/subchannel, group:<name> or channel/group:<name>", path)
	if g, ok := strings.CutPrefix(path, GroupPrefix); ok {
		if g == "" || strings.ContainsAny(g, "/:") {
			return Resource{}, bad
		}
		return Resource{Group: g, Level: l}, nil
	}
	name, sub, _ := strings.Cut(path, "/")
	if name == "" || strings.Contains(sub, "/") || strings.HasSuffix(path, "/") || strings.Contains(name, ":") {
		return Resource{}, bad
	}
	if g, ok := strings.CutPrefix(sub, GroupPrefix); ok {
		if g == "" || strings.Contains(g, ":") {
			return Resource{}, bad
		}
		return Resource{Channel: name, Group: g, Level: l}, nil
	}
	if strings.Contains(sub, ":") {
		return Resource{}, bad
	}
	return Resource{Channel: name, Sub: sub, Level: l}, nil
}

// TokenGrant is what a token asks for: resources or scopes.
type TokenGrant struct {
	Resources []Resource
	Scopes    []string
}

// Kind is the grant's type ("" when it is empty or mixed).
func (g TokenGrant) Kind() TokenKind {
	switch {
	case len(g.Resources) > 0 && len(g.Scopes) == 0:
		return KindResources
	case len(g.Scopes) > 0 && len(g.Resources) == 0:
		return KindScopes
	}
	return ""
}

// GrantError is a fault in what a token asks for; Field is "resources" or "scopes".
type GrantError struct {
	Field   string
	Message string
}

func (e *GrantError) Error() string { return e.Message }

func grantErr(field, format string, args ...any) error {
	return &GrantError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Validate checks the grant's shape: one type, known scopes, no repeats,
// within the limits. Whether the channels exist is for the store to check.
func (g TokenGrant) Validate() error {
	switch {
	case len(g.Resources) > 0 && len(g.Scopes) > 0:
		return grantErr("type", "Tokens cannot contain both resources and scopes.")
	case len(g.Resources) == 0 && len(g.Scopes) == 0:
		return grantErr("type", "A token needs at least one resource or one scope.")
	case len(g.Resources) > MaxTokenResources:
		return grantErr("resources", "A token may list at most %d resources.", MaxTokenResources)
	case len(g.Scopes) > MaxTokenScopes:
		return grantErr("scopes", "A token may list at most %d scopes.", MaxTokenScopes)
	}
	var unknown []string
	for i, s := range g.Scopes {
		if _, ok := LookupScope(s); !ok {
			unknown = append(unknown, fmt.Sprintf("%q", s))
		} else if slices.Contains(g.Scopes[:i], s) {
			return grantErr("scopes", "Scope %s is listed twice.", s)
		}
	}
	if len(unknown) > 0 {
		return grantErr("scopes", "Unknown scope: %s.", strings.Join(unknown, ", "))
	}
	for i, r := range g.Resources {
		if r.Level < Read || r.Level > Manage {
			return grantErr("resources", "Resource %s needs a level: read, write or manage.", r.Path())
		}
		if slices.ContainsFunc(g.Resources[:i], func(o Resource) bool { return o.Path() == r.Path() }) {
			return grantErr("resources", "Resource %s is listed twice.", r.Path())
		}
	}
	return nil
}

// HasScope reports whether a scope token carries scope exactly. Scopes do
// not imply one another: a token can do only the actions it names.
func (g TokenGrant) HasScope(scope string) bool { return slices.Contains(g.Scopes, scope) }

// Holdings is what a token's owner holds now, for the escalation check:
// admin or not, the owner's level on each channel by name, and on each
// group by its resource path ("group:<name>", "chan/group:<name>").
type Holdings struct {
	Admin    bool
	Channels map[string]Level
	Groups   map[string]Level
}

func (h Holdings) best() Level {
	if h.Admin {
		return Manage
	}
	best := None
	for _, l := range h.Channels {
		best = max(best, l)
	}
	return best
}

// Missing lists, one line each, what the grant asks for beyond what the owner
// holds; empty means the token may be created. Unknown channels count as held
// at no level: the store reports them by name first.
func Missing(g TokenGrant, h Holdings) []string {
	var out []string
	for _, r := range g.Resources {
		have := h.Channels[r.Channel]
		if r.Group != "" {
			have = h.Groups[r.Path()]
		}
		if h.Admin {
			have = Manage
		}
		if have < r.Level {
			out = append(out, fmt.Sprintf("%s on %s (you hold %s)", r.Level, r.Path(), have))
		}
	}
	for _, name := range g.Scopes {
		s, ok := LookupScope(name)
		if !ok {
			out = append(out, name+" (unknown scope)")
			continue
		}
		switch {
		case s.Audience == AdminOnly && !h.Admin:
			out = append(out, name+" (needs the Admin role)")
		case s.Audience == ChannelHolder && h.best() < s.Level:
			out = append(out, fmt.Sprintf("%s (needs %s on a channel; you hold %s at most)", name, s.Level, h.best()))
		}
	}
	return out
}
