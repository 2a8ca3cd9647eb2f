// Package groups holds the views of channel groups: the list, a group's
// page and its dialogs, and the subchannel group dialog of a channel.
package groups

import "net/url"

// ListPage is the list of channel groups the viewer can read.
type ListPage struct {
	CanCreate bool
	Groups    []Row
}

// Row is one line of the group list.
type Row struct {
	Name        string
	Description string
	Channels    []string
	Level       string
}

// Href is the group's page.
func (r Row) Href() string { return Href(r.Name) }

// Href is the page of the group named name.
func Href(name string) string { return "/groups/" + url.PathEscape(name) }

// GroupPage is one channel group.
type GroupPage struct {
	Name        string
	Description string
	Level       string
	Channels    []string
	CanManage   bool
}

// Base is the group's page.
func (p GroupPage) Base() string { return Href(p.Name) }

// ChannelHref links to a member channel.
func ChannelHref(name string) string { return "/channels/" + url.PathEscape(name) }

// Choice is one checkbox of a member list.
type Choice struct {
	Name     string
	Checked  bool
	Disabled bool // the viewer may not add or remove it
}

// GroupForm is the new or edit group dialog.
type GroupForm struct {
	Inline      bool
	CSRF        string
	Edit        bool // the name is fixed
	Name        string
	Description string
	Channels    []Choice
	Errors      map[string]string
	Error       string
}

// Action is where the form posts.
func (f GroupForm) Action() string {
	if f.Edit {
		return Href(f.Name)
	}
	return "/groups"
}

// Back is where Cancel leads without htmx.
func (f GroupForm) Back() string {
	if f.Edit {
		return Href(f.Name)
	}
	return "/groups"
}

// Title is the dialog's title.
func (f GroupForm) Title() string {
	if f.Edit {
		return "Edit group " + f.Name
	}
	return "New group"
}

// SubGroup is one subchannel group as the channel page shows it.
type SubGroup struct {
	Name        string
	Subchannels []string
}

// SubGroupForm is the new or edit subchannel group dialog.
type SubGroupForm struct {
	Inline      bool
	CSRF        string
	Channel     string
	Edit        bool
	Name        string
	Subchannels []Choice
	Errors      map[string]string
	Error       string
}

// Base is the channel page.
func (f SubGroupForm) Base() string { return ChannelHref(f.Channel) }

// Action is where the form posts.
func (f SubGroupForm) Action() string {
	if f.Edit {
		return f.Base() + "/subchannel-groups/" + url.PathEscape(f.Name)
	}
	return f.Base() + "/subchannel-groups"
}

// Title is the dialog's title.
func (f SubGroupForm) Title() string {
	if f.Edit {
		return "Edit subchannel group " + f.Name
	}
	return "New subchannel group of " + f.Channel
}

func subGroupHref(channel, name string) string {
	return ChannelHref(channel) + "/subchannel-groups/" + url.PathEscape(name)
}
