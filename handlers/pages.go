package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

// catalogPage is a catalog page with who may read it and what the actor may
// do with it.
type catalogPage struct {
	*models.Page
	Read  access.Grants
	Level access.Level
}

// pageAccess loads the page named by :identifier and decides, through the
// engine and the route's scope, that the actor holds need on it (page
// routes' rules call it): the product's own pages (Builder, Audit log) are
// a 400 not_a_catalog_page, a page the actor may not read is a 404 exactly
// like a missing one, and a readable page the actor may not manage is a 403.
func (h *Handlers) pageAccess(c echo.Context, need access.Level) (*catalogPage, error) {
	ident := c.Param("identifier")
	if title, reserved := access.ReservedPage(ident); reserved {
		return nil, web.FailCode(http.StatusBadRequest, "not_a_catalog_page",
			fmt.Sprintf("%q is the %s page, not a catalog page: its permissions cannot be requested or changed.", ident, title))
	}
	ctx := c.Request().Context()
	p, err := h.Store.PageByIdentifier(ctx, ident)
	if err != nil {
		return nil, err
	}
	read, err := h.Store.PageReaders(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	level := access.Decide(web.ActorOf(c).Engine(), ruleOf(c).Scope, access.PageTarget(read))
	switch {
	case level < access.Read:
		return nil, models.ErrNotFound
	case level < need:
		return nil, web.Fail(http.StatusForbidden, "Only admins may change catalog pages and their permissions.")
	}
	return &catalogPage{Page: p, Read: read, Level: level}, nil
}

// PageSummaryJSON is a page as GET /v1/pages lists it.
type PageSummaryJSON struct {
	Identifier string `json:"identifier"`
	Title      string `json:"title"`
	Icon       string `json:"icon"`
	Locked     bool   `json:"locked"`
}

// PagePermissionsJSON is a page's permissions in Port's wire format.
type PagePermissionsJSON struct {
	Read access.Grants `json:"read"`
}

func pagePermissionsJSON(read access.Grants) PagePermissionsJSON {
	return PagePermissionsJSON{Read: models.Normalized(read)}
}

// pageBody is the JSON body of POST and PATCH /v1/pages.
type pageBody struct {
	Identifier *string          `json:"identifier"`
	Title      *string          `json:"title"`
	Icon       *string          `json:"icon"`
	Locked     *bool            `json:"locked"`
	Widgets    *[]access.Widget `json:"widgets"`
}

func (b pageBody) input() models.PageInput {
	return models.PageInput{Title: b.Title, Icon: b.Icon, Locked: b.Locked, Widgets: b.Widgets}
}

// APIPages lists the pages the actor may read; ?search= narrows by title or identifier.
func (h *Handlers) APIPages(c echo.Context) error {
	pages, err := h.Store.ReadablePages(c.Request().Context(), web.ActorOf(c).Subject, c.QueryParam("search"))
	if err != nil {
		return err
	}
	out := make([]PageSummaryJSON, len(pages))
	for i, p := range pages {
		out[i] = PageSummaryJSON{Identifier: p.Identifier, Title: p.Title, Icon: p.Icon, Locked: p.Locked}
	}
	return ok(c, http.StatusOK, "pages", out)
}

// APICreatePage creates a catalog page (admins).
func (h *Handlers) APICreatePage(c echo.Context) error {
	var in pageBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	pi := in.input()
	if in.Identifier != nil {
		pi.Identifier = *in.Identifier
	}
	p, err := h.Store.CreatePage(c.Request().Context(), pi)
	if err != nil {
		return err
	}
	h.audit(c, "page.create", p.Identifier, map[string]any{"title": p.Title, "locked": p.Locked, "widgets": p.Widgets,
		"read": pagePermissionsJSON(access.Grants{Roles: []string{access.RoleAdmin, access.RoleMember}}).Read})
	return ok(c, http.StatusCreated, "page", p)
}

// APIPage shows one page the actor may read.
func (h *Handlers) APIPage(c echo.Context) error {
	cp := pageOf(c)
	return ok(c, http.StatusOK, "page", cp.Page)
}

// APIUpdatePage changes a page's title, icon, widgets or lock (admins).
func (h *Handlers) APIUpdatePage(c echo.Context) error {
	cp := pageOf(c)
	in, err := bindPagePatch(c)
	if err != nil {
		return err
	}
	if in.Identifier != nil && *in.Identifier != cp.Identifier {
		return web.Fail(http.StatusBadRequest, "A page's identifier cannot be changed.")
	}
	_, after, err := h.updatePage(c, cp.Identifier, in.input())
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "page", after)
}

