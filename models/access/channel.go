package access

// ChannelACL is everything that decides a subject's level on one channel.
// Subchannels share their parent's ACL.
type ChannelACL struct {
	Public bool
	// ByLevel holds the grants for Read, Write and Manage.
	ByLevel map[Level]Grants
	// Groups are the channel groups the channel is in: their grants apply
	// here too, and a resource token naming one covers the channel.
	Groups []GroupGrants
	// SubGroups names, by subchannel, the subchannel groups it is in.
	SubGroups map[string][]string
}

// ChannelLevel is the highest level the subject holds on a channel: Manage
// for admins, the strongest matching grant (on the channel or on a group
// it is in), and at least Read when public.
func ChannelLevel(s Subject, acl ChannelACL) Level {
	if s.IsAdmin() {
		return Manage
	}
	best := None
	if !s.Disabled && acl.Public {
		best = Read
	}
	for _, l := range Levels {
		if l > best && acl.ByLevel[l].Includes(s) {
			best = l
		}
		for _, g := range acl.Groups {
			if l > best && g.ByLevel[l].Includes(s) {
				best = l
			}
		}
	}
	return best
}
