// Package accessview holds the Access view ("Who has access"): the people a
// page's or channel's grants add up to, with their level and why.
package accessview

// Person is one person with access.
type Person struct {
	Email string
	Level string // e.g. "Read"
	Via   []Via
}

// Via is one grant that gives the person their level.
type Via struct {
	Kind string // "Admin", "Role", "Team", "Direct" or "Public"
	Name string
}

// Tone is the badge colour of the grant's kind. Badge builds
// "badge-"+tone: badge-red badge-indigo badge-green badge-gray badge-amber.
func (v Via) Tone() string {
	switch v.Kind {
	case "Admin":
		return "red"
	case "Role":
		return "indigo"
	case "Team":
		return "green"
	case "Public":
		return "amber"
	}
	return "gray"
}

// Dialog is the Access view of one page or channel.
type Dialog struct {
	Inline bool
	Title  string
	// URL is the view's own address: the search and the pages ask it.
	URL string
	// Permissions leads back to the Permissions dialog.
	Permissions string
	// Back is where Close leads on a full page (no script).
	Back   string
	Note   string // e.g. that a public channel is read by anyone
	Query  string
	People []Person
	// From and To number the people shown, of Total.
	From, To, Total    int
	PrevHref, NextHref string
}
