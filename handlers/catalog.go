package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/components"
	"gatehouse/views/layout"
	"gatehouse/views/pages/catalog"
	"gatehouse/web"
)

// rowsPerPage is how many rows a catalog table shows at once.
const rowsPerPage = 50

const navPagesKey = "gatehouse.navpages"

// navPages lists the catalog pages the viewer may read, for the shell's
// Catalog section (and the home page: read once per request). A failure
// leaves the section empty rather than the page.
func (h *Handlers) navPages(c echo.Context) []layout.NavLink {
	if got, ok := c.Get(navPagesKey).([]layout.NavLink); ok {
		return got
	}
	out := h.readNavPages(c)
	c.Set(navPagesKey, out)
	return out
}

func (h *Handlers) readNavPages(c echo.Context) []layout.NavLink {
	a := web.ActorOf(c)
	if !a.SignedIn() {
		return nil
	}
	pages, err := h.Store.ReadablePages(c.Request().Context(), a.Subject, "")
	if err != nil {
		h.Log.Error("nav: unable to list pages", "err", err)
		return nil
	}
	out := make([]layout.NavLink, len(pages))
	for i, p := range pages {
		out[i] = layout.NavLink{Label: p.Title, Href: "/pages/" + p.Identifier, Icon: p.Icon}
	}
	return out
}

// viewFromQuery reads a viewer's view from the URL: view=1 marks their own
// filters (f.<column>, op.<column>) and shown columns (show), sort and desc
// order the table.
func viewFromQuery(kind string, q url.Values) access.View {
	v := access.View{Custom: q.Get("view") != ""}
	if col := q.Get("sort"); col != "" {
		v.Sort = &access.Sort{Column: col, Desc: q.Get("desc") != ""}
	}
	if !v.Custom {
		return v
	}
	shown := q["show"]
	for _, col := range access.Columns(kind) {
		if val := strings.TrimSpace(q.Get("f." + col.Key)); val != "" {
			v.Filters = append(v.Filters, access.Filter{Column: col.Key, Op: q.Get("op." + col.Key), Value: val})
		}
		if !slices.Contains(shown, col.Key) {
			v.Hidden = append(v.Hidden, col.Key)
		}
	}
	return v
}

// CatalogPage shows a catalog page to anyone who may read it (404 otherwise).
func (h *Handlers) CatalogPage(c echo.Context) error {
	cp := pageOf(c)
	subj := web.ActorOf(c).Subject
	m := catalog.CatalogView{Identifier: cp.Identifier, Title: cp.Title, Icon: cp.Icon, Locked: cp.Locked,
		IsAdmin: cp.Level >= access.Manage, CSRF: web.CSRFToken(c), Query: c.QueryString()}
	saved, ok := cp.Table()
	if !ok {
		return h.catalogPage(c, m)
	}
	q := c.QueryParams()
	req := viewFromQuery(saved.Kind, q)
	m.HasTable = true
	m.CanChange = access.CanChangeView(subj, cp.Read, cp.Locked)
	m.Ignored = req.Custom && !m.CanChange
	m.Custom = req.Custom && m.CanChange
	eff := access.EffectiveView(saved, req, m.CanChange)
	if eff.Kind == access.KindArtifacts && !mayDo(c, "cve:view", access.Read) && !slices.Contains(eff.Hidden, "vulnerabilities") {
		eff.Hidden = append(slices.Clone(eff.Hidden), "vulnerabilities") // nothing to show them
	}
	pageNo, _ := strconv.Atoi(q.Get("page"))
	res, err := h.Store.TableRows(c.Request().Context(), subj, models.TableQuery{Widget: eff, Page: pageNo, PerPage: rowsPerPage})
	if err != nil {
		return err
	}
	fillTable(&m, eff, res, q)
	return h.catalogPage(c, m)
}

// catalogPage renders a catalog page with its title, icon and lock in the
// page header: the title appears once.
func (h *Handlers) catalogPage(c echo.Context, m catalog.CatalogView) error {
	s := h.shell(c, m.Title)
	s.Heading = catalog.Heading(m)
	return web.Render(c, http.StatusOK, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return layout.Page(s).Render(templ.WithChildren(ctx, catalog.Catalog(m)), w)
	}))
}

// fillTable turns the effective view and its rows into the view model.
func fillTable(m *catalog.CatalogView, eff access.Widget, res models.TableResult, q url.Values) {
	sort := access.DefaultSort(eff.Kind)
	if eff.Sort != nil {
		sort = *eff.Sort
	}
	m.SortColumn, m.SortDesc = sort.Column, sort.Desc
	if q.Get("sort") == "" {
		m.SortColumn = ""
	}
	base := "/pages/" + m.Identifier
	for _, col := range access.Columns(eff.Kind) {
		cv := catalog.ColumnView{Key: col.Key, Label: col.Label, Filterable: col.Filterable, Shown: !slices.Contains(eff.Hidden, col.Key)}
		for _, f := range eff.Filters {
			if f.Column == col.Key {
				cv.FilterValue = f.Value
				if f.Op != access.OpContains {
					cv.FilterOp = f.Op
				}
			}
		}
		desc := false
		if sort.Column == col.Key {
			cv.Sorted = "ascending"
			if sort.Desc {
				cv.Sorted = "descending"
			}
			desc = !sort.Desc
		}
		cv.SortHref = withQuery(base, q, map[string]string{"sort": col.Key, "desc": boolParam(desc), "page": ""})
		m.Columns = append(m.Columns, cv)
		if cv.Shown {
			m.Visible = append(m.Visible, cv)
		}
	}
	for _, r := range res.Rows {
		cells := make([]string, len(m.Visible))
		for i, col := range m.Visible {
			cells[i] = r[col.Key]
		}
		m.Rows = append(m.Rows, cells)
	}
	m.Total, m.Page, m.Pages = res.Total, res.Page, res.Pages()
	if res.Page > 1 {
		m.PrevHref = withQuery(base, q, map[string]string{"page": strconv.Itoa(res.Page - 1)})
	}
	if res.Page < res.Pages() {
		m.NextHref = withQuery(base, q, map[string]string{"page": strconv.Itoa(res.Page + 1)})
	}
}

