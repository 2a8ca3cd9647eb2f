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
}

// UsersPage is the Users page.
type UsersPage struct {
	Users []UserRow
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
}

// TeamsPage is the Teams page.
type TeamsPage struct {
	Teams []TeamRow
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

// MembersForm is the dialog that sets a team's members.
type MembersForm struct {
	Inline bool
	CSRF   string
	ID     uint
	Name   string
	Users  []components.Option
	Error  string
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
	CSRF  string
	Roles []RoleRow
	Name  string
	Error string
}
