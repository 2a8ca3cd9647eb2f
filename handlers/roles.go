package handlers

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/pages/admin"
	"gatehouse/web"
)

// RoleJSON is a role as the API shows it.
type RoleJSON struct {
	ID      uint   `json:"id"`
	Name    string `json:"name"`
	BuiltIn bool   `json:"built_in"`
}

// Roles shows the Roles page.
func (h *Handlers) Roles(c echo.Context) error {
	return h.renderRoles(c, http.StatusOK, "", "")
}

func (h *Handlers) renderRoles(c echo.Context, status int, name, msg string) error {
	ctx := c.Request().Context()
	roles, err := h.Store.Roles(ctx)
	if err != nil {
		return err
	}
	counts, err := h.Store.RoleUserCounts(ctx)
	if err != nil {
		return err
	}
	m := admin.RolesPage{CSRF: web.CSRFToken(c), Name: name, Error: msg}
	for _, r := range roles {
		m.Roles = append(m.Roles, admin.RoleRow{ID: r.ID, Name: r.Name, BuiltIn: r.BuiltIn, Users: counts[r.ID]})
	}
	return h.page(c, status, "Roles", admin.Roles(m))
}

// CreateRole handles the new role form.
func (h *Handlers) CreateRole(c echo.Context) error {
	name := c.FormValue("name")
	r, err := h.Store.CreateRole(c.Request().Context(), name)
	if err != nil {
		fields, banner, err := formFault(err)
		if err != nil {
			return err
		}
		if banner == "" {
			banner = fields["name"]
		}
		return h.renderRoles(c, http.StatusUnprocessableEntity, name, banner)
	}
	h.audit(c, "role.create", r.Name, nil)
	return web.Redirect(c, "/admin/roles")
}

// DeleteRole deletes a custom role from the Roles page.
func (h *Handlers) DeleteRole(c echo.Context) error {
	if err := h.deleteRole(c); err != nil {
		_, banner, ferr := formFault(err)
		if ferr != nil || banner == "" {
			return err
		}
		return h.renderRoles(c, http.StatusConflict, "", banner)
	}
	return web.Redirect(c, "/admin/roles")
}

func (h *Handlers) deleteRole(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	granted, err := h.Store.GrantsOf(c.Request().Context(), models.PrincipalRole, id)
	if err != nil {
		return err
	}
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	held := []string{}
	for _, u := range users {
		if slices.ContainsFunc(u.Roles, func(r models.Role) bool { return r.ID == id }) {
			held = append(held, u.Email)
		}
	}
	r, err := h.Store.DeleteRole(c.Request().Context(), id)
	if err != nil {
		return err
	}
	h.audit(c, "role.delete", r.Name, map[string]any{"users": held, "grants_removed": granted})
	return nil
}

// APIRoles lists roles.
func (h *Handlers) APIRoles(c echo.Context) error {
	roles, err := h.Store.Roles(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]RoleJSON, len(roles))
	for i, r := range roles {
		out[i] = RoleJSON{ID: r.ID, Name: r.Name, BuiltIn: r.BuiltIn}
	}
	return ok(c, http.StatusOK, "roles", out)
}

// APICreateRole creates a role from {"name"}.
func (h *Handlers) APICreateRole(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	r, err := h.Store.CreateRole(c.Request().Context(), in.Name)
	if err != nil {
		return err
	}
	h.audit(c, "role.create", r.Name, nil)
	return ok(c, http.StatusCreated, "role", RoleJSON{ID: r.ID, Name: r.Name})
}

// APIDeleteRole deletes a custom role.
func (h *Handlers) APIDeleteRole(c echo.Context) error {
	if err := h.deleteRole(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
