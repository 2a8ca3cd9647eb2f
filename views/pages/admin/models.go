// Package admin holds the views of the Users, Teams and Roles pages.
package admin

import "gatehouse/views/components"

// UserRow is one line of the users table.
type UserRow struct {
	ID       uint
	Email    string
	Roles    []string
	Teams    []string
	Disabled bool
	// SSO: the person signs in through the identity provider.
	SSO        bool
	LastSignIn components.When // zero when they have not signed in
}

// UsersPage is the Users page with its search, filters and order.
type UsersPage struct {
	Users   []UserRow
	Total   int
	Q       string
	Role    string
	Status  string // "", "active" or "disabled"
	Roles   []string
	Sort    string
	Desc    bool
	Headers map[string]components.SortHeader
}

// UserForm is the create or edit user dialog.
type UserForm struct {
	Inline   bool
	CSRF     string
	ID       uint // 0 when creating
	Email    string
	Roles    []components.Option
	Disabled bool
	Errors   map[string]string
	Error    string
}

// TeamRow is one line of the teams table.
type TeamRow struct {
	ID          uint
	Name        string
	Description string
	Members     []string
	// SyncedFrom lists the provider groups that decide the members; empty
	// for teams managed by hand.
	SyncedFrom []string
}

// TeamsPage is the Teams page with its search and order.
type TeamsPage struct {
	Teams   []TeamRow
	Total   int
	Q       string
	Sort    string
	Desc    bool
	Headers map[string]components.SortHeader
}

// TeamForm is the create team dialog.
type TeamForm struct {
	Inline      bool
	CSRF        string
	Name        string
	Description string
	Errors      map[string]string
	Error       string
}

// MembersForm is the dialog that sets a team's members: the same
// searchable picker as permissions, with one list. A synced team's members
// are only listed: the identity provider decides them.
type MembersForm struct {
	Picker components.PickerProps
	Synced bool
}

// RoleRow is one line of the roles table.
type RoleRow struct {
	ID      uint
	Name    string
	BuiltIn bool
	Users   int
}

// RolesPage is the Roles page.
type RolesPage struct {
	CSRF       string
	Roles      []RoleRow
	Name       string
	Error      string // a banner above the form
	FieldError string // what is wrong with the name
}
