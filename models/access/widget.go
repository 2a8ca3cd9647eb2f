package access

import (
	"fmt"
	"slices"
	"strings"
)

// Widget kinds and the one widget type catalog pages have.
const (
	WidgetTable     = "table"
	KindArtifacts   = "artifacts"
	KindChannels    = "channels"
	MaxFilterValue  = 200
	MaxWidgetFilter = 20
)

// Filter operators.
const (
	OpEq       = "eq"
	OpContains = "contains"
	OpPrefix   = "prefix"
)

// Ops lists the filter operators in the order the UI offers them.
var Ops = []string{OpContains, OpEq, OpPrefix}

// Filter keeps the rows whose Column matches Value under Op.
type Filter struct {
	Column string `json:"column"`
	Op     string `json:"op"`
	Value  string `json:"value"`
}

// Sort orders a table by one column.
type Sort struct {
	Column string `json:"column"`
	Desc   bool   `json:"desc"`
}

// Widget is a table over channels or artifacts with its saved view: default
// filters, hidden columns and sort.
type Widget struct {
	Type    string   `json:"type"`
	Kind    string   `json:"kind"`
	Filters []Filter `json:"filters"`
	Hidden  []string `json:"hidden"`
	Sort    *Sort    `json:"sort"`
}

// Column is one column a table widget can show.
type Column struct {
	Key        string
	Label      string
	Filterable bool // text columns: filters apply to them
}

var columns = map[string][]Column{
	KindArtifacts: {
		{Key: "channel", Label: "Channel", Filterable: true},
		{Key: "name", Label: "Name", Filterable: true},
		{Key: "version", Label: "Version", Filterable: true},
		{Key: "build", Label: "Build", Filterable: true},
		{Key: "subdir", Label: "Subdir", Filterable: true},
		{Key: "license", Label: "License", Filterable: true},
		{Key: "size", Label: "Size"},
		{Key: "uploaded", Label: "Uploaded"},
		// The worst severity of the vulnerability records affecting the
		// artifact; empty for viewers without cve:view.
		{Key: "vulnerabilities", Label: "Vulnerabilities", Filterable: true},
	},
	KindChannels: {
		{Key: "name", Label: "Name", Filterable: true},
		{Key: "description", Label: "Description", Filterable: true},
		{Key: "privacy", Label: "Privacy", Filterable: true},
		{Key: "created", Label: "Created"},
	},
}

// Kinds lists the table kinds.
var Kinds = []string{KindArtifacts, KindChannels}

// Columns lists the columns of a table kind (nil for an unknown kind).
func Columns(kind string) []Column { return columns[kind] }

// FindColumn returns a kind's column by key.
func FindColumn(kind, key string) (Column, bool) {
	i := slices.IndexFunc(columns[kind], func(c Column) bool { return c.Key == key })
	if i < 0 {
		return Column{}, false
	}
	return columns[kind][i], true
}

// DefaultSort is how a table is ordered when its widget names no sort.
func DefaultSort(kind string) Sort {
	if kind == KindArtifacts {
		return Sort{Column: "uploaded", Desc: true}
	}
	return Sort{Column: "name"}
}

// ValidateWidget checks a widget and returns it normalised (trimmed values,
// repeated hidden columns dropped, empty lists instead of nil). Every fault
// is named in the error.
func ValidateWidget(w Widget) (Widget, error) {
	var problems []string
	if w.Type == "" {
		w.Type = WidgetTable
	}
	if w.Type != WidgetTable {
		problems = append(problems, fmt.Sprintf("type %q is not supported (want %q)", w.Type, WidgetTable))
	}
	if !slices.Contains(Kinds, w.Kind) {
		problems = append(problems, fmt.Sprintf("kind %q is not supported (want %q or %q)", w.Kind, KindArtifacts, KindChannels))
		return w, widgetError(problems)
	}
	if len(w.Filters) > MaxWidgetFilter {
		problems = append(problems, fmt.Sprintf("at most %d filters", MaxWidgetFilter))
	}
	filters := make([]Filter, 0, len(w.Filters))
	for _, f := range w.Filters {
		f.Value = strings.TrimSpace(f.Value)
		if f.Op == "" {
			f.Op = OpContains
		}
		if p := filterProblem(w.Kind, f); p != "" {
			problems = append(problems, p)
			continue
		}
		if f.Value != "" {
			filters = append(filters, f)
		}
	}
	hidden := make([]string, 0, len(w.Hidden))
	for _, h := range w.Hidden {
		if _, ok := FindColumn(w.Kind, h); !ok {
			problems = append(problems, fmt.Sprintf("hidden column %q does not exist on %s tables", h, w.Kind))
		} else if !slices.Contains(hidden, h) {
			hidden = append(hidden, h)
		}
	}
	if len(hidden) == len(columns[w.Kind]) {
		problems = append(problems, "at least one column must be shown")
	}
	if w.Sort != nil {
		if _, ok := FindColumn(w.Kind, w.Sort.Column); !ok {
			problems = append(problems, fmt.Sprintf("sort column %q does not exist on %s tables", w.Sort.Column, w.Kind))
		}
	}
	w.Filters, w.Hidden = filters, hidden
	return w, widgetError(problems)
}

func filterProblem(kind string, f Filter) string {
	col, ok := FindColumn(kind, f.Column)
	switch {
	case !ok:
		return fmt.Sprintf("filter column %q does not exist on %s tables", f.Column, kind)
	case !col.Filterable:
		return fmt.Sprintf("column %q cannot be filtered", f.Column)
	case !slices.Contains(Ops, f.Op):
		return fmt.Sprintf("filter op %q is not supported (want %s)", f.Op, strings.Join(Ops, ", "))
	case len(f.Value) > MaxFilterValue:
		return fmt.Sprintf("filter value for %q is longer than %d characters", f.Column, MaxFilterValue)
	}
	return ""
}

// WidgetError is a widget's faults, each one named.
type WidgetError struct{ Problems []string }

func (e *WidgetError) Error() string { return strings.Join(e.Problems, "; ") }

func widgetError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return &WidgetError{Problems: problems}
}

// View is what a viewer asks a table to show: their own filters and hidden
// columns (Custom) and the sort and page number, which anyone may change.
type View struct {
	Custom  bool
	Filters []Filter
	Hidden  []string
	Sort    *Sort
}

// EffectiveView is the widget as it applies to this viewer: the saved view,
// with the viewer's own filters and hidden columns only when they may change
// the view (see CanChangeView). Invalid requested filters are dropped.
func EffectiveView(saved Widget, req View, mayChange bool) Widget {
	out := saved
	if req.Sort != nil {
		if _, ok := FindColumn(saved.Kind, req.Sort.Column); ok {
			out.Sort = req.Sort
		}
	}
	if !req.Custom || !mayChange {
		return out
	}
	out.Filters, out.Hidden = nil, nil
	for _, f := range req.Filters {
		f.Value = strings.TrimSpace(f.Value)
		if f.Op == "" {
			f.Op = OpContains
		}
		if f.Value != "" && filterProblem(saved.Kind, f) == "" {
			out.Filters = append(out.Filters, f)
		}
	}
	for _, h := range req.Hidden {
		if _, ok := FindColumn(saved.Kind, h); ok && !slices.Contains(out.Hidden, h) {
			out.Hidden = append(out.Hidden, h)
		}
	}
	if len(out.Hidden) == len(columns[saved.Kind]) {
		out.Hidden = out.Hidden[1:] // a table shows at least one column
	}
	return out
}
