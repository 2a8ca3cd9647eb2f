package access

import (
	"slices"
	"strings"
)

// Kinds of grant a person may hold a level through.
const (
	ViaAdmin  = "admin"  // holds the Admin role: everything, everywhere
	ViaRole   = "role"   // a grant to one of their roles
	ViaTeam   = "team"   // a grant to one of their teams
	ViaDirect = "direct" // a grant to their email
	ViaPublic = "public" // the channel is public: anyone reads it
	ViaGroup  = "group"  // a grant on a channel group the channel is in
)

// Via is one grant through which a person holds a level.
type Via struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Explain is the person's own level on t, as OwnLevel decides it, and every
// grant that gives that level: being an admin, a grant to one of their
// roles or teams or to their email, or a public channel. Weaker grants the
// person also holds are left out: they do not give the level. A person
// without access gets None and no grants.
func Explain(s Subject, t Target) (Level, []Via) {
	level := OwnLevel(s, "", t)
	if level == None {
		return None, nil
	}
	var out []Via
	if s.IsAdmin() {
		out = append(out, Via{Kind: ViaAdmin, Name: RoleAdmin})
	}
	switch t.Kind {
	case OnChannel:
		out = append(out, t.ACL.ByLevel[level].naming(s)...)
		for _, g := range t.ACL.Groups {
			for _, v := range g.ByLevel[level].naming(s) {
				out = append(out, Via{Kind: ViaGroup, Name: g.Name + " (" + v.Kind + " " + v.Name + ")"})
			}
		}
		if level == Read && t.ACL.Public && !s.Disabled {
			out = append(out, Via{Kind: ViaPublic, Name: "public channel"})
		}
	case OnPage:
		if level == Read { // read grants give only Read; Manage is the admins'
			out = append(out, t.Readers.naming(s)...)
		}
	}
	return level, out
}

// naming lists the grants among g that name the subject: its roles, then
// its teams, then its email, each once.
func (g Grants) naming(s Subject) []Via {
	if s.Anonymous() || s.Disabled {
		return nil
	}
	var out []Via
	for _, r := range s.Roles {
		if slices.Contains(g.Roles, r) && !slices.Contains(out, Via{ViaRole, r}) {
			out = append(out, Via{Kind: ViaRole, Name: r})
		}
	}
	for _, t := range s.Teams {
		if slices.Contains(g.Teams, t) && !slices.Contains(out, Via{ViaTeam, t}) {
			out = append(out, Via{Kind: ViaTeam, Name: t})
		}
	}
	if slices.ContainsFunc(g.Users, func(e string) bool { return strings.EqualFold(e, s.Email) }) {
		out = append(out, Via{Kind: ViaDirect, Name: strings.ToLower(s.Email)})
	}
	return out
}
