package handlers

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/components"
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
	return h.renderRolesField(c, status, name, msg, "")
}

func (h *Handlers) renderRolesField(c echo.Context, status int, name, msg, field string) error {
	ctx := c.Request().Context()
	roles, err := h.Store.Roles(ctx)
	if err != nil {
		return err
	}
	counts, err := h.Store.RoleUserCounts(ctx)
	if err != nil {
		return err
	}
	m := admin.RolesPage{CSRF: web.CSRFToken(c), Name: name, Error: msg, FieldError: field}
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
		return h.renderRolesField(c, http.StatusUnprocessableEntity, name, banner, fields["name"])
	}
	h.audit(c, "role.create", r.Name, nil)
	return h.done(c, "/admin/roles", "Role "+r.Name+" created.")
}

// DeleteRoleForm asks before deleting a custom role, saying who holds it
// and how many grants go with it.
func (h *Handlers) DeleteRoleForm(c echo.Context) error {
	m, err := h.deleteRoleConfirm(c, "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Delete role", components.ConfirmDialog(m))
}

func (h *Handlers) deleteRoleConfirm(c echo.Context, problem string) (components.Confirm, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return components.Confirm{}, err
	}
	ctx := c.Request().Context()
	roles, err := h.Store.Roles(ctx)
	if err != nil {
		return components.Confirm{}, err
	}
	i := slices.IndexFunc(roles, func(r models.Role) bool { return r.ID == id })
	if i < 0 {
		return components.Confirm{}, models.ErrNotFound
	}
	r := roles[i]
	if r.BuiltIn {
		return components.Confirm{}, web.Fail(http.StatusConflict, "The built-in role "+r.Name+" cannot be deleted.")
	}
	counts, err := h.Store.RoleUserCounts(ctx)
	if err != nil {
		return components.Confirm{}, err
	}
	granted, err := h.Store.GrantsOf(ctx, models.PrincipalRole, id)
	if err != nil {
		return components.Confirm{}, err
	}
	return components.Confirm{ID: "delete-role-dialog", Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Title: "Delete role " + r.Name,
		Message: fmt.Sprintf("Delete the role %s? %s it and lose it; %s on channels and pages %s. This cannot be undone.",
			r.Name, plural(counts[id], "person holds", "people hold"), plural(len(granted), "grant", "grants"), pluralVerb(len(granted))),
		Action: fmt.Sprintf("/admin/roles/%d/delete", id), Button: "Delete role", Back: "/admin/roles", Error: problem}, nil
}

// plural is "1 grant" or "3 grants".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func pluralVerb(n int) string {
	if n == 1 {
		return "goes with it"
	}
	return "go with it"
}

// DeleteRole deletes a custom role once confirmed.
func (h *Handlers) DeleteRole(c echo.Context) error {
	name, err := h.deleteRole(c)
	if err != nil {
		_, banner, ferr := formFault(err)
		if ferr != nil || banner == "" {
			return err
		}
		if web.IsHTMX(c) {
			m, merr := h.deleteRoleConfirm(c, banner)
			if merr != nil {
				return merr
			}
			return web.Render(c, http.StatusConflict, components.ConfirmDialog(m))
		}
		return h.renderRoles(c, http.StatusConflict, "", banner)
	}
	return h.done(c, "/admin/roles", "Role "+name+" deleted.")
}

func (h *Handlers) deleteRole(c echo.Context) (string, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return "", err
	}
	granted, err := h.Store.GrantsOf(c.Request().Context(), models.PrincipalRole, id)
	if err != nil {
		return "", err
	}
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return "", err
	}
	held := []string{}
	for _, u := range users {
		if slices.ContainsFunc(u.Roles, func(r models.Role) bool { return r.ID == id }) {
			held = append(held, u.Email)
		}
	}
	r, err := h.Store.DeleteRole(c.Request().Context(), id)
	if err != nil {
		return "", err
	}
	h.audit(c, "role.delete", r.Name, map[string]any{"users": held, "grants_removed": granted})
	return r.Name, nil
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
	if _, err := h.deleteRole(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
