package access

import (
	"fmt"
	"slices"
	"time"
)

// Token is what an access token brings to a decision: what it grants and
// the first instant it no longer works.
type Token struct {
	Grant     TokenGrant
	ExpiresAt time.Time
}

// Actor is who asks, as the engine sees them: the person as they are now
// and, for a request made with an access token, that token.
type Actor struct {
	Subject Subject
	Token   *Token
	// At is when the decision is made; a token is worth nothing from its
	// expiry on.
	At time.Time
}

// ViaToken reports whether the actor acts through an access token.
func (a Actor) ViaToken() bool { return a.Token != nil }

// TargetKind says what an action is on.
type TargetKind int

// Target kinds.
const (
	// OnSystem actions concern no one channel or page: people, tokens,
	// the audit log, creating channels and pages.
	OnSystem TargetKind = iota
	// OnChannel actions concern one channel or one of its subchannels.
	OnChannel
	// OnPage actions concern one catalog page.
	OnPage
	// OnGroup actions concern one channel group.
	OnGroup
)

func (k TargetKind) String() string {
	switch k {
	case OnChannel:
		return "channel"
	case OnPage:
		return "page"
	case OnGroup:
		return "group"
	}
	return "system"
}

// Target is what an action is on.
type Target struct {
	Kind TargetKind
	// Channel and Sub name a channel (Sub "") or one of its subchannels;
	// ACL decides who holds what there.
	Channel, Sub string
	ACL          ChannelACL
	// Readers are who may read a catalog page.
	Readers Grants
	// Group is the channel group an OnGroup action is on.
	Group Group
}

// System is the target of actions on no one channel or page.
func System() Target { return Target{Kind: OnSystem} }

// ChannelTarget is a channel (sub "") or one of its subchannels.
func ChannelTarget(channel, sub string, acl ChannelACL) Target {
	return Target{Kind: OnChannel, Channel: channel, Sub: sub, ACL: acl}
}

// PageTarget is a catalog page that readers may read.
func PageTarget(readers Grants) Target { return Target{Kind: OnPage, Readers: readers} }

// Decide is Gatehouse's one access decision: the most the actor may do on t
// through an action named by scope (scope "" asks for the actor's level
// there whatever the action). It is the person's own level now, capped by
// the token when the request carries one. Every route, list, upload and
// dialog asks here.
func Decide(a Actor, scope string, t Target) Level {
	return a.Capped(scope, t, OwnLevel(a.Subject, scope, t))
}

// DecideWithin is the most the actor may do on channel t or on any one of
// its subchannels: what a route needs before it knows which (an upload
// names its subchannel in the body). Subchannels share their channel's
// ACL, so only a resource token's pairs can tell them apart.
func DecideWithin(a Actor, scope string, t Target) Level {
	t.Sub = ""
	best := Decide(a, scope, t)
	if a.Token != nil {
		for _, r := range a.Token.Grant.Resources {
			switch {
			case r.Channel != t.Channel:
			case r.Group != "":
				for sub, groups := range t.ACL.SubGroups {
					if slices.Contains(groups, r.Group) {
						t.Sub = sub
						best = max(best, Decide(a, scope, t))
					}
				}
			case r.Sub != "":
				t.Sub = r.Sub
				best = max(best, Decide(a, scope, t))
			}
		}
	}
	return best
}

// Capped bounds the person's own level on t by the actor's token: Decide
// once the own level is known (lists compute it for many channels in one
// query).
func (a Actor) Capped(scope string, t Target, own Level) Level {
	if a.Token == nil {
		return own
	}
	if !a.At.Before(a.Token.ExpiresAt) {
		return None
	}
	return min(own, a.Token.Grant.Cap(scope, t))
}

// May reports whether the actor may do an action named by scope that needs
// level need on t.
func May(a Actor, scope string, need Level, t Target) bool {
	return need > None && Decide(a, scope, t) >= need
}

// OwnLevel is what the person may do on t, tokens aside: on a channel the
// strongest grant (Manage for admins, Read on public channels for anyone);
// on a page Manage for admins and Read for its readers. On the system an
// admin holds Manage; another signed-in person holds Manage over their own
// things (tokens, the pages they can see: AnyUser scopes), Read where a
// list is filtered for them (channel scopes), and nothing on administration.
func OwnLevel(s Subject, scope string, t Target) Level {
	switch t.Kind {
	case OnChannel:
		return ChannelLevel(s, t.ACL)
	case OnPage:
		return PageLevel(s, t.Readers)
	case OnGroup:
		return GroupLevel(s, t.Group)
	}
	switch {
	case s.Anonymous() || s.Disabled:
		return None
	case s.IsAdmin():
		return Manage
	case scope == "":
		return Read
	}
	sc, ok := LookupScope(scope)
	switch {
	case !ok:
		return None
	case sc.Audience == AnyUser:
		return Manage
	case sc.Audience == ChannelHolder:
		return Read
	}
	return None
}

// Admits reports whether a token may use an action named by scope on
// targets of kind at all, before the target is known: a scope token must
// carry the scope (scopes do not imply one another); a resource token acts
// only on channels, through the channel actions.
func (g TokenGrant) Admits(scope string, kind TargetKind) bool {
	switch g.Kind() {
	case KindScopes:
		return scope != "" && g.HasScope(scope)
	case KindResources:
		return kind == OnChannel && channelAction(scope)
	}
	return false
}

