package components

import (
	"slices"
	"strings"

	"gatehouse/models/access"
)

// PickerProps describes the permissions picker: who holds each level of a
// resource, shown as removable chips, with a searchable list of roles, users
// and teams to add. Done submits every level's whole new state to Action as
// "<level>.roles", "<level>.users" and "<level>.teams" plus one "levels"
// value per level, so an emptied list is still sent.
type PickerProps struct {
	ID       string
	Title    string
	Action   string // the URL Done posts to
	Target   string // hx-target for the answer; the picker itself when empty
	CSRF     string
	Inline   bool   // render as a card on a full page instead of a dialog
	Back     string // where Close and Cancel lead on a full page
	ReadOnly bool   // lists only: no search, no remove, no Done
	// AccessHref, when set, opens the Access view: the people these
	// grants add up to ("Who has access").
	AccessHref string
	// Search labels the search field (default: people, teams and roles).
	Search string
	// Note, when set, is shown above the lists (why they cannot change).
	Note    string
	Error   string
	Levels  []PickerLevel
	Options PickerOptions
}

// PickerLevel is one level of access and who holds it now.
type PickerLevel struct {
	Key     string // the form prefix and API key, e.g. "read"
	Label   string // e.g. "Read"
	Current access.Grants
	// List names the list of chips (default "Who has <Label>").
	List string
}

// ListName is the accessible name of the level's list of chips.
func (l PickerLevel) ListName() string {
	if l.List != "" {
		return l.List
	}
	return "Who has " + l.Label
}

// PickerOptions are the roles, users (by email) and teams one can add.
type PickerOptions struct {
	Roles []string
	Users []string
	Teams []string
}

// PickerEntry is one chip or one option: a principal of some kind.
type PickerEntry struct {
	Kind  string // "role", "user" or "team"
	Field string // "roles", "users" or "teams"
	Name  string
}

// KindLabel is the kind as the chip shows it.
func (e PickerEntry) KindLabel() string { return strings.ToUpper(e.Kind[:1]) + e.Kind[1:] }

// Tone is the badge colour of the kind. Badge builds "badge-"+tone, so the
// full names are spelled here for Tailwind to keep them: badge-gray
// badge-green badge-amber badge-red badge-indigo.
func (e PickerEntry) Tone() string {
	switch e.Kind {
	case "role":
		return "indigo"
	case "team":
		return "green"
	}
	return "gray"
}

// Entries lists who holds the level: roles, then teams, then users.
func (l PickerLevel) Entries() []PickerEntry {
	return entries(l.Current.Roles, l.Current.Teams, l.Current.Users)
}

// Entries lists every option: roles, then teams, then users, each sorted.
func (o PickerOptions) Entries() []PickerEntry {
	return entries(sorted(o.Roles), sorted(o.Teams), sorted(o.Users))
}

func entries(roles, teams, users []string) []PickerEntry {
	out := make([]PickerEntry, 0, len(roles)+len(teams)+len(users))
	for _, n := range roles {
		out = append(out, PickerEntry{Kind: "role", Field: "roles", Name: n})
	}
	for _, n := range teams {
		out = append(out, PickerEntry{Kind: "team", Field: "teams", Name: n})
	}
	for _, n := range users {
		out = append(out, PickerEntry{Kind: "user", Field: "users", Name: n})
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.SortFunc(out, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

func (p PickerProps) target() string {
	if p.Target != "" {
		return p.Target
	}
	return "#" + p.ID
}

func (p PickerProps) searchLabel() string {
	if p.Search != "" {
		return p.Search
	}
	return "Search people, teams and roles"
}

func (p PickerProps) back() string {
	if p.Back != "" {
		return p.Back
	}
	return "/"
}
