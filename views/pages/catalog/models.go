// Package catalog holds the views of catalog pages and the Builder.
package catalog

import "gatehouse/views/components"

// BuilderPage is the Builder: the catalog pages admins can edit.
type BuilderPage struct {
	Pages []BuilderRow
}

// BuilderRow is one catalog page in the Builder.
type BuilderRow struct {
	Identifier string
	Title      string
	Icon       string
	Locked     bool
}

// PageForm is the create or edit page dialog.
type PageForm struct {
	Inline     bool
	CSRF       string
	Editing    bool // the identifier is fixed once created
	Identifier string
	Title      string
	Icon       string
	Icons      []components.Option
	Kind       string
	Kinds      []components.Option
	Filters    []FilterRow
	Columns    []ColumnChoice
	Ops        []components.Option
	SortColumn string
	SortDesc   bool
	Errors     map[string]string
	Error      string
}

// Action is where the dialog posts.
func (f PageForm) Action() string {
	if f.Editing {
		return "/builder/" + f.Identifier
	}
	return "/builder"
}

// Refresh is where the dialog reloads itself when the table kind changes.
func (f PageForm) Refresh() string {
	if f.Editing {
		return "/builder/" + f.Identifier + "/edit"
	}
	return "/builder/new"
}

// FilterRow is one default filter in the page dialog.
type FilterRow struct {
	Column string
	Op     string
	Value  string
}

// ColumnChoice is one column of the chosen table kind in the page dialog.
type ColumnChoice struct {
	Key        string
	Label      string
	Filterable bool
	Hidden     bool
}

// DeleteForm confirms deleting a page.
type DeleteForm struct {
	Inline     bool
	CSRF       string
	Identifier string
	Title      string
}

// CatalogView is a catalog page as one viewer sees it.
type CatalogView struct {
	Identifier string
	Title      string
	Icon       string
	Locked     bool
	HasTable   bool
	CanChange  bool // the viewer's filter and hide controls work
	IsAdmin    bool // the page menu: save view, lock, unlock, edit
	Ignored    bool // the viewer asked for their own view on a locked page
	Custom     bool // the viewer asked for their own view (view=1)
	CSRF       string
	Query      string // the current view's query string, for Save view
	Columns    []ColumnView
	Visible    []ColumnView
	Rows       [][]string // cells of the visible columns
	Total      int64
	Page       int
	Pages      int
	PrevHref   string
	NextHref   string
	SortColumn string
	SortDesc   bool
}

// ColumnView is one column's state on a catalog page.
type ColumnView struct {
	Key         string
	Label       string
	Filterable  bool
	Shown       bool
	FilterValue string
	FilterOp    string // empty for the default, contains
	SortHref    string
	Sorted      string // "ascending", "descending" or ""
}

// FilterCount is how many of the view's columns are filtered.
func (m CatalogView) FilterCount() int {
	n := 0
	for _, c := range m.Columns {
		if c.FilterValue != "" {
			n++
		}
	}
	return n
}

// Filtered reports whether the viewer narrowed the table: then the view
// controls stay open.
func (m CatalogView) Filtered() bool { return m.Custom && m.FilterCount() > 0 }
