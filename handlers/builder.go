package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/components"
	"gatehouse/views/pages/catalog"
	"gatehouse/web"
)

// opLabels are the filter operators as the Builder says them.
var opLabels = map[string]string{access.OpContains: "contains", access.OpEq: "equals", access.OpPrefix: "starts with"}

// Builder lists the catalog pages for admins to edit.
func (h *Handlers) Builder(c echo.Context) error {
	pages, err := h.Store.ReadablePages(c.Request().Context(), web.ActorOf(c).Subject, "")
	if err != nil {
		return err
	}
	m := catalog.BuilderPage{}
	for _, p := range pages {
		m.Pages = append(m.Pages, catalog.BuilderRow{Identifier: p.Identifier, Title: p.Title, Icon: p.Icon, Locked: p.Locked})
	}
	return h.page(c, http.StatusOK, "Builder", catalog.Builder(m))
}

// pageForm builds the page dialog's view model from a page's state.
func pageForm(c echo.Context, ident, title, icon string, w access.Widget) catalog.PageForm {
	if !slices.Contains(access.Kinds, w.Kind) {
		w.Kind = access.KindArtifacts
	}
	if icon == "" {
		icon = "page"
	}
	m := catalog.PageForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Identifier: ident, Title: title, Icon: icon,
		Kind: w.Kind, Errors: map[string]string{}}
	for _, op := range access.Ops {
		m.Ops = append(m.Ops, components.Option{Value: op, Label: opLabels[op]})
	}
	for _, i := range models.PageIcons {
		m.Icons = append(m.Icons, components.Option{Value: i, Label: titleCase(i), Selected: i == icon})
	}
	m.Kinds = []components.Option{
		{Value: access.KindArtifacts, Label: "Artifacts", Selected: w.Kind == access.KindArtifacts},
		{Value: access.KindChannels, Label: "Channels", Selected: w.Kind == access.KindChannels},
	}
	for _, col := range access.Columns(w.Kind) {
		m.Columns = append(m.Columns, catalog.ColumnChoice{Key: col.Key, Label: col.Label, Filterable: col.Filterable, Hidden: slices.Contains(w.Hidden, col.Key)})
	}
	for _, f := range w.Filters {
		m.Filters = append(m.Filters, catalog.FilterRow{Column: f.Column, Op: f.Op, Value: f.Value})
	}
	if len(m.Filters) == 0 {
		m.Filters = append(m.Filters, catalog.FilterRow{Op: access.OpContains})
	}
	if w.Sort != nil {
		m.SortColumn, m.SortDesc = w.Sort.Column, w.Sort.Desc
	}
	return m
}

// widgetFromForm reads the page dialog's table widget. When the kind changed
// from what the form showed, columns of the old kind are dropped.
func widgetFromForm(c echo.Context) access.Widget {
	w := access.Widget{Type: access.WidgetTable, Kind: c.FormValue("kind")}
	known := func(col string) bool { _, ok := access.FindColumn(w.Kind, col); return ok }
	cols, ops, vals := formValues(c, "filter_column"), formValues(c, "filter_op"), formValues(c, "filter_value")
	for i, col := range cols {
		if col == "" || i >= len(vals) || strings.TrimSpace(vals[i]) == "" {
			continue
		}
		f := access.Filter{Column: col, Op: access.OpContains, Value: vals[i]}
		if i < len(ops) {
			f.Op = ops[i]
		}
		w.Filters = append(w.Filters, f)
	}
	for _, col := range formValues(c, "hidden") {
		if known(col) {
			w.Hidden = append(w.Hidden, col)
		}
	}
	if col := c.FormValue("sort_column"); col != "" && known(col) {
		w.Sort = &access.Sort{Column: col, Desc: c.FormValue("sort_desc") != ""}
	}
	return w
}

