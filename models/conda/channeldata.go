package conda

import (
	"slices"
	"sort"
)

// Channeldata is conda's channeldata.json: every package name of a channel
// with its latest version and the subdirs it is built for.
type Channeldata struct {
	ChanneldataVersion int                           `json:"channeldata_version"`
	Packages           map[string]ChanneldataPackage `json:"packages"`
	Subdirs            []string                      `json:"subdirs"`
}

// ChanneldataPackage is one package name in channeldata.json; summary and
// home are the latest version's, from its info/about.json.
type ChanneldataPackage struct {
	Home      string   `json:"home,omitempty"`
	License   string   `json:"license,omitempty"`
	Subdirs   []string `json:"subdirs"`
	Summary   string   `json:"summary,omitempty"`
	Timestamp int64    `json:"timestamp,omitempty"`
	Version   string   `json:"version"`
}

// PackageSummary is what channeldata needs of one file.
type PackageSummary struct {
	Name, Version, Subdir, License string
	Summary, Home                  string
	Timestamp                      int64
}

// BuildChanneldata summarises files: per name the highest version (its
// license), the newest timestamp and every subdir it appears in.
func BuildChanneldata(files []PackageSummary) Channeldata {
	cd := Channeldata{ChanneldataVersion: 1, Packages: map[string]ChanneldataPackage{}, Subdirs: []string{}}
	for _, f := range files {
		p, seen := cd.Packages[f.Name]
		if !seen || CompareVersions(f.Version, p.Version) > 0 {
			p.Version, p.License, p.Summary, p.Home = f.Version, f.License, f.Summary, f.Home
		}
		p.Timestamp = max(p.Timestamp, f.Timestamp)
		if !slices.Contains(p.Subdirs, f.Subdir) {
			p.Subdirs = append(p.Subdirs, f.Subdir)
			sort.Strings(p.Subdirs)
		}
		cd.Packages[f.Name] = p
		if !slices.Contains(cd.Subdirs, f.Subdir) {
			cd.Subdirs = append(cd.Subdirs, f.Subdir)
		}
	}
	sort.Strings(cd.Subdirs)
	return cd
}
