package channels

import (
	"net/url"

	"gatehouse/views/components"
)

// HistoryPage is the History tab of a channel or subchannel. Errors holds
// what is wrong with a filter, by field.
type HistoryPage struct {
	Name    string
	Sub     string // "" for the channel with all its subchannels
	Actor   string
	Action  string
	Since   string
	Until   string
	Actions []string
	Rows    []HistoryRow
	Errors  map[string]string
	Next    string // URL of the next page, if any
}

// HistoryRow is one event of the history.
type HistoryRow struct {
	At      components.When
	Actor   string
	Action  string
	Sub     string // the subchannel the event is on, "" for the channel
	Details string
}

// Base is the channel page's path.
func (p HistoryPage) Base() string { return "/channels/" + url.PathEscape(p.Name) }

// ArtifactsHref is the Artifacts tab of the same channel or subchannel.
func (p HistoryPage) ArtifactsHref() string { return withSub(p.Base(), p.Sub) }

// Href is this tab's own path, where the filter form goes.
func (p HistoryPage) Href() string {
	if p.Sub == "" {
		return p.Base() + "/history"
	}
	return p.Base() + "/subchannels/" + url.PathEscape(p.Sub) + "/history"
}

// Title names what the history is of.
func (p HistoryPage) Title() string {
	if p.Sub == "" {
		return p.Name
	}
	return p.Name + " / " + p.Sub
}

// HistoryHref is the History tab of the channel page shown.
func (p ChannelPage) HistoryHref() string {
	return HistoryPage{Name: p.Name, Sub: p.Sub}.Href()
}