// channelAction reports whether scope names something done to a channel
// that a resource token's level covers ("" asks about any of them).
func channelAction(scope string) bool {
	if scope == "" {
		return true
	}
	s, ok := LookupScope(scope)
	return ok && s.Audience == ChannelHolder
}

// Cap is the most the token allows through an action named by scope on t.
// A scope token allows the scope's own level wherever the scope applies
// (scope "": its strongest scope for that kind of target); a resource
// token allows the level of the pair that covers the channel or
// subchannel, and nothing elsewhere.
func (g TokenGrant) Cap(scope string, t Target) Level {
	if scope != "" && !g.Admits(scope, t.Kind) {
		return None
	}
	switch g.Kind() {
	case KindScopes:
		if scope != "" {
			s, _ := LookupScope(scope)
			return s.Level
		}
		return g.strongestScope(t.Kind)
	case KindResources:
		if t.Kind != OnChannel {
			return None
		}
		return g.cover(t)
	}
	return None
}

// strongestScope is the highest level among the token's scopes that act
// on targets of kind.
func (g TokenGrant) strongestScope(kind TargetKind) Level {
	best := None
	for _, name := range g.Scopes {
		s, ok := LookupScope(name)
		if !ok {
			continue
		}
		if kind == OnChannel && !s.CapsChannels || kind == OnPage && s.Category != CatPages || kind == OnGroup && s.Category != CatChannelGroups {
			continue
		}
		best = max(best, s.Level)
	}
	return best
}

// cover is the level of the strongest pair that covers the channel or
// subchannel t names (Resource.Covers).
func (g TokenGrant) cover(t Target) Level {
	best := None
	for _, r := range g.Resources {
		if r.Covers(t.Channel, t.Sub, t.ACL) {
			best = max(best, r.Level)
		}
	}
	return best
}

// Covers reports whether the pair reaches channel (sub "") or its
// subchannel sub, whose ACL is acl: a pair on "chan" covers the channel
// and its subchannels, one on "chan/sub" only that subchannel; a pair on a
// channel group ("group:<name>") covers each channel in the group now and
// its subchannels, and one on a subchannel group ("chan/group:<name>")
// each subchannel in that group now. Membership is read from acl at every
// decision, so a channel added later is covered and one removed is not.
func (r Resource) Covers(channel, sub string, acl ChannelACL) bool {
	switch {
	case r.Group != "" && r.Channel == "":
		return acl.InGroup(r.Group)
	case r.Group != "":
		return r.Channel == channel && sub != "" && slices.Contains(acl.SubGroups[sub], r.Group)
	}
	return r.Channel == channel && (r.Sub == "" || r.Sub == sub)
}

// Names reports whether a resource token names the channel at all (the
// channel or any of its subchannels); callers answer 404 rather than 403
// where the token must not learn which channels exist. Scope tokens name
// every channel.
func (g TokenGrant) Names(channel string, acl ChannelACL) bool {
	if g.Kind() != KindResources {
		return true
	}
	for _, r := range g.Resources {
		if r.Channel == channel || r.Group != "" && r.Channel == "" && acl.InGroup(r.Group) {
			return true
		}
	}
	return false
}

// Exceeds lists, one line each, what child would be able to do that parent
// cannot: the check a token must pass to create, extend, revive or
// re-issue another token. It compares level by level and channel by
// channel: a resource pair needs the parent's level on that channel or
// subchannel (a scope token holds, on every channel, the level of its
// strongest channel scope); a pair on a group needs the same pair in the
// parent (membership changes, so no set of channels stands in for it);
// a scope needs the parent to hold that scope; and the child may not live
// longer than the parent.
func Exceeds(child, parent Token) []string {
	var out []string
	for _, r := range child.Grant.Resources {
		t := ChannelTarget(r.Channel, r.Sub, ChannelACL{})
		have := parent.Grant.Cap("", t)
		if r.Group != "" {
			have = parent.Grant.groupCap(r)
		}
		if have < r.Level {
			out = append(out, fmt.Sprintf("%s on %s (the token holds %s there)", r.Level, r.Path(), have))
		}
	}
	for _, s := range child.Grant.Scopes {
		if !parent.Grant.HasScope(s) {
			out = append(out, s+" (the token does not hold it)")
		}
	}
	if child.ExpiresAt.After(parent.ExpiresAt) {
		last := parent.ExpiresAt.Add(-24 * time.Hour).UTC().Format(time.DateOnly)
		out = append(out, "a life past "+last+" (the token's own last day)")
	}
	return out
}

// groupCap is what the token allows on group pair r: the same pair's
// level, or for a scope token its strongest channel scope.
func (g TokenGrant) groupCap(r Resource) Level {
	if g.Kind() == KindScopes {
		return g.strongestScope(OnChannel)
	}
	best := None
	for _, p := range g.Resources {
		if p.Channel == r.Channel && p.Group == r.Group && p.Sub == "" {
			best = max(best, p.Level)
		}
	}
	return best
}
