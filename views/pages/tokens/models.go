// Package tokens holds the views of the Tokens page and its dialogs.
package tokens

import (
	"gatehouse/views/components"
)

// Row is one token in the list.
type Row struct {
	ID          uint
	Name        string
	Description string
	Owner       string
	Type        string // "Resources" or "Scopes"
	Grants      []string
	Hint        string
	Created     components.When
	Expires     components.When
	// Expiry says how close the end is: "expires in 3 days" within a week
	// (ExpiringSoon), "expired" once it has passed (Expired).
	Expiry       string
	Expired      bool
	ExpiringSoon bool
	LastUsed     components.When // zero when never used
	CanEdit      bool
	CanDelete    bool
}

// List is the token table with its search, filters and order; ShowOwner
// adds the owner column and filter (admins).
type List struct {
	Rows      []Row
	ShowOwner bool
	Filters   Filters
	// Headers are the sortable column headers, by column key.
	Headers map[string]components.SortHeader
	// Total is how many tokens there are before filtering.
	Total int
}

// Filters is the Tokens page's search bar.
type Filters struct {
	Q        string
	Owner    string
	Type     string // "", "resources" or "scopes"
	Expiring string // "", "7d", "14d" or "expired"
	Owners   []string
	Sort     string
	Desc     bool
}

// Active reports whether any filter narrows the list.
func (f Filters) Active() bool { return f.Q != "" || f.Owner != "" || f.Type != "" || f.Expiring != "" }

// Page is the Tokens page. Created is set on a plain (no-script) response
// after Create or re-issue, to show the new string once.
type Page struct {
	List    List
	Created *Created
}

// Created is a token string shown once, with its conda lines.
type Created struct {
	ID         uint
	Name       string
	Secret     string
	Reissued   bool
	CondaLines []CondaLine
	Condarc    string // a ready .condarc with the string in it, or ""
}

// CondaLine is a ready-made conda command for one channel of a token.
type CondaLine struct {
	Channel string
	Line    string
}

// ResourceRow is one Channel + Permission pair of the form.
type ResourceRow struct {
	Channel string
	Level   string
}

// ChannelChoice is a channel (or subchannel) a resource may name, with
// the most the person holds there.
type ChannelChoice struct {
	Path string
	Held int    // 1 read, 2 write, 3 manage
	Name string // the level held, e.g. "write"
}

// ScopeBox is one scope checkbox. Missing says why the person cannot grant
// it (the box is then disabled).
type ScopeBox struct {
	Name        string
	Level       string
	Description string
	Checked     bool
	Missing     string
}

// ScopeGroup is one category of scope checkboxes.
type ScopeGroup struct {
	Name   string
	Scopes []ScopeBox
}

// ID is the category's element id.
func (g ScopeGroup) ID() string { return "scopes-" + slug(g.Name) }

// Form is the Generate Token dialog and the Edit dialog (ID set).
type Form struct {
	Inline      bool
	CSRF        string
	ID          uint
	Name        string
	Description string
	ExpiresOn   string
	MinDate     string
	MaxDate     string
	Type        string // "resources" or "scopes"
	Channels    []ChannelChoice
	Resources   []ResourceRow
	Groups      []ScopeGroup
	Reissue     bool
	Errors      map[string]string
	Error       string
}

// Levels are the Permission choices, with their rank.
var Levels = []struct {
	Value, Label string
	Rank         int
}{{"read", "Read", 1}, {"write", "Write", 2}, {"manage", "Manage", 3}}

// DeleteForm is the Delete Token confirmation.
type DeleteForm struct {
	Inline bool
	CSRF   string
	ID     uint
	Name   string
	Owner  string
}

func slug(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		default:
			if len(out) > 0 && out[len(out)-1] != '-' {
				out = append(out, '-')
			}
		}
	}
	return string(out)
}
