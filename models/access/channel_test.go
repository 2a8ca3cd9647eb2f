package access

import (
	"fmt"
	"testing"
)

// TestChannelLevel walks every level × every grant source.
func TestChannelLevel(t *testing.T) {
	member := Subject{UserID: 7, Email: "Ann@Example.com", Roles: []string{RoleMember, "Ops-Role"}, Teams: []string{"ops"}}
	sources := map[string]func(Level) (Subject, ChannelACL){
		"role": func(l Level) (Subject, ChannelACL) {
			return member, ChannelACL{ByLevel: map[Level]Grants{l: {Roles: []string{"Ops-Role"}}}}
		},
		"team": func(l Level) (Subject, ChannelACL) {
			return member, ChannelACL{ByLevel: map[Level]Grants{l: {Teams: []string{"ops"}}}}
		},
		"user": func(l Level) (Subject, ChannelACL) {
			return member, ChannelACL{ByLevel: map[Level]Grants{l: {Users: []string{"ann@example.com"}}}}
		},
	}
	for name, src := range sources {
		for _, l := range Levels {
			t.Run(fmt.Sprintf("%s grants %s", name, l), func(t *testing.T) {
				s, acl := src(l)
				if got := ChannelLevel(s, acl); got != l {
					t.Errorf("level = %s, want %s", got, l)
				}
				if got := ChannelLevel(Subject{}, acl); got != None {
					t.Errorf("anonymous gets %s from a %s grant", got, name)
				}
				s.Disabled = true
				if got := ChannelLevel(s, acl); got != None {
					t.Errorf("disabled subject gets %s", got)
				}
				other := Subject{UserID: 8, Email: "bob@example.com", Roles: []string{RoleMember}, Teams: []string{"dev"}}
				if got := ChannelLevel(other, acl); got != None {
					t.Errorf("unrelated subject gets %s", got)
				}
				acl.Public = true
				if got := ChannelLevel(other, acl); got != Read {
					t.Errorf("public channel gives an unrelated subject %s, want read", got)
				}
			})
		}
	}
	t.Run("strongest grant wins", func(t *testing.T) {
		acl := ChannelACL{ByLevel: map[Level]Grants{Read: {Teams: []string{"ops"}}, Manage: {Users: []string{"ann@example.com"}}, Write: {Roles: []string{RoleMember}}}}
		if got := ChannelLevel(member, acl); got != Manage {
			t.Errorf("level = %s, want manage", got)
		}
	})
	t.Run("admin", func(t *testing.T) {
		admin := Subject{UserID: 1, Email: "root@example.com", Roles: []string{RoleAdmin}}
		for _, acl := range []ChannelACL{{}, {Public: true}, {ByLevel: map[Level]Grants{Read: {Users: []string{"root@example.com"}}}}} {
			if got := ChannelLevel(admin, acl); got != Manage {
				t.Errorf("admin level = %s, want manage", got)
			}
		}
		admin.Disabled = true
		if got := ChannelLevel(admin, ChannelACL{}); got != None {
			t.Errorf("disabled admin gets %s", got)
		}
	})
	t.Run("public", func(t *testing.T) {
		for _, s := range []Subject{{}, member} {
			if got := ChannelLevel(s, ChannelACL{Public: true}); got != Read {
				t.Errorf("%+v on a public channel: %s, want read", s, got)
			}
			if got := ChannelLevel(s, ChannelACL{}); got != None {
				t.Errorf("%+v on a private channel: %s, want none", s, got)
			}
		}
		acl := ChannelACL{Public: true, ByLevel: map[Level]Grants{Write: {Teams: []string{"ops"}}}}
		if got := ChannelLevel(member, acl); got != Write {
			t.Errorf("grant above public read: %s, want write", got)
		}
	})
}

func TestLevelOrderAndParse(t *testing.T) {
	if !(None < Read && Read < Write && Write < Manage) {
		t.Fatal("levels out of order")
	}
	for _, l := range Levels {
		got, err := ParseLevel(l.Title())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.Title(), got, err)
		}
	}
	if _, err := ParseLevel("owner"); err == nil {
		t.Error("owner parsed")
	}
}