// NewPageForm opens the new page dialog (and redraws it when the kind changes).
func (h *Handlers) NewPageForm(c echo.Context) error {
	m := pageForm(c, c.QueryParam("identifier"), c.QueryParam("title"), c.QueryParam("icon"), widgetFromForm(c))
	return h.dialog(c, http.StatusOK, "New page", catalog.PageDialog(m))
}

// CreatePage handles the new page dialog.
func (h *Handlers) CreatePage(c echo.Context) error {
	w := widgetFromForm(c)
	title, icon := c.FormValue("title"), c.FormValue("icon")
	p, err := h.Store.CreatePage(c.Request().Context(), models.PageInput{Identifier: c.FormValue("identifier"), Title: &title, Icon: &icon, Widgets: &[]access.Widget{w}})
	if err != nil {
		return h.pageFormFailed(c, err, pageForm(c, c.FormValue("identifier"), title, icon, w))
	}
	h.audit(c, "page.create", p.Identifier, map[string]any{"title": p.Title, "locked": p.Locked, "widgets": p.Widgets, "read": models.Normalized(access.Grants{Roles: []string{access.RoleAdmin, access.RoleMember}})})
	return h.done(c, "/pages/"+p.Identifier, "Page "+p.Title+" created: Admin and Member may read it.")
}

// pageFormFailed re-renders the page dialog with what was wrong.
func (h *Handlers) pageFormFailed(c echo.Context, err error, m catalog.PageForm) error {
	fields, banner, err := formFault(err)
	if err != nil {
		return err
	}
	m.Errors, m.Error = fields, banner
	if m.Errors == nil {
		m.Errors = map[string]string{}
	}
	return h.dialog(c, http.StatusUnprocessableEntity, "Page", catalog.PageDialog(m))
}

// EditPageForm opens the edit page dialog; a kind change redraws it.
func (h *Handlers) EditPageForm(c echo.Context) error {
	cp := pageOf(c)
	w, _ := cp.Table()
	title, icon := cp.Title, cp.Icon
	if c.QueryParam("kind") != "" {
		w, title, icon = widgetFromForm(c), c.QueryParam("title"), c.QueryParam("icon")
	}
	m := pageForm(c, cp.Identifier, title, icon, w)
	m.Editing = true
	return h.dialog(c, http.StatusOK, "Edit page", catalog.PageDialog(m))
}

// UpdatePage handles the edit page dialog.
func (h *Handlers) UpdatePage(c echo.Context) error {
	cp := pageOf(c)
	w := widgetFromForm(c)
	title, icon := c.FormValue("title"), c.FormValue("icon")
	widgets := withFirstTable(cp.Widgets, w)
	if _, _, err := h.updatePage(c, cp.Identifier, models.PageInput{Title: &title, Icon: &icon, Widgets: &widgets}); err != nil {
		m := pageForm(c, cp.Identifier, title, icon, w)
		m.Editing = true
		return h.pageFormFailed(c, err, m)
	}
	return h.done(c, "/pages/"+cp.Identifier, "Page "+title+" saved.")
}

// DeletePageForm asks before deleting a page.
func (h *Handlers) DeletePageForm(c echo.Context) error {
	cp := pageOf(c)
	m := catalog.DeleteForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Identifier: cp.Identifier, Title: cp.Title}
	return h.dialog(c, http.StatusOK, "Delete page", catalog.DeleteDialog(m))
}

// DeletePage handles the delete page dialog.
func (h *Handlers) DeletePage(c echo.Context) error {
	cp := pageOf(c)
	if err := h.deletePage(c, cp); err != nil {
		return err
	}
	return h.done(c, "/builder", "Page "+cp.Title+" deleted.")
}

// withFirstTable is a page's widgets with its first table replaced by w (or
// w added when it has none); the other widgets are kept as they are.
func withFirstTable(ws models.Widgets, w access.Widget) []access.Widget {
	out := slices.Clone([]access.Widget(ws))
	for i := range out {
		if out[i].Type == access.WidgetTable {
			out[i] = w
			return out
		}
	}
	return append(out, w)
}