func boolParam(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// withQuery is path with q, where set replaces keys (an empty value drops one).
func withQuery(path string, q url.Values, set map[string]string) string {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	for k, v := range set {
		if v == "" {
			out.Del(k)
		} else {
			out.Set(k, v)
		}
	}
	if len(out) == 0 {
		return path
	}
	return path + "?" + out.Encode()
}

// SaveView makes the admin's current view (the query they were looking at)
// the page's saved view.
func (h *Handlers) SaveView(c echo.Context) error {
	cp := pageOf(c)
	saved, ok := cp.Table()
	if !ok {
		return web.Fail(http.StatusBadRequest, "This page has no table whose view could be saved.")
	}
	q, err := url.ParseQuery(c.FormValue("query"))
	if err != nil {
		return web.Fail(http.StatusBadRequest, "The view to save is not a valid query string.")
	}
	eff := access.EffectiveView(saved, viewFromQuery(saved.Kind, q), true)
	widgets := withFirstTable(cp.Widgets, eff)
	if _, _, err := h.updatePage(c, cp.Identifier, models.PageInput{Widgets: &widgets}); err != nil {
		return err
	}
	return h.done(c, "/pages/"+cp.Identifier, "View saved: everyone now sees this page this way.")
}

// LockPage and UnlockPage set whether viewers may change the page's view.
func (h *Handlers) LockPage(c echo.Context) error   { return h.setLocked(c, true) }
func (h *Handlers) UnlockPage(c echo.Context) error { return h.setLocked(c, false) }

func (h *Handlers) setLocked(c echo.Context, locked bool) error {
	cp := pageOf(c)
	if _, _, err := h.updatePage(c, cp.Identifier, models.PageInput{Locked: &locked}); err != nil {
		return err
	}
	msg := cp.Title + " is unlocked: viewers may filter and hide columns again."
	if locked {
		msg = cp.Title + " is locked: viewers see the saved view."
	}
	return h.done(c, "/pages/"+cp.Identifier, msg)
}

// pagePicker builds the Permissions dialog: read-only for those who may not
// change it, with every role, user and team to pick from for admins.
func (h *Handlers) pagePicker(c echo.Context, cp *catalogPage, read access.Grants, errMsg string) (components.PickerProps, error) {
	p := components.PickerProps{ID: "permissions-dialog", Title: "Permissions of " + cp.Title, Action: "/pages/" + cp.Identifier + "/permissions",
		CSRF: web.CSRFToken(c), Inline: !web.IsHTMX(c), ReadOnly: cp.Level < access.Manage, Error: errMsg,
		Back: "/pages/" + cp.Identifier, AccessHref: "/pages/" + cp.Identifier + "/access",
		Levels: []components.PickerLevel{{Key: models.LevelRead, Label: "Read", Current: models.Normalized(read)}}}
	if p.ReadOnly {
		return p, nil
	}
	ctx := c.Request().Context()
	roles, err := h.Store.Roles(ctx)
	if err != nil {
		return p, err
	}
	users, err := h.Store.Users(ctx)
	if err != nil {
		return p, err
	}
	teams, err := h.Store.Teams(ctx)
	if err != nil {
		return p, err
	}
	for _, r := range roles {
		p.Options.Roles = append(p.Options.Roles, r.Name)
	}
	for _, u := range users {
		if !u.Disabled {
			p.Options.Users = append(p.Options.Users, u.Email)
		}
	}
	for _, t := range teams {
		p.Options.Teams = append(p.Options.Teams, t.Name)
	}
	return p, nil
}

// PagePermissionsDialog shows who may read a page to anyone who may read it.
func (h *Handlers) PagePermissionsDialog(c echo.Context) error {
	cp := pageOf(c)
	m, err := h.pagePicker(c, cp, cp.Read, "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Permissions", components.Picker(m))
}

// SetPagePermissions handles the picker's Done (admins): the read lists are
// replaced by what the dialog holds.
func (h *Handlers) SetPagePermissions(c echo.Context) error {
	cp := pageOf(c)
	patch, err := pickerPatch(c, []string{models.LevelRead})
	if err != nil {
		return err
	}
	if _, err := h.setPagePermissions(c, cp, patch[models.LevelRead]); err != nil {
		fields, banner, err := formFault(err)
		if err != nil {
			return err
		}
		for _, msg := range fields {
			banner = msg
		}
		m, perr := h.pagePicker(c, cp, patch[models.LevelRead].Apply(cp.Read), banner)
		if perr != nil {
			return perr
		}
		return h.dialog(c, http.StatusUnprocessableEntity, "Permissions", components.Picker(m))
	}
	return h.done(c, "/pages/"+cp.Identifier, "Permissions of "+cp.Title+" saved.")
}
