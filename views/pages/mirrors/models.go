// Package mirrors holds the views of a channel's mirrors, the list of every
// mirror, and the mirror dialog.
package mirrors

import (
	"fmt"
	"net/url"

	"gatehouse/views/components"
)

// ChannelMirrors is a channel's Mirrors page: its own mirrors and its
// subchannels'.
type ChannelMirrors struct {
	Channel string
	CSRF    string
	Mirrors []Row
}

// Base is the channel's page.
func (p ChannelMirrors) Base() string { return "/channels/" + url.PathEscape(p.Channel) }

// AllMirrors is the list of every mirror the viewer manages.
type AllMirrors struct {
	CSRF    string
	Mirrors []Row
}

// Row is one mirror with its latest runs.
type Row struct {
	ID        uint
	Channel   string
	Place     string // "channel" or "channel/sub"
	PlaceHref string
	URL       string // redacted
	Filters   []string
	Schedule  string
	Running   bool
	Runs      []Run
}

// Base is the mirror's path under its channel's pages.
func (r Row) Base() string {
	return fmt.Sprintf("/channels/%s/mirrors/%d", url.PathEscape(r.Channel), r.ID)
}

// Last is the latest run, if any.
func (r Row) Last() *Run {
	if len(r.Runs) == 0 {
		return nil
	}
	return &r.Runs[0]
}

// Run is one run as people read it.
type Run struct {
	ID                                 uint
	Trigger, Status, Error             string
	Added, Removed, Unchanged, Refused int
	Requests, NotModified              int
	Started                            components.When
	Duration                           string
	Refusals                           []Refusal
}

// Refusal is a file a run did not store, and why.
type Refusal struct {
	File, Reason string
}

// Tone is the status badge's colour.
func (r Run) Tone() string {
	switch r.Status {
	case "ok":
		return "green"
	case "failed":
		return "red"
	}
	return "amber"
}

// Form is the create or edit dialog.
type Form struct {
	Inline     bool
	CSRF       string
	Channel    string
	ID         uint // 0: a new mirror
	Places     []components.Option
	URL        string
	Include    string
	Exclude    string
	Subdirs    string
	Versions   string
	Licenses   string
	Severity   string
	Interval   string
	Error      string
	Errors     map[string]string
	Severities []components.Option
}

// Action is where the form posts.
func (f Form) Action() string {
	base := "/channels/" + url.PathEscape(f.Channel) + "/mirrors"
	if f.ID != 0 {
		return fmt.Sprintf("%s/%d", base, f.ID)
	}
	return base
}

// Back is the page the dialog returns to.
func (f Form) Back() string { return "/channels/" + url.PathEscape(f.Channel) + "/mirrors" }

// Title names the dialog.
func (f Form) Title() string {
	if f.ID != 0 {
		return "Edit mirror"
	}
	return "New mirror"
}
