package access

import (
	"fmt"
	"testing"
)

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]Level{"read": Read, "WRITE": Write, " manage ": Manage} {
		got, err := ParseLevel(in)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "admin", "none", "rw"} {
		if _, err := ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q) accepted", in)
		}
	}
	if !(None < Read && Read < Write && Write < Manage) {
		t.Fatal("levels are not ordered")
	}
}

// Each source of a grant (role, team, user, admin, public) at each level.
func TestChannelLevelBySource(t *testing.T) {
	alice := Subject{UserID: 1, Email: "alice@example.com", Roles: []string{RoleMember, "Services-Moderator"}, Teams: []string{"Team 1"}}
	admin := Subject{UserID: 2, Email: "root@example.com", Roles: []string{RoleAdmin}}
	disabledAdmin := admin
	disabledAdmin.Disabled = true
	disabledAlice := alice
	disabledAlice.Disabled = true
	anon := Subject{}

	sources := map[string]Grants{
		"role":   {Roles: []string{"Services-Moderator"}},
		"team":   {Teams: []string{"Team 1"}},
		"user":   {Users: []string{"ALICE@example.com"}},
		"other":  {Roles: []string{"Other"}, Users: []string{"bob@example.com"}, Teams: []string{"Team 2"}},
		"nobody": {},
	}
	for srcName, g := range sources {
		for _, lvl := range Levels {
			for _, public := range []bool{false, true} {
				acl := ChannelACL{Public: public, ByLevel: map[Level]Grants{lvl: g}}
				name := fmt.Sprintf("%s/%s/public=%v", srcName, lvl, public)
				t.Run(name, func(t *testing.T) {
					want := None
					if srcName == "role" || srcName == "team" || srcName == "user" {
						want = lvl
					}
					if public && want < Read {
						want = Read
					}
					if got := ChannelLevel(alice, acl); got != want {
						t.Errorf("alice: got %v want %v", got, want)
					}
					if got := ChannelLevel(admin, acl); got != Manage {
						t.Errorf("admin: got %v want manage", got)
					}
					wantAnon := None
					if public {
						wantAnon = Read
					}
					if got := ChannelLevel(anon, acl); got != wantAnon {
						t.Errorf("anonymous: got %v want %v", got, wantAnon)
					}
					if got := ChannelLevel(disabledAlice, acl); got != None {
						t.Errorf("disabled user: got %v want none", got)
					}
					if got := ChannelLevel(disabledAdmin, acl); got != None {
						t.Errorf("disabled admin: got %v want none", got)
					}
				})
			}
		}
	}
}

func TestChannelLevelTakesStrongestGrant(t *testing.T) {
	s := Subject{UserID: 1, Email: "a@example.com", Roles: []string{RoleMember}, Teams: []string{"ops"}}
	acl := ChannelACL{ByLevel: map[Level]Grants{
		Read:   {Roles: []string{RoleMember}},
		Write:  {Teams: []string{"ops"}},
		Manage: {Users: []string{"someone@example.com"}},
	}}
	if got := ChannelLevel(s, acl); got != Write {
		t.Fatalf("got %v want write", got)
	}
}

func TestCanReadPage(t *testing.T) {
	member := Subject{UserID: 1, Email: "m@example.com", Roles: []string{RoleMember}, Teams: []string{"Team 1"}}
	admin := Subject{UserID: 2, Email: "a@example.com", Roles: []string{RoleAdmin}}
	cases := []struct {
		name string
		s    Subject
		read Grants
		want bool
	}{
		{"member by role", member, Grants{Roles: []string{"Admin", "Member"}}, true},
		{"member not listed", member, Grants{Roles: []string{"Admin"}}, false},
		{"member by team", member, Grants{Teams: []string{"Team 1"}}, true},
		{"member by email, any case", member, Grants{Users: []string{"M@Example.com"}}, true},
		{"admin always", admin, Grants{}, true},
		{"anonymous never", Subject{}, Grants{Roles: []string{"Member"}}, false},
		{"disabled never", Subject{UserID: 3, Email: "d@example.com", Roles: []string{"Member"}, Disabled: true}, Grants{Roles: []string{"Member"}}, false},
	}
	for _, c := range cases {
		if got := CanReadPage(c.s, c.read); got != c.want {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
		}
	}
}

func TestGrantsPatchApply(t *testing.T) {
	list := func(s ...string) *[]string { return &s }
	base := Grants{Roles: []string{"Admin", "Member"}, Users: []string{}, Teams: []string{}}
	cases := []struct {
		name  string
		patch GrantsPatch
		want  Grants
	}{
		{"empty patch changes nothing", GrantsPatch{}, base},
		{"add a role", GrantsPatch{Roles: list("Admin", "Member", "Services-Moderator")}, Grants{Roles: []string{"Admin", "Member", "Services-Moderator"}, Users: []string{}, Teams: []string{}}},
		{"remove a role", GrantsPatch{Roles: list("Admin")}, Grants{Roles: []string{"Admin"}, Users: []string{}, Teams: []string{}}},
		{"users only keeps roles", GrantsPatch{Users: list("exampleUser1@example.com", "exampleUser2@example.com")}, Grants{Roles: []string{"Admin", "Member"}, Users: []string{"exampleuser1@example.com", "exampleuser2@example.com"}, Teams: []string{}}},
		{"teams only keeps roles", GrantsPatch{Teams: list("Team 1", "Team 2")}, Grants{Roles: []string{"Admin", "Member"}, Users: []string{}, Teams: []string{"Team 1", "Team 2"}}},
		{"empty list clears", GrantsPatch{Roles: list()}, Grants{Roles: []string{}, Users: []string{}, Teams: []string{}}},
		{"repeats and blanks dropped", GrantsPatch{Roles: list("Admin", " Admin ", "", "Member")}, base},
	}
	for _, c := range cases {
		got := c.patch.Apply(base)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: got %v want %v", c.name, got, c.want)
		}
	}
}

func TestEveryScopeIsDescribed(t *testing.T) {
	for _, s := range Catalog {
		if s.Description() == "" {
			t.Errorf("scope %s has no description", s.Name)
		}
	}
	if len(scopeText) != len(Catalog) {
		t.Errorf("%d descriptions for %d scopes", len(scopeText), len(Catalog))
	}
}
