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
		"metrics:view": Manage,
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
	if cats[0].Name != CatArtifacts || len(cats[0].Scopes) != 5 || cats[len(cats)-1].Name != CatMetrics {
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
