package access

import (
	"fmt"
	"slices"
	"testing"
)

func TestExplainChannel(t *testing.T) {
	ann := Subject{UserID: 7, Email: "Ann@Example.com", Roles: []string{RoleMember, "Ops-Role"}, Teams: []string{"ops", "data"}}
	admin := Subject{UserID: 1, Email: "root@example.com", Roles: []string{RoleAdmin, RoleMember}}
	acl := ChannelACL{ByLevel: map[Level]Grants{
		Read:   {Roles: []string{RoleMember}, Teams: []string{"data"}},
		Write:  {Teams: []string{"ops"}, Users: []string{"ann@example.com"}},
		Manage: {Users: []string{"someone@example.com"}},
	}}
	tests := []struct {
		name  string
		s     Subject
		acl   ChannelACL
		level Level
		via   []Via
	}{
		{"strongest grants only, every one of them", ann, acl, Write, []Via{{ViaTeam, "ops"}, {ViaDirect, "ann@example.com"}}},
		{"admin, plus a grant at manage", admin, ChannelACL{ByLevel: map[Level]Grants{Manage: {Users: []string{"ROOT@example.com"}}}}, Manage, []Via{{ViaAdmin, RoleAdmin}, {ViaDirect, "root@example.com"}}},
		{"admin without grants", admin, ChannelACL{}, Manage, []Via{{ViaAdmin, RoleAdmin}}},
		{"role", ann, ChannelACL{ByLevel: map[Level]Grants{Read: {Roles: []string{"Ops-Role"}}}}, Read, []Via{{ViaRole, "Ops-Role"}}},
		{"public only", ann, ChannelACL{Public: true}, Read, []Via{{ViaPublic, "public channel"}}},
		{"public and a read grant", ann, ChannelACL{Public: true, ByLevel: map[Level]Grants{Read: {Teams: []string{"data"}}}}, Read, []Via{{ViaTeam, "data"}, {ViaPublic, "public channel"}}},
		{"a grant above public", ann, ChannelACL{Public: true, ByLevel: map[Level]Grants{Manage: {Teams: []string{"data"}}}}, Manage, []Via{{ViaTeam, "data"}}},
		{"nothing", ann, ChannelACL{ByLevel: map[Level]Grants{Manage: {Teams: []string{"other"}}}}, None, nil},
		{"disabled", Subject{UserID: 9, Email: "ann@example.com", Roles: []string{RoleAdmin}, Disabled: true}, acl, None, nil},
		{"anonymous on a public channel", Subject{}, ChannelACL{Public: true}, Read, []Via{{ViaPublic, "public channel"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, via := Explain(tt.s, ChannelTarget("c", "", tt.acl))
			if level != tt.level || !slices.Equal(via, tt.via) {
				t.Errorf("Explain = %s %v, want %s %v", level, via, tt.level, tt.via)
			}
		})
	}
}

func TestExplainPage(t *testing.T) {
	read := Grants{Roles: []string{RoleMember}, Teams: []string{"Team 1"}, Users: []string{"E@X.io"}}
	tests := []struct {
		name  string
		s     Subject
		level Level
		via   []Via
	}{
		{"admin", Subject{UserID: 1, Email: "a@x.io", Roles: []string{RoleAdmin}}, Manage, []Via{{ViaAdmin, RoleAdmin}}},
		{"admin also named: read grants do not give manage", Subject{UserID: 1, Email: "e@x.io", Roles: []string{RoleAdmin, RoleMember}}, Manage, []Via{{ViaAdmin, RoleAdmin}}},
		{"three ways", Subject{UserID: 2, Email: "e@x.io", Roles: []string{RoleMember}, Teams: []string{"Team 1"}}, Read, []Via{{ViaRole, RoleMember}, {ViaTeam, "Team 1"}, {ViaDirect, "e@x.io"}}},
		{"not named", Subject{UserID: 3, Email: "n@x.io", Roles: []string{"Guest"}}, None, nil},
		{"disabled", Subject{UserID: 4, Email: "e@x.io", Roles: []string{RoleMember}, Disabled: true}, None, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level, via := Explain(tt.s, PageTarget(read))
			if level != tt.level || !slices.Equal(via, tt.via) {
				t.Errorf("Explain = %s %v, want %s %v", level, via, tt.level, tt.via)
			}
		})
	}
}

// TestExplainAgreesWithTheEngine: over every combination of who is named at
// which level, Explain's level is OwnLevel's, and a person has a reason
// exactly when they have access.
func TestExplainAgreesWithTheEngine(t *testing.T) {
	subjects := []Subject{
		{},
		{UserID: 1, Email: "a@x.io", Roles: []string{RoleAdmin}},
		{UserID: 2, Email: "m@x.io", Roles: []string{RoleMember}, Teams: []string{"t"}},
		{UserID: 3, Email: "m@x.io", Roles: []string{RoleMember}, Teams: []string{"t"}, Disabled: true},
	}
	// Each of role, team and user may be named at none or one of the levels.
	for mask := range 64 {
		acl := ChannelACL{Public: mask&1 != 0, ByLevel: map[Level]Grants{}}
		for i, who := range []string{"role", "team", "user"} {
			l := Level((mask >> (1 + 2*i)) & 3)
			if who == "user" && mask&1 != 0 {
				l = Level((mask >> 5) & 1) // keep the count at 64
			}
			if l == None {
				continue
			}
			g := acl.ByLevel[l]
			switch who {
			case "role":
				g.Roles = append(g.Roles, RoleMember)
			case "team":
				g.Teams = append(g.Teams, "t")
			case "user":
				g.Users = append(g.Users, "M@X.IO")
			}
			acl.ByLevel[l] = g
		}
		for _, s := range subjects {
			for _, target := range []Target{ChannelTarget("c", "", acl), PageTarget(acl.ByLevel[Read])} {
				t.Run(fmt.Sprintf("%d/%d/%s", mask, s.UserID, target.Kind), func(t *testing.T) {
					level, via := Explain(s, target)
					if own := OwnLevel(s, "", target); level != own {
						t.Fatalf("Explain level %s, OwnLevel %s", level, own)
					}
					if (len(via) > 0) != (level > None) {
						t.Fatalf("level %s with reasons %v", level, via)
					}
				})
			}
		}
	}
}

// TestExplainGroup: a level held through a channel group names the group
// and the grant on it.
func TestExplainGroup(t *testing.T) {
	s := Subject{UserID: 3, Email: "ann@example.com", Roles: []string{RoleMember}, Teams: []string{"ops"}}
	acl := ChannelACL{Groups: []GroupGrants{{Name: "g", ByLevel: map[Level]Grants{Write: {Teams: []string{"ops"}}}}}}
	level, via := Explain(s, ChannelTarget("c", "", acl))
	if level != Write || len(via) != 1 || via[0] != (Via{Kind: ViaGroup, Name: "g (team ops)"}) {
		t.Fatalf("%s %v", level, via)
	}
}
