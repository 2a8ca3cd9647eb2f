package access

import (
	"fmt"
	"strings"
	"testing"
)

func TestCatalogMatchesSeedTable(t *testing.T) {
	// Every scope of the seed's table with the level it gives, plus Gatehouse's own.
	want := map[string]Level{
		"artifact:create": Write, "artifact:delete": Manage, "artifact:download": Read, "artifact:edit": Manage, "artifact:view": Read,
		"channel:create": Write, "channel:delete": Manage, "channel:edit": Manage, "channel:history": Manage, "channel:view": Read,
		"channel:view-artifacts": Read, "channel.default-channel:edit": Manage, "channel.group:edit": Manage, "channel.group:view": Read,
		"channel.mirror:edit": Manage, "channel.mirror:view": Manage, "subchannel:create": Manage, "subchannel:delete": Manage,
		"subchannel:edit": Manage, "subchannel:history": Manage, "subchannel:view": Read, "subchannel:view-artifacts": Read,
		"subchannel.group:edit": Manage, "subchannel.group:view": Read, "subchannel.mirror:edit": Manage, "subchannel.mirror:view": Manage,
		"mirror:view": Manage, "system.license:edit": Manage, "system.license:view": Manage, "cve:edit": Manage, "cve:view": Read,
		"role:edit": Manage, "role:view": Read, "system.settings:edit": Manage, "system:delete-blobs": Manage,
		"user.token:edit": Manage, "user.token:view": Manage,
		"page:view": Read, "page:edit": Manage, "audit:view": Manage, "user:view": Read, "user:edit": Manage, "team:view": Read, "team:edit": Manage,
	}
	if len(Catalog) != len(want) {
		t.Fatalf("catalog has %d scopes, want %d", len(Catalog), len(want))
	}
	for _, s := range Catalog {
		if l, ok := want[s.Name]; !ok || l != s.Level {
			t.Errorf("%s: level %s, want %s (known %v)", s.Name, s.Level, l, ok)
		}
		if s.Category == "" {
			t.Errorf("%s has no category", s.Name)
		}
	}
	cats := Categories()
	if cats[0].Name != CatArtifacts || len(cats[0].Scopes) != 5 || cats[len(cats)-1].Name != CatTeams {
		t.Errorf("categories out of order: %+v", cats)
	}
}

