// Package components holds the small building blocks pages share: dialogs,
// form fields, notifications, badges and the permissions picker.
package components

// DialogProps describes a dialog. Inline renders it as a card on a full page,
// which is how dialogs degrade when htmx is not there to open them.
type DialogProps struct {
	ID     string
	Title  string
	Inline bool
	Wide   bool
}

// FieldProps describes one labelled form input.
type FieldProps struct {
	Label        string
	Name         string
	Type         string
	Value        string
	Error        string
	Help         string
	Placeholder  string
	Required     bool
	MaxLength    int
	Autofocus    bool
	Autocomplete string
	Min, Max     string // bounds of a date or number
	// SlugFrom names an input whose text fills this one as an identifier
	// until it is typed into (app.js).
	SlugFrom string
}

// ID is the input's element id.
func (f FieldProps) ID() string { return "f-" + f.Name }

// Option is one choice in a select or checkbox list.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// Notice is a notification in the upper right.
type Notice struct {
	Kind  string // "success", "error" or "info"
	Title string
	Body  string
}

// When is a moment as people read it: the absolute time (UTC) and how far
// from now it is. app.js adds the exact time in the viewer's own zone on
// hover. The zero When is "never".
type When struct {
	ISO string // RFC 3339, for <time datetime>
	Abs string // e.g. "2025-01-31 14:02"
	Rel string // e.g. "3 days ago"
}

// SortHeader is a sortable column header: a link that sorts by the column
// (or reverses the order when it is already sorted by it).
type SortHeader struct {
	Label string
	Href  string
	Sort  string // "ascending", "descending" or "" (aria-sort)
}

// Confirm is a dialog asking to confirm a destructive action.
type Confirm struct {
	ID      string
	Inline  bool
	CSRF    string
	Title   string
	Message string
	Action  string
	Button  string
	Back    string
	Hidden  []Option // extra hidden fields (Value is the name, Label the value)
	Error   string
}