// bindPagePatch reads a PATCH /v1/pages body: keys left out stay as they
// are, and a key set to null is refused rather than silently ignored.
func bindPagePatch(c echo.Context) (pageBody, error) {
	var in pageBody
	var raw map[string]json.RawMessage
	if err := bindJSON(c, &raw); err != nil {
		return in, err
	}
	if raw == nil {
		return in, web.Fail(http.StatusBadRequest, `The body must be a JSON object such as {"locked": true}.`)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return in, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, jsonError(err)
	}
	for _, k := range sortedKeys(raw) {
		if bytes.Equal(bytes.TrimSpace(raw[k]), []byte("null")) {
			return in, web.Fail(http.StatusBadRequest, fmt.Sprintf("%q cannot be null: leave it out to keep it unchanged.", k))
		}
	}
	return in, nil
}

// updatePage applies a change and records it: lock and unlock on their own,
// everything else as page.edit.
func (h *Handlers) updatePage(c echo.Context, ident string, in models.PageInput) (before, after *models.Page, err error) {
	before, after, err = h.Store.UpdatePage(c.Request().Context(), ident, in)
	if err != nil {
		return nil, nil, err
	}
	if before.Locked != after.Locked {
		action := "page.unlock"
		if after.Locked {
			action = "page.lock"
		}
		h.audit(c, action, ident, nil)
	}
	changed := map[string]any{}
	if before.Title != after.Title {
		changed["title"] = map[string]string{"old": before.Title, "new": after.Title}
	}
	if before.Icon != after.Icon {
		changed["icon"] = map[string]string{"old": before.Icon, "new": after.Icon}
	}
	if bw, aw := jsonText(before.Widgets), jsonText(after.Widgets); bw != aw {
		changed["widgets"] = map[string]any{"old": before.Widgets, "new": after.Widgets}
	}
	if len(changed) > 0 {
		h.audit(c, "page.edit", ident, changed)
	}
	return before, after, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// APIDeletePage deletes a page (admins).
func (h *Handlers) APIDeletePage(c echo.Context) error {
	cp := pageOf(c)
	if err := h.deletePage(c, cp); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handlers) deletePage(c echo.Context, cp *catalogPage) error {
	if _, err := h.Store.DeletePage(c.Request().Context(), cp.Identifier); err != nil {
		return err
	}
	h.audit(c, "page.delete", cp.Identifier, map[string]any{"title": cp.Title, "read": models.Normalized(cp.Read)})
	return nil
}

// APIPagePermissions shows who may read a page: any signed-in user who can read it.
func (h *Handlers) APIPagePermissions(c echo.Context) error {
	cp := pageOf(c)
	return ok(c, http.StatusOK, "permissions", pagePermissionsJSON(cp.Read))
}

// APIUpdatePagePermissions applies Port's PATCH rule (admins): each key
// present replaces its list, keys left out are unchanged.
func (h *Handlers) APIUpdatePagePermissions(c echo.Context) error {
	cp := pageOf(c)
	patch, err := decodeGrantsPatch(c, []string{models.LevelRead}, []string{"create", "update", "delete"})
	if err != nil {
		return err
	}
	read, err := h.setPagePermissions(c, cp, patch[models.LevelRead])
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "permissions", pagePermissionsJSON(read))
}

// setPagePermissions writes a permissions patch, records it and returns who
// may read the page now.
func (h *Handlers) setPagePermissions(c echo.Context, cp *catalogPage, patch access.GrantsPatch) (access.Grants, error) {
	ctx := c.Request().Context()
	before, _, err := h.Store.ApplyGrantsPatch(ctx, models.ResourcePage, cp.ID, map[string]access.GrantsPatch{models.LevelRead: patch})
	if err != nil {
		return access.Grants{}, err
	}
	now, err := h.Store.PageReaders(ctx, cp.ID)
	if err != nil {
		return access.Grants{}, err
	}
	old := models.Normalized(before[models.LevelRead])
	if jsonText(old) != jsonText(now) {
		h.audit(c, "page.permissions", cp.Identifier, map[string]any{"old": PagePermissionsJSON{Read: old}, "new": PagePermissionsJSON{Read: now}})
	}
	return now, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
