package access

import "slices"

// GroupGrants is one channel group a channel is in, with the grants the
// group carries: each applies to the channel as if made on it.
type GroupGrants struct {
	Name    string
	ByLevel map[Level]Grants
}

// Group is a channel group as the engine sees it: its grants and the ACL
// of each member channel (each including this group's grants).
type Group struct {
	Name    string
	ByLevel map[Level]Grants
	Members []ChannelACL
}

// GroupLevel is the subject's level on a channel group. The rule:
//   - admins hold Manage; disabled and anonymous subjects hold nothing;
//   - otherwise the strongest of the group's own grants naming the subject,
//     or, when the group has members, the weakest level the subject holds
//     on any one member (its own grants, the groups it is in, public) —
//     whichever is higher.
//
// So a grant on a group is worth at least that level on the group, and
// someone who holds a level on every member holds it on the group: what
// they could do to each member one by one. An empty group is reached only
// through its grants. Managing a group is never enough to change a
// channel's membership: adding or removing a channel also needs manage on
// that channel (the handlers ask both).
func GroupLevel(s Subject, g Group) Level {
	switch {
	case s.IsAdmin():
		return Manage
	case s.Anonymous() || s.Disabled:
		return None
	}
	own := None
	for _, l := range Levels {
		if g.ByLevel[l].Includes(s) {
			own = l
		}
	}
	if len(g.Members) == 0 {
		return own
	}
	least := Manage
	for _, m := range g.Members {
		least = min(least, ChannelLevel(s, m))
	}
	return max(own, least)
}

// InGroup reports whether the channel is in the channel group named name.
func (acl ChannelACL) InGroup(name string) bool {
	return slices.ContainsFunc(acl.Groups, func(g GroupGrants) bool { return g.Name == name })
}

// GroupNames lists the channel groups the channel is in.
func (acl ChannelACL) GroupNames() []string {
	out := make([]string, len(acl.Groups))
	for i, g := range acl.Groups {
		out[i] = g.Name
	}
	return out
}

// GroupTarget is a channel group.
func GroupTarget(g Group) Target { return Target{Kind: OnGroup, Group: g} }
