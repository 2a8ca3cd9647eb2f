package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	decideNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	nextWeek  = decideNow.Add(7 * 24 * time.Hour)
)

// person is one kind of subject the tables walk, with the level it holds
// on channel "c" through its own grants (none elsewhere).
type person struct {
	name  string
	s     Subject
	onC   Level // own level on c, as granted
	admin bool
}

func people() []person {
	out := []person{
		{name: "anonymous", s: Subject{}},
		{name: "admin", s: Subject{UserID: 1, Email: "root@example.com", Roles: []string{RoleAdmin}}, onC: Manage, admin: true},
		{name: "disabled admin", s: Subject{UserID: 2, Email: "old@example.com", Roles: []string{RoleAdmin}, Disabled: true}},
	}
	for _, l := range []Level{None, Read, Write, Manage} {
		s := Subject{UserID: 10 + uint(l), Email: fmt.Sprintf("m%d@example.com", l), Roles: []string{RoleMember}, Teams: []string{"team-" + l.String()}}
		out = append(out, person{name: "member holding " + l.String(), s: s, onC: l})
		d := s
		d.Disabled = true
		out = append(out, person{name: "disabled member holding " + l.String(), s: d})
	}
	return out
}

// aclFor grants each member the level its team is named after. The
// channel is in channel group g (which grants nothing), and its
// subchannel s in subchannel group sg.
func aclFor(public bool) ChannelACL {
	return ChannelACL{Public: public, ByLevel: map[Level]Grants{
		Read: {Teams: []string{"team-read"}}, Write: {Teams: []string{"team-write"}}, Manage: {Teams: []string{"team-manage"}},
	}, Groups: []GroupGrants{{Name: "g"}}, SubGroups: map[string][]string{"s": {"sg"}}}
}

// token is one kind of token the tables walk.
type token struct {
	name string
	g    *TokenGrant // nil: a session (or nobody)
}

func tokens() []token {
	out := []token{{name: "session"}}
	for _, on := range []string{"c", "c/s", "group:g", "c/group:sg", "group:other"} {
		for _, l := range Levels {
			r, _ := ParseResource(on, l.String())
			out = append(out, token{name: "resource " + on + ":" + l.String(), g: &TokenGrant{Resources: []Resource{r}}})
		}
	}
	for _, s := range Catalog {
		out = append(out, token{name: "scope " + s.Name, g: &TokenGrant{Scopes: []string{s.Name}}})
	}
	return out
}

// ownOnSystem restates, independently of OwnLevel, what a person holds on
// the system through an action named by scope.
func ownOnSystem(p person, scope string) Level {
	if p.s.UserID == 0 || p.s.Disabled {
		return None
	}
	if p.admin {
		return Manage
	}
	if scope == "" {
		return Read
	}
	switch {
	case strings.HasPrefix(scope, "user.token:"), scope == "page:view":
		return Manage // their own tokens; pages filtered for them
	case strings.HasPrefix(scope, "artifact:"), strings.HasPrefix(scope, "channel"), strings.HasPrefix(scope, "subchannel"), scope == "mirror:view":
		return Read // lists of channels, filtered per channel
	}
	return None
}

