// Package access is Gatehouse's permission engine: ordered levels, who a
// grant names, and what a subject may do. It is pure code — no HTTP, no
// database — so every rule is decided here and table-tested.
package access

import (
	"fmt"
	"slices"
	"strings"
)

// Level is an ordered access level; compare with >=.
type Level int

// Levels, weakest first.
const (
	None Level = iota
	Read
	Write
	Manage
)

// Levels lists the grantable levels in order.
var Levels = []Level{Read, Write, Manage}

// LevelNames lists the grantable levels by name, in order.
func LevelNames() []string {
	out := make([]string, len(Levels))
	for i, l := range Levels {
		out[i] = l.String()
	}
	return out
}

func (l Level) String() string {
	switch l {
	case Read:
		return "read"
	case Write:
		return "write"
	case Manage:
		return "manage"
	}
	return "none"
}

// Title is the level as the UI shows it.
func (l Level) Title() string {
	s := l.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// ParseLevel reads "read", "write" or "manage" (any case).
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "read":
		return Read, nil
	case "write":
		return Write, nil
	case "manage":
		return Manage, nil
	}
	return None, fmt.Errorf("Unknown level %q (want read, write or manage)", s)
}

// Built-in role names.
const (
	RoleAdmin  = "Admin"
	RoleMember = "Member"
)

// Subject is a signed-in person as the engine sees them. The zero value (no
// UserID) is an anonymous visitor.
type Subject struct {
	UserID   uint
	Email    string
	Roles    []string
	Teams    []string
	Disabled bool
}

// Anonymous reports whether nobody is signed in.
func (s Subject) Anonymous() bool { return s.UserID == 0 }

// IsAdmin reports whether the subject holds the Admin role and is active.
func (s Subject) IsAdmin() bool {
	return !s.Anonymous() && !s.Disabled && slices.Contains(s.Roles, RoleAdmin)
}

// Grants names who holds something: roles and teams by name, users by email.
type Grants struct {
	Roles []string `json:"roles"`
	Users []string `json:"users"`
	Teams []string `json:"teams"`
}

// Includes reports whether the grants name the subject directly, through one
// of its roles or through one of its teams. Disabled and anonymous subjects
// are never included.
func (g Grants) Includes(s Subject) bool {
	if s.Anonymous() || s.Disabled {
		return false
	}
	if slices.ContainsFunc(g.Users, func(e string) bool { return strings.EqualFold(e, s.Email) }) {
		return true
	}
	for _, r := range s.Roles {
		if slices.Contains(g.Roles, r) {
			return true
		}
	}
	for _, t := range s.Teams {
		if slices.Contains(g.Teams, t) {
			return true
		}
	}
	return false
}

// Empty reports whether the grants name nobody.
func (g Grants) Empty() bool { return len(g.Roles)+len(g.Users)+len(g.Teams) == 0 }
