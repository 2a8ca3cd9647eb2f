package access

// ChannelACL is everything that decides a subject's level on one channel.
// Subchannels share their parent's ACL.
type ChannelACL struct {
	Public bool
	// ByLevel holds the grants for Read, Write and Manage.
	ByLevel map[Level]Grants
}

// ChannelLevel is the highest level the subject holds on a channel: Manage
// for admins, the strongest matching grant, and at least Read when public.
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
	}
	return best
}
