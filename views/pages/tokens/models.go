// Package tokens holds the views of the Tokens page and its dialogs.
package tokens

// Row is one token in the list.
type Row struct {
	ID           uint
	Name         string
	Description  string
	Owner        string
	Type         string // "Resources" or "Scopes"
	Grants       []string
	Hint         string
	Created      string
	Expires      string
	Expired      bool
	ExpiringSoon bool
	LastUsed     string // "" when never used
	CanEdit      bool
	CanDelete    bool
}

// List is the token table; ShowOwner adds the owner column (admins).
type List struct {
	Rows      []Row
	ShowOwner bool
}

// Page is the Tokens page. Created is set on a plain (no-script) response
// after Create or re-issue, to show the new string once.
type Page struct {
	List    List
	Created *Created
}

// Created is a token string shown once, with its conda lines.
type Created struct {
	Name       string
	Secret     string
	Reissued   bool
	CondaLines []string
}

// ResourceRow is one Channel + Permission pair of the form.
type ResourceRow struct {
	Channel string
	Level   string
}

// ScopeBox is one scope checkbox.
type ScopeBox struct {
	Name    string
	Level   string
	Checked bool
}

// ScopeGroup is one category of scope checkboxes.
type ScopeGroup struct {
	Name   string
	Scopes []ScopeBox
}

// Form is the Generate Token dialog and the Edit dialog (ID set).
type Form struct {
	Inline      bool
	CSRF        string
	ID          uint
	Name        string
	Description string
	ExpiresOn   string
	MinDate     string
	Type        string // "resources" or "scopes"
	Channels    []string
	Resources   []ResourceRow
	Groups      []ScopeGroup
	Reissue     bool
	Errors      map[string]string
	Error       string
}

// Levels are the Permission choices.
var Levels = []struct{ Value, Label string }{{"read", "Read"}, {"write", "Write"}, {"manage", "Manage"}}

// DeleteForm is the Delete Token confirmation.
type DeleteForm struct {
	Inline bool
	CSRF   string
	ID     uint
	Name   string
	Owner  string
}
