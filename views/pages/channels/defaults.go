package channels

// DefaultsPage is the install's default channels: the list the viewer may
// read, the ready .condarc, and the form for those who manage a channel.
type DefaultsPage struct {
	CSRF     string
	Channels []string
	Text     string // the form's textarea, one channel per line
	Alias    string
	Condarc  string
	CanEdit  bool
	Saved    bool
	Error    string
}