func TestValidateGrant(t *testing.T) {
	r := Resource{Channel: "c", Level: Read}
	tests := []struct {
		name string
		g    TokenGrant
		want string // substring of the error, "" for none
	}{
		{"resources", TokenGrant{Resources: []Resource{r}}, ""},
		{"scopes", TokenGrant{Scopes: []string{"channel:view"}}, ""},
		{"both", TokenGrant{Resources: []Resource{r}, Scopes: []string{"channel:view"}}, "both resources and scopes"},
		{"neither", TokenGrant{}, "at least one"},
		{"unknown scope", TokenGrant{Scopes: []string{"channel:view", "channel:fly", "x"}}, `Unknown scope: "channel:fly", "x"`},
		{"scope twice", TokenGrant{Scopes: []string{"channel:view", "channel:view"}}, "twice"},
		{"resource twice", TokenGrant{Resources: []Resource{r, r}}, "twice"},
		{"no level", TokenGrant{Resources: []Resource{{Channel: "c"}}}, "needs a level"},
		{"too many", TokenGrant{Resources: make([]Resource, MaxTokenResources+1)}, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.g.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseResource(t *testing.T) {
	for in, want := range map[string]string{"chan": "chan", "chan/sub": "chan/sub", " chan ": "chan"} {
		r, err := ParseResource(in, "write")
		if err != nil || r.Path() != want || r.Level != Write {
			t.Errorf("ParseResource(%q) = %+v, %v", in, r, err)
		}
	}
	for _, in := range []string{"", "/sub", "chan/", "a/b/c"} {
		if _, err := ParseResource(in, "read"); err == nil {
			t.Errorf("ParseResource(%q) accepted", in)
		}
	}
	if _, err := ParseResource("chan", "admin"); err == nil {
		t.Error("level admin accepted")
	}
}

// TestTokenChannelLevel walks token type × grant level × the place asked
// about (the channel, its subchannel, another subchannel, another channel) ×
// the owner's own level, against an independent statement of the rule.
func TestTokenChannelLevel(t *testing.T) {
	type place struct{ channel, sub string }
	places := []place{{"c", ""}, {"c", "s"}, {"c", "other"}, {"d", ""}, {"d", "s"}}
	owners := []Level{None, Read, Write, Manage}
	n := 0
	// Resource tokens: on the channel, or on one subchannel.
	for _, on := range []place{{"c", ""}, {"c", "s"}} {
		for _, lvl := range Levels {
			g := TokenGrant{Resources: []Resource{{Channel: on.channel, Sub: on.sub, Level: lvl}}}
			for _, p := range places {
				covered := p.channel == on.channel && (on.sub == "" || p.sub == on.sub)
				for _, owner := range owners {
					want := None
					if covered {
						want = min(owner, lvl)
					}
					if got := g.ChannelLevel(owner, p.channel, p.sub); got != want {
						t.Errorf("resource %s:%s at %s/%s, owner %s: got %s, want %s", on.channel+"/"+on.sub, lvl, p.channel, p.sub, owner, got, want)
					}
					n++
				}
				if g.Covers(p.channel) != (p.channel == on.channel) {
					t.Errorf("Covers(%s) wrong for %+v", p.channel, on)
				}
			}
		}
	}
	// Scope tokens: every scope alone, on every place, for every owner level.
	for _, s := range Catalog {
		g := TokenGrant{Scopes: []string{s.Name}}
		cat := s.Category
		caps := cat == CatArtifacts || cat == CatChannels || cat == CatSubchannels
		for _, p := range places {
			for _, owner := range owners {
				want := None
				if caps {
					want = min(owner, s.Level)
				}
				if got := g.ChannelLevel(owner, p.channel, p.sub); got != want {
					t.Errorf("scope %s at %s/%s, owner %s: got %s, want %s", s.Name, p.channel, p.sub, owner, got, want)
				}
				n++
			}
		}
		if !g.HasScope(s.Name) || g.HasScope(s.Name+"x") {
			t.Errorf("HasScope wrong for %s", s.Name)
		}
	}
	// Two resources on one channel: the stronger applies where it covers.
	g := TokenGrant{Resources: []Resource{{Channel: "c", Level: Read}, {Channel: "c", Sub: "s", Level: Manage}}}
	if g.ChannelLevel(Manage, "c", "s") != Manage || g.ChannelLevel(Manage, "c", "") != Read || g.ChannelLevel(Write, "c", "s") != Write {
		t.Error("overlapping resources combined wrongly")
	}
	// Mixed scopes: the highest channel scope wins; a view scope never lifts it.
	g = TokenGrant{Scopes: []string{"artifact:download", "artifact:create", "user:edit"}}
	if g.ChannelLevel(Manage, "c", "") != Write {
		t.Error("scope cap should be write")
	}
	t.Logf("%d combinations", n)
}

// TestMissing walks token type × level × the owner's holdings (admin, member
// with each level on the channel, member with nothing) for the escalation check.
func TestMissing(t *testing.T) {
	type owner struct {
		name string
		h    Holdings
	}
	var owners []owner
	owners = append(owners, owner{"admin", Holdings{Admin: true, Channels: map[string]Level{}}})
	for _, l := range []Level{None, Read, Write, Manage} {
		owners = append(owners, owner{"member-" + l.String(), Holdings{Channels: map[string]Level{"c": l, "d": None}}})
	}
	for _, o := range owners {
		for _, lvl := range Levels {
			for _, path := range []string{"c", "c/s", "d"} {
				r, _ := ParseResource(path, lvl.String())
				have := o.h.Channels[r.Channel]
				if o.h.Admin {
					have = Manage
				}
				got := Missing(TokenGrant{Resources: []Resource{r}}, o.h)
				if (len(got) == 0) != (have >= lvl) {
					t.Errorf("%s asking %s on %s: missing %v", o.name, lvl, path, got)
				}
				if len(got) > 0 && !strings.Contains(got[0], fmt.Sprintf("%s on %s", lvl, path)) {
					t.Errorf("message %q does not name %s on %s", got[0], lvl, path)
				}
			}
		}
		for _, s := range Catalog {
			got := Missing(TokenGrant{Scopes: []string{s.Name}}, o.h)
			var ok bool
			switch {
			case o.h.Admin || s.Audience == AnyUser:
				ok = true
			case s.Audience == AdminOnly:
				ok = false
			default:
				ok = o.h.Channels["c"] >= s.Level
			}
			if (len(got) == 0) != ok {
				t.Errorf("%s asking %s: missing %v, want allowed=%v", o.name, s.Name, got, ok)
			}
			if len(got) > 0 && !strings.HasPrefix(got[0], s.Name) {
				t.Errorf("message %q does not name %s", got[0], s.Name)
			}
		}
	}
}

// TestMayDo walks every channel-related action (scope × its level) for
// resource and scope tokens of every level, at the channel and its
// subchannels, for every level the owner may hold.
func TestMayDo(t *testing.T) {
	type place struct{ channel, sub string }
	places := []place{{"c", ""}, {"c", "s"}, {"c", "t"}, {"d", ""}}
	var grants []TokenGrant
	for _, l := range Levels {
		grants = append(grants, TokenGrant{Resources: []Resource{{Channel: "c", Level: l}}}, TokenGrant{Resources: []Resource{{Channel: "c", Sub: "s", Level: l}}})
	}
	for _, s := range Catalog {
		if s.CapsChannels {
			grants = append(grants, TokenGrant{Scopes: []string{s.Name}})
		}
	}
	n := 0
	for _, g := range grants {
		for _, action := range Catalog {
			if !action.CapsChannels {
				continue
			}
			for _, p := range places {
				for _, owner := range []Level{None, Read, Write, Manage} {
					// The rule, stated independently.
					var want bool
					if g.Kind() == KindScopes {
						want = g.Scopes[0] == action.Name && owner >= action.Level
					} else {
						r := g.Resources[0]
						covers := p.channel == r.Channel && (r.Sub == "" || r.Sub == p.sub)
						want = covers && r.Level >= action.Level && owner >= action.Level
					}
					if got := g.MayDo(action.Name, action.Level, owner, p.channel, p.sub); got != want {
						t.Errorf("%+v doing %s at %s/%s with owner %s: got %v", g, action.Name, p.channel, p.sub, owner, got)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d combinations", n)
}

func TestBeyond(t *testing.T) {
	scopeParent := TokenGrant{Scopes: []string{"user.token:edit", "artifact:delete"}}
	resParent := TokenGrant{Resources: []Resource{{Channel: "alpha", Level: Write}, {Channel: "beta", Sub: "s", Level: Manage}}}
	tests := []struct {
		name          string
		child, parent TokenGrant
		beyond        bool
	}{
		{"scope subset", TokenGrant{Scopes: []string{"artifact:delete"}}, scopeParent, false},
		{"scope not held", TokenGrant{Scopes: []string{"channel:edit"}}, scopeParent, true},
		// A resource token can do every channel action its level allows; a
		// scope token holds only the actions it names, so it cannot mint one.
		{"resources from a scope token", TokenGrant{Resources: []Resource{{Channel: "alpha", Level: Read}}}, scopeParent, true},
		{"resources within", TokenGrant{Resources: []Resource{{Channel: "alpha", Level: Read}, {Channel: "beta", Sub: "s", Level: Manage}}}, resParent, false},
		{"resources above", TokenGrant{Resources: []Resource{{Channel: "alpha", Level: Manage}}}, resParent, true},
		{"whole channel from a subchannel", TokenGrant{Resources: []Resource{{Channel: "beta", Level: Read}}}, resParent, true},
		{"scopes from a resource token", TokenGrant{Scopes: []string{"artifact:download"}}, resParent, true},
	}
	for _, tt := range tests {
		if got := len(Beyond(tt.child, tt.parent)) > 0; got != tt.beyond {
			t.Errorf("%s: beyond %v, want %v (%v)", tt.name, got, tt.beyond, Beyond(tt.child, tt.parent))
		}
	}
}
