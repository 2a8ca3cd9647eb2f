// Package channels holds the views of the channel list, a channel's page and
// its dialogs.
package channels

import (
	"fmt"
	"net/url"

	"gatehouse/views/components"
	"gatehouse/views/pages/groups"
)

// ListPage is the channel list with its search, filter and order.
type ListPage struct {
	CanCreate bool
	Channels  []ChannelRow
	Total     int // channels before filtering
	Q         string
	Privacy   string // "", "private" or "public"
	Sort      string
	Desc      bool
	Headers   map[string]components.SortHeader
}

// ChannelRow is one line of the channel list.
type ChannelRow struct {
	Name        string
	Description string
	Public      bool
	Level       string // the viewer's level, e.g. "Read"
	Rank        int    // that level's rank, for sorting
}

// Href is the channel's page.
func (r ChannelRow) Href() string { return "/channels/" + url.PathEscape(r.Name) }

// ChannelPage is one channel (or one of its subchannels) with its artifacts.
type ChannelPage struct {
	Name        string
	Description string
	Public      bool
	Level       string
	Sub         string // the subchannel shown, "" for the channel itself
	Subchannels []string
	CanWrite    bool
	CanManage   bool
	CondaURL    string // what to pass to conda config --add channels
	Condarc     string // a ready .condarc: the defaults and this channel
	Artifacts   []ArtifactRow
	// Groups names the channel groups the channel is in; SubGroups are its
	// subchannel groups.
	Groups    []string
	SubGroups []groups.SubGroup
	// ShowCVEs adds the vulnerability column (for those with cve:view).
	ShowCVEs bool
}

// Base is the channel page's path.
func (p ChannelPage) Base() string { return "/channels/" + url.PathEscape(p.Name) }

// SubHref links to a subchannel's view of the page.
func (p ChannelPage) SubHref(sub string) string { return withSub(p.Base(), sub) }

func withSub(path, sub string) string {
	if sub == "" {
		return path
	}
	return path + "?sub=" + url.QueryEscape(sub)
}

// ArtifactRow is one line of the artifacts table.
type ArtifactRow struct {
	Filename    string
	Name        string
	Version     string
	Build       string
	Subdir      string
	Size        int64
	SHA256      string
	Uploaded    components.When
	DownloadURL string
	// CVEs are the records affecting it, worst first.
	CVEs []CVE
}

// CVE names a vulnerability record and its severity.
type CVE struct {
	ID       string
	Severity string
}

// Href is the record's page.
func (c CVE) Href() string { return "/admin/cves/" + url.PathEscape(c.ID) }

// Tone is the badge colour of the severity.
func (c CVE) Tone() string {
	switch c.Severity {
	case "critical", "high":
		return "red"
	case "medium":
		return "amber"
	}
	return "gray"
}

// ShortSHA is the start of the SHA256, enough to tell files apart.
func (a ArtifactRow) ShortSHA() string {
	if len(a.SHA256) > 12 {
		return a.SHA256[:12]
	}
	return a.SHA256
}

// HumanSize is the size for people.
func (a ArtifactRow) HumanSize() string {
	const unit = 1024
	if a.Size < unit {
		return fmt.Sprintf("%d B", a.Size)
	}
	div, exp := int64(unit), 0
	for n := a.Size / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(a.Size)/float64(div), "KMGTPE"[exp])
}

// DeleteHref opens the delete dialog for the artifact.
func (p ChannelPage) DeleteHref(a ArtifactRow) string {
	q := url.Values{"subdir": {a.Subdir}, "filename": {a.Filename}}
	if p.Sub != "" {
		q.Set("sub", p.Sub)
	}
	return p.Base() + "/artifacts/delete?" + q.Encode()
}

// ChannelForm is the create or edit channel dialog.
type ChannelForm struct {
	Inline      bool
	CSRF        string
	Edit        bool // editing an existing channel: the name is fixed
	Name        string
	Description string
	Public      bool
	Errors      map[string]string
	Error       string
}

// Action is where the form posts.
func (f ChannelForm) Action() string {
	if f.Edit {
		return "/channels/" + url.PathEscape(f.Name)
	}
	return "/channels"
}

// Back is where Cancel leads without htmx.
func (f ChannelForm) Back() string {
	if f.Edit {
		return f.Action()
	}
	return "/channels"
}

// PrivacyOptions are the choices of the Privacy select.
func (f ChannelForm) PrivacyOptions() []components.Option {
	return []components.Option{
		{Value: "private", Label: "Private — only people granted access", Selected: !f.Public},
		{Value: "public", Label: "Public — anyone may read and download", Selected: f.Public},
	}
}

// SubchannelForm is the new subchannel dialog.
type SubchannelForm struct {
	Inline  bool
	CSRF    string
	Channel string
	Name    string
	Errors  map[string]string
	Error   string
}

// Base is the channel page's path.
func (f SubchannelForm) Base() string { return "/channels/" + url.PathEscape(f.Channel) }

// UploadForm is the upload dialog.
type UploadForm struct {
	Inline      bool
	CSRF        string
	Channel     string
	Sub         string
	Subchannels []string
	Error       string
}

// Base is the channel page's path.
func (f UploadForm) Base() string { return "/channels/" + url.PathEscape(f.Channel) }
