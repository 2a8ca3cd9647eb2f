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