// TestDecide walks person × token × every action (each scope of the
// catalog, and "") × targets (channel c, subchannel c/s, subchannel c/t,
// channel d, public or not; a page; the system), expired tokens included,
// against an independent statement of the rule.
func TestDecide(t *testing.T) {
	type place struct{ channel, sub string }
	places := []place{{"c", ""}, {"c", "s"}, {"c", "t"}, {"d", ""}}
	actions := []string{""}
	for _, s := range Catalog {
		actions = append(actions, s.Name)
	}
	n := 0
	for _, p := range people() {
		for _, tk := range tokens() {
			for _, expired := range []bool{false, true} {
				if tk.g == nil && expired {
					continue
				}
				a := Actor{Subject: p.s, At: decideNow}
				if tk.g != nil {
					a.Token = &Token{Grant: *tk.g, ExpiresAt: nextWeek}
					if expired {
						a.At = nextWeek // the first instant it no longer works
					}
				}
				for _, scope := range actions {
					sc, _ := LookupScope(scope)
					// What the token allows, restated.
					tokenCap := func(kind TargetKind, channel, sub string) Level {
						switch {
						case tk.g == nil:
							return Manage
						case expired:
							return None
						case tk.g.Kind() == KindScopes:
							held := tk.g.Scopes[0]
							hs, _ := LookupScope(held)
							if scope == "" {
								if kind == OnChannel && !hs.CapsChannels || kind == OnPage && hs.Category != CatPages || kind == OnGroup && hs.Category != CatChannelGroups {
									return None
								}
								return hs.Level
							}
							if held != scope {
								return None
							}
							return sc.Level
						}
						r := tk.g.Resources[0]
						if kind != OnChannel || scope != "" && sc.Audience != ChannelHolder {
							return None
						}
						switch {
						case r.Group == "g" && r.Channel == "": // c is in g, d is not
							if channel == "c" {
								return r.Level
							}
						case r.Group == "sg": // only c/s is in sg
							if channel == "c" && sub == "s" {
								return r.Level
							}
						case r.Group != "":
						case channel == r.Channel && (r.Sub == "" || r.Sub == sub):
							return r.Level
						}
						return None
					}
					for _, public := range []bool{false, true} {
						for _, pl := range places {
							own := None
							if pl.channel == "c" && !p.s.Disabled {
								own = p.onC
							}
							if p.admin {
								own = Manage
							}
							if public && !p.s.Disabled {
								own = max(own, Read)
							}
							acl := aclFor(public)
							if pl.channel == "d" {
								acl = ChannelACL{Public: public}
							}
							want := min(own, tokenCap(OnChannel, pl.channel, pl.sub))
							got := Decide(a, scope, ChannelTarget(pl.channel, pl.sub, acl))
							if got != want {
								t.Errorf("%s with %s (expired %v) doing %q on %s/%s public=%v: %s, want %s", p.name, tk.name, expired, scope, pl.channel, pl.sub, public, got, want)
							}
							n++
						}
					}
					// A page Member may read.
					ownPage := None
					switch {
					case p.admin:
						ownPage = Manage
					case p.s.UserID != 0 && !p.s.Disabled:
						ownPage = Read
					}
					if got, want := Decide(a, scope, PageTarget(Grants{Roles: []string{RoleMember}})), min(ownPage, tokenCap(OnPage, "", "")); got != want {
						t.Errorf("%s with %s (expired %v) doing %q on a page: %s, want %s", p.name, tk.name, expired, scope, got, want)
					}
					if got, want := Decide(a, scope, System()), min(ownOnSystem(p, scope), tokenCap(OnSystem, "", "")); got != want {
						t.Errorf("%s with %s (expired %v) doing %q on the system: %s, want %s", p.name, tk.name, expired, scope, got, want)
					}
					// A group whose one member is c (granting nothing itself):
					// the person's level on c.
					for _, public := range []bool{false, true} {
						own := None
						if !p.s.Disabled && p.s.UserID != 0 {
							own = p.onC
							if public {
								own = max(own, Read)
							}
						}
						if p.admin {
							own = Manage
						}
						g := Group{Name: "g", Members: []ChannelACL{aclFor(public)}}
						if got, want := Decide(a, scope, GroupTarget(g)), min(own, tokenCap(OnGroup, "", "")); got != want {
							t.Errorf("%s with %s (expired %v) doing %q on group g public=%v: %s, want %s", p.name, tk.name, expired, scope, public, got, want)
						}
					}
					n += 4
				}
			}
		}
	}
	t.Logf("%d decisions", n)
}

// TestDecideExamples states a few decisions outright, as a reader would
// check them by hand.
func TestDecideExamples(t *testing.T) {
	member := Subject{UserID: 7, Email: "ann@example.com", Roles: []string{RoleMember}, Teams: []string{"ops"}}
	acl := ChannelACL{ByLevel: map[Level]Grants{Write: {Teams: []string{"ops"}}}}
	res := func(path, level string) *Token {
		r, _ := ParseResource(path, level)
		return &Token{Grant: TokenGrant{Resources: []Resource{r}}, ExpiresAt: nextWeek}
	}
	scopes := func(s ...string) *Token { return &Token{Grant: TokenGrant{Scopes: s}, ExpiresAt: nextWeek} }
	cases := []struct {
		name  string
		tok   *Token
		scope string
		need  Level
		on    Target
		want  bool
	}{
		{"session writes where a team grants write", nil, "artifact:create", Write, ChannelTarget("c", "", acl), true},
		{"session cannot manage there", nil, "artifact:delete", Manage, ChannelTarget("c", "", acl), false},
		{"read token cannot upload", res("c", "read"), "artifact:create", Write, ChannelTarget("c", "", acl), false},
		{"manage token is capped by the owner's write", res("c", "manage"), "artifact:delete", Manage, ChannelTarget("c", "", acl), false},
		{"subchannel token uploads to its subchannel", res("c/s", "write"), "artifact:create", Write, ChannelTarget("c", "s", acl), true},
		{"subchannel token cannot read the channel itself", res("c/s", "write"), "artifact:download", Read, ChannelTarget("c", "", acl), false},
		{"subchannel token cannot read a sibling", res("c/s", "write"), "artifact:download", Read, ChannelTarget("c", "t", acl), false},
		{"resource token cannot list tokens", res("c", "manage"), "user.token:view", Manage, System(), false},
		{"resource token cannot read pages", res("c", "manage"), "page:view", Read, PageTarget(Grants{Roles: []string{RoleMember}}), false},
		{"scope token needs the very scope", scopes("artifact:download"), "artifact:create", Write, ChannelTarget("c", "", acl), false},
		{"scope token uploads with artifact:create", scopes("artifact:create"), "artifact:create", Write, ChannelTarget("c", "", acl), true},
		{"scope token lists its own tokens", scopes("user.token:view"), "user.token:view", Manage, System(), true},
		{"member's audit scope is worth nothing", scopes("audit:view"), "audit:view", Manage, System(), false},
	}
	for _, c := range cases {
		a := Actor{Subject: member, Token: c.tok, At: decideNow}
		if got := May(a, c.scope, c.need, c.on); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

// TestAdmits shows that the early check agrees with the decision: a token
// the route refuses can never be allowed on any target of that kind.
func TestAdmits(t *testing.T) {
	admin := Subject{UserID: 1, Email: "root@example.com", Roles: []string{RoleAdmin}}
	for _, tk := range tokens() {
		if tk.g == nil {
			continue
		}
		for _, s := range Catalog {
			for _, kind := range []TargetKind{OnSystem, OnChannel, OnPage, OnGroup} {
				tgt := Target{Kind: kind, Channel: "c", Sub: "s"}
				a := Actor{Subject: admin, Token: &Token{Grant: *tk.g, ExpiresAt: nextWeek}, At: decideNow}
				if !tk.g.Admits(s.Name, kind) && Decide(a, s.Name, tgt) != None {
					t.Errorf("%s refused %s on %s, yet decides %s", tk.name, s.Name, kind, Decide(a, s.Name, tgt))
				}
			}
		}
	}
}

// TestExceeds walks the token-versus-token comparison: what a token may
// create, extend, revive or re-issue.
func TestExceeds(t *testing.T) {
	res := func(pairs ...string) TokenGrant {
		var g TokenGrant
		for _, p := range pairs {
			path, level, _ := strings.Cut(p, ":")
			r, err := ParseResource(path, level)
			if err != nil {
				t.Fatal(err)
			}
			g.Resources = append(g.Resources, r)
		}
		return g
	}
	sc := func(s ...string) TokenGrant { return TokenGrant{Scopes: s} }
	later := nextWeek.Add(24 * time.Hour)
	cases := []struct {
		name          string
		child, parent TokenGrant
		childExpires  time.Time
		exceeds       []string // parts of the lines expected; none means allowed
	}{
		{"admin scope token mints write anywhere", res("alpha:write", "beta/s:write"), sc("channel:edit", "artifact:create"), nextWeek, nil},
		{"scope token with write scopes mints write", res("alpha:write"), sc("artifact:create"), nextWeek, nil},
		{"…but not manage", res("alpha:manage"), sc("artifact:create"), nextWeek, []string{"manage on alpha (the token holds write there)"}},
		{"token-only scope mints no channel access", res("alpha:read"), sc("user.token:edit"), nextWeek, []string{"read on alpha (the token holds none there)"}},
		{"scope subset", sc("artifact:download"), sc("artifact:download", "user.token:edit"), nextWeek, nil},
		{"scope not held", sc("channel:edit"), sc("user.token:edit"), nextWeek, []string{"channel:edit (the token does not hold it)"}},
		{"resources within", res("alpha:read", "beta/s:manage"), res("alpha:write", "beta/s:manage"), nextWeek, nil},
		{"subchannel of a covered channel", res("alpha/x:write"), res("alpha:write"), nextWeek, nil},
		{"resources above", res("alpha:manage"), res("alpha:write"), nextWeek, []string{"manage on alpha"}},
		{"whole channel from a subchannel", res("beta:read"), res("beta/s:manage"), nextWeek, []string{"read on beta (the token holds none there)"}},
		{"another subchannel", res("beta/t:read"), res("beta/s:manage"), nextWeek, []string{"read on beta/t"}},
		{"scopes from a resource token", sc("artifact:download"), res("alpha:manage"), nextWeek, []string{"artifact:download"}},
		{"longer life", res("alpha:read"), res("alpha:write"), later, []string{"a life past 2026-06-07"}},
		{"same life", res("alpha:read"), res("alpha:write"), nextWeek, nil},
	}
	for _, c := range cases {
		got := Exceeds(Token{Grant: c.child, ExpiresAt: c.childExpires}, Token{Grant: c.parent, ExpiresAt: nextWeek})
		if len(got) != len(c.exceeds) {
			t.Errorf("%s: %q, want %q", c.name, got, c.exceeds)
			continue
		}
		for i, want := range c.exceeds {
			if !strings.Contains(got[i], want) {
				t.Errorf("%s: %q does not say %q", c.name, got[i], want)
			}
		}
	}
	// Level by level, channel by channel: every resource pair against every
	// resource parent and every single-scope parent.
	var pairs []string
	for _, on := range []string{"c", "c/s", "c/t", "d"} {
		for _, l := range Levels {
			pairs = append(pairs, on+":"+l.String())
		}
	}
	for _, cp := range pairs {
		child := res(cp)
		cr := child.Resources[0]
		for _, pp := range pairs {
			pr := res(pp).Resources[0]
			ok := pr.Channel == cr.Channel && (pr.Sub == "" || pr.Sub == cr.Sub) && pr.Level >= cr.Level
			if got := len(Exceeds(Token{Grant: child, ExpiresAt: nextWeek}, Token{Grant: res(pp), ExpiresAt: nextWeek})) == 0; got != ok {
				t.Errorf("%s from %s: allowed %v, want %v", cp, pp, got, ok)
			}
		}
		for _, s := range Catalog {
			ok := s.CapsChannels && s.Level >= cr.Level
			if got := len(Exceeds(Token{Grant: child, ExpiresAt: nextWeek}, Token{Grant: sc(s.Name), ExpiresAt: nextWeek})) == 0; got != ok {
				t.Errorf("%s from scope %s: allowed %v, want %v", cp, s.Name, got, ok)
			}
		}
	}
	if !slices.ContainsFunc(Catalog, func(s Scope) bool { return s.CapsChannels }) {
		t.Fatal("no channel scopes in the catalog")
	}
}

// TestGroups states, case by case, what channel groups do: grants on a
// group reach its members, tokens on a group follow membership, and a
// group's own level follows the rule written at GroupLevel.
func TestGroups(t *testing.T) {
	ann := Subject{UserID: 7, Email: "ann@example.com", Roles: []string{RoleMember}, Teams: []string{"ops"}}
	bob := Subject{UserID: 8, Email: "bob@example.com", Roles: []string{RoleMember}}
	admin := Subject{UserID: 1, Email: "root@example.com", Roles: []string{RoleAdmin}}
	offAnn := ann
	offAnn.Disabled = true
	grp := func(name string, by map[Level]Grants) GroupGrants { return GroupGrants{Name: name, ByLevel: by} }
	readByOps := grp("g", map[Level]Grants{Read: {Teams: []string{"ops"}}})
	writeByAnn := grp("g", map[Level]Grants{Write: {Users: []string{"ANN@example.com"}}})
	manageByMember := grp("g", map[Level]Grants{Manage: {Roles: []string{RoleMember}}})
	inG := ChannelACL{Groups: []GroupGrants{readByOps}}
	chanCases := []struct {
		name string
		s    Subject
		acl  ChannelACL
		want Level
	}{
		{"a team's read on the group reaches a member channel", ann, inG, Read},
		{"nobody else", bob, inG, None},
		{"a user's write on the group", ann, ChannelACL{Groups: []GroupGrants{writeByAnn}}, Write},
		{"a role's manage on the group", bob, ChannelACL{Groups: []GroupGrants{manageByMember}}, Manage},
		{"the strongest of channel and group grants", ann, ChannelACL{ByLevel: map[Level]Grants{Write: {Teams: []string{"ops"}}}, Groups: []GroupGrants{readByOps}}, Write},
		{"the strongest of two groups", ann, ChannelACL{Groups: []GroupGrants{readByOps, writeByAnn}}, Write},
		{"a channel removed from the group loses its grants", ann, ChannelACL{}, None},
		{"a disabled person holds nothing through a group", offAnn, inG, None},
		{"a public channel in a group", bob, ChannelACL{Public: true, Groups: []GroupGrants{readByOps}}, Read},
	}
	for _, c := range chanCases {
		if got := ChannelLevel(c.s, c.acl); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}

	readC := ChannelACL{ByLevel: map[Level]Grants{Read: {Users: []string{"bob@example.com"}}}}
	manageC := ChannelACL{ByLevel: map[Level]Grants{Manage: {Users: []string{"bob@example.com"}}}}
	groupCases := []struct {
		name string
		s    Subject
		g    Group
		want Level
	}{
		{"admins manage every group", admin, Group{}, Manage},
		{"an empty group without grants: nothing", bob, Group{}, None},
		{"an empty group: its grants", ann, Group{ByLevel: readByOps.ByLevel}, Read},
		{"the weakest member level", bob, Group{Members: []ChannelACL{readC, manageC}}, Read},
		{"manage on every member is manage on the group", bob, Group{Members: []ChannelACL{manageC, manageC}}, Manage},
		{"one unreadable member: nothing", bob, Group{Members: []ChannelACL{manageC, {}}}, None},
		{"the group's grant when it is higher", ann, Group{ByLevel: writeByAnn.ByLevel, Members: []ChannelACL{{Groups: []GroupGrants{writeByAnn}}}}, Write},
		{"a grant on the group reaches every member, so the group", ann, Group{ByLevel: readByOps.ByLevel, Members: []ChannelACL{inG, inG}}, Read},
		{"disabled", offAnn, Group{ByLevel: readByOps.ByLevel}, None},
		{"anonymous", Subject{}, Group{Members: []ChannelACL{{Public: true}}}, None},
	}
	for _, c := range groupCases {
		if got := GroupLevel(c.s, c.g); got != c.want {
			t.Errorf("group: %s: %s, want %s", c.name, got, c.want)
		}
	}

	// Tokens on groups follow membership at every decision.
	res := func(path, level string) *Token {
		r, err := ParseResource(path, level)
		if err != nil {
			t.Fatal(err)
		}
		return &Token{Grant: TokenGrant{Resources: []Resource{r}}, ExpiresAt: nextWeek}
	}
	managed := ChannelACL{ByLevel: map[Level]Grants{Manage: {Teams: []string{"ops"}}}}
	member := managed
	member.Groups = []GroupGrants{{Name: "g"}}
	member.SubGroups = map[string][]string{"s": {"sg"}, "t": {"other"}}
	tokCases := []struct {
		name     string
		tok      *Token
		sub      string
		acl      ChannelACL
		want     Level
		wantWith Level // DecideWithin
	}{
		{"a group token reaches a member", res("group:g", "write"), "", member, Write, Write},
		{"…and its subchannels", res("group:g", "read"), "s", member, Read, Read},
		{"…not a channel outside the group (or removed)", res("group:g", "manage"), "", managed, None, None},
		{"…capped by the owner", res("group:g", "manage"), "", ChannelACL{ByLevel: map[Level]Grants{Read: {Teams: []string{"ops"}}}, Groups: []GroupGrants{{Name: "g"}}}, Read, Read},
		{"a subchannel-group token reaches a member subchannel", res("c/group:sg", "write"), "s", member, Write, Write},
		{"…not another subchannel", res("c/group:sg", "write"), "t", member, None, Write},
		{"…not the channel itself", res("c/group:sg", "write"), "", member, None, Write},
		{"…not the same group name on another channel", res("d/group:sg", "write"), "s", member, None, None},
		{"a group token on another group", res("group:h", "read"), "", member, None, None},
	}
	for _, c := range tokCases {
		a := Actor{Subject: ann, Token: c.tok, At: decideNow}
		if got := Decide(a, "artifact:create", ChannelTarget("c", c.sub, c.acl)); got != c.want {
			t.Errorf("token: %s: %s, want %s", c.name, got, c.want)
		}
		if got := DecideWithin(a, "artifact:create", ChannelTarget("c", "", c.acl)); got != c.wantWith {
			t.Errorf("token within: %s: %s, want %s", c.name, got, c.wantWith)
		}
	}
	// A resource token never acts on a group itself; a scope token acts
	// there through the group scopes only.
	g := Group{Members: []ChannelACL{managed}}
	a := Actor{Subject: ann, Token: res("group:g", "manage"), At: decideNow}
	if got := Decide(a, "channel.group:view", GroupTarget(g)); got != None {
		t.Errorf("a resource token on the group itself: %s", got)
	}
	a.Token = &Token{Grant: TokenGrant{Scopes: []string{"channel.group:view"}}, ExpiresAt: nextWeek}
	if got := Decide(a, "channel.group:view", GroupTarget(g)); got != Read {
		t.Errorf("a view-scope token on a managed group: %s", got)
	}
	if got := Decide(a, "channel.group:edit", GroupTarget(g)); got != None {
		t.Errorf("a view-scope token editing: %s", got)
	}
}

// TestGroupResources walks the syntax of group pairs and the escalation
// checks on them.
func TestGroupResources(t *testing.T) {
	for _, c := range []struct{ in, path, channel, sub, group string }{
		{"group:g", "group:g", "", "", "g"},
		{" c/group:sg ", "c/group:sg", "c", "", "sg"},
		{"c/s", "c/s", "c", "s", ""},
	} {
		r, err := ParseResource(c.in, "read")
		if err != nil || r.Path() != c.path || r.Channel != c.channel || r.Sub != c.sub || r.Group != c.group {
			t.Errorf("%q: %+v %v", c.in, r, err)
		}
	}
	for _, bad := range []string{"group:", "group:a/b", "group:a:b", "c/group:", "c/group:a:b", "c:d", "c/s:t", "group:g/"} {
		if r, err := ParseResource(bad, "read"); err == nil {
			t.Errorf("%q parsed as %+v", bad, r)
		}
	}
	g := func(paths ...string) TokenGrant {
		var out TokenGrant
		for _, p := range paths {
			path, level, _ := strings.Cut(p, "=")
			r, err := ParseResource(path, level)
			if err != nil {
				t.Fatal(err)
			}
			out.Resources = append(out.Resources, r)
		}
		return out
	}
	if err := g("group:g=read", "group:g=write").Validate(); err == nil {
		t.Error("a group listed twice")
	}
	if err := g("group:g=read", "c/group:g=write", "g=read").Validate(); err != nil {
		t.Errorf("a channel group, a subchannel group and a channel of one name: %v", err)
	}
	// Exceeds: a group pair needs the same pair (or a scope token's level).
	for _, c := range []struct {
		child, parent TokenGrant
		ok            bool
	}{
		{g("group:g=read"), g("group:g=write"), true},
		{g("group:g=manage"), g("group:g=write"), false},
		{g("group:g=read"), g("group:h=manage"), false},
		{g("group:g=read"), g("g=manage"), false},
		{g("c/group:sg=read"), g("c=manage"), false},
		{g("c/group:sg=read"), g("c/group:sg=read"), true},
		{g("c=read"), g("group:g=manage"), false},
		{g("group:g=write"), TokenGrant{Scopes: []string{"artifact:create"}}, true},
		{g("group:g=manage"), TokenGrant{Scopes: []string{"artifact:create"}}, false},
	} {
		got := len(Exceeds(Token{Grant: c.child, ExpiresAt: nextWeek}, Token{Grant: c.parent, ExpiresAt: nextWeek})) == 0
		if got != c.ok {
			t.Errorf("%v from %v: allowed %v", c.child.Resources, c.parent, got)
		}
	}
	// Missing: the owner's level on the group.
	h := Holdings{Channels: map[string]Level{"c": Manage}, Groups: map[string]Level{"group:g": Read, "c/group:sg": Manage}}
	if m := Missing(g("group:g=read", "c/group:sg=manage"), h); len(m) != 0 {
		t.Errorf("held: %v", m)
	}
	if m := Missing(g("group:g=write"), h); len(m) != 1 || !strings.Contains(m[0], "write on group:g (you hold read)") {
		t.Errorf("above: %v", m)
	}
	if m := Missing(g("group:h=read"), h); len(m) != 1 {
		t.Errorf("unknown group: %v", m)
	}
}
