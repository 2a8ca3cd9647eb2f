package handlers

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/views/components"
	"gatehouse/views/pages/admin"
	"gatehouse/web"
)

// UserJSON is a user as the API shows it; sso says they sign in through
// the identity provider.
type UserJSON struct {
	ID           uint       `json:"id"`
	Email        string     `json:"email"`
	Disabled     bool       `json:"disabled"`
	Roles        []string   `json:"roles"`
	Teams        []string   `json:"teams"`
	SSO          bool       `json:"sso"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
	CreatedAt    time.Time  `json:"created_at"`
}

func userJSON(u *models.User) UserJSON {
	return UserJSON{ID: u.ID, Email: u.Email, Disabled: u.Disabled, Roles: u.RoleNames(), Teams: u.TeamNames(),
		SSO: u.FromSSO(), LastSignInAt: u.LastSignInAt, CreatedAt: u.CreatedAt}
}

// userColumns are the Users page's sortable columns.
var userColumns = []column{{"email", "Email"}, {"status", "Status"}}

// Users shows the Users page: searchable by email or team, filtered by
// role and status, sortable.
func (h *Handlers) Users(c echo.Context) error {
	q := c.QueryParams()
	m := admin.UsersPage{Q: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Status: q.Get("status")}
	var err error
	if m.Sort, m.Desc, err = listQuery(q, userColumns); err != nil {
		return err
	}
	if !web.Storable(m.Q) || !web.Storable(m.Role) || !slices.Contains([]string{"", "active", "disabled"}, m.Status) {
		return web.Fail(http.StatusBadRequest, "status must be active or disabled, and the search text.")
	}
	ctx := c.Request().Context()
	users, err := h.Store.Users(ctx)
	if err != nil {
		return err
	}
	roles, err := h.Store.Roles(ctx)
	if err != nil {
		return err
	}
	for _, r := range roles {
		m.Roles = append(m.Roles, r.Name)
	}
	m.Total = len(users)
	lq, now := strings.ToLower(m.Q), h.Store.Now()
	for _, u := range users {
		switch {
		case lq != "" && !contains(lq, append([]string{u.Email}, u.TeamNames()...)...),
			m.Role != "" && !slices.Contains(u.RoleNames(), m.Role),
			m.Status == "active" && u.Disabled, m.Status == "disabled" && !u.Disabled:
			continue
		}
		m.Users = append(m.Users, admin.UserRow{ID: u.ID, Email: u.Email, Roles: u.RoleNames(), Teams: u.TeamNames(), Disabled: u.Disabled,
			SSO: u.FromSSO(), LastSignIn: lastSignIn(u.LastSignInAt, now)})
	}
	slices.SortStableFunc(m.Users, func(a, b admin.UserRow) int {
		if m.Desc {
			a, b = b, a
		}
		if m.Sort == "status" {
			return cmp.Or(cmp.Compare(boolRank(a.Disabled), boolRank(b.Disabled)), strings.Compare(a.Email, b.Email))
		}
		return strings.Compare(a.Email, b.Email)
	})
	vals := url.Values{}
	for k, v := range map[string]string{"q": m.Q, "role": m.Role, "status": m.Status} {
		if v != "" {
			vals.Set(k, v)
		}
	}
	m.Headers = sortHeaders("/admin/users", vals, m.Sort, m.Desc, userColumns)
	return h.page(c, http.StatusOK, "Users", admin.Users(m))
}

// lastSignIn is when someone last signed in (the zero When: never).
func lastSignIn(at *time.Time, now time.Time) components.When {
	if at == nil {
		return components.When{}
	}
	return when(*at, now, "2006-01-02 15:04")
}

// userForm builds the user dialog's view model with role checkboxes.
func (h *Handlers) userForm(c echo.Context, selected []string) (admin.UserForm, error) {
	roles, err := h.Store.Roles(c.Request().Context())
	if err != nil {
		return admin.UserForm{}, err
	}
	m := admin.UserForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Errors: map[string]string{}}
	for _, r := range roles {
		m.Roles = append(m.Roles, components.Option{Value: r.Name, Label: r.Name, Selected: slices.Contains(selected, r.Name)})
	}
	return m, nil
}

// NewUserForm opens the create user dialog.
func (h *Handlers) NewUserForm(c echo.Context) error {
	m, err := h.userForm(c, []string{"Member"})
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "New user", admin.UserDialog(m))
}

// CreateUser handles the create user dialog. A refused form names every
// field at fault at once, not only the first.
func (h *Handlers) CreateUser(c echo.Context) error {
	roles := formValues(c, "roles")
	email, password := c.FormValue("email"), c.FormValue("password")
	u, err := h.Store.CreateUser(c.Request().Context(), models.NewUser{Email: email, Password: password, Roles: roles})
	if err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		if fields != nil {
			fields = newUserFaults(email, password, roles, fields)
		}
		return h.userFormShown(c, fields, banner, roles, func(m *admin.UserForm) { m.Email = email })
	}
	h.audit(c, "user.create", u.Email, map[string]any{"roles": u.RoleNames()})
	return h.done(c, "/admin/users", "User "+u.Email+" created.")
}

// newUserFaults adds to the fault the store found every other one of the
// form's fields has: each is checked on its own.
func newUserFaults(email, password string, roles []string, fields map[string]string) map[string]string {
	note := func(field string, err error) {
		var ve *models.ValidationError
		if _, seen := fields[field]; !seen && errors.As(err, &ve) {
			fields[field] = ve.Message
		}
	}
	_, err := models.NormalizeEmail(email)
	note("email", err)
	if _, seen := fields["password"]; !seen {
		_, err = models.HashPassword(password) // only on a refused form
		note("password", err)
	}
	return fields
}

// EditUserForm opens the edit user dialog.
func (h *Handlers) EditUserForm(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	m, err := h.userForm(c, u.RoleNames())
	if err != nil {
		return err
	}
	m.ID, m.Email, m.Disabled = u.ID, u.Email, u.Disabled
	return h.dialog(c, http.StatusOK, "Edit user", admin.UserDialog(m))
}

// UpdateUser handles the edit user dialog: roles, disabled, new password.
func (h *Handlers) UpdateUser(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	roles := formValues(c, "roles")
	disabled := c.FormValue("disabled") == "true"
	up := models.UserUpdate{Roles: &roles, Disabled: &disabled}
	if pw := c.FormValue("password"); pw != "" {
		up.Password = &pw
	}
	if err := h.updateUser(c, u.ID, up); err != nil {
		return h.userFormFailed(c, err, roles, func(m *admin.UserForm) { m.ID, m.Email, m.Disabled = u.ID, u.Email, disabled })
	}
	return h.done(c, "/admin/users", "User "+u.Email+" saved.")
}

// updateUser stores a change and audits what changed (never the password).
func (h *Handlers) updateUser(c echo.Context, id uint, up models.UserUpdate) error {
	if id == web.ActorOf(c).User.ID && up.Disabled != nil && *up.Disabled {
		return models.Invalid("disabled", "You cannot disable your own account.")
	}
	before, after, err := h.Store.UpdateUser(c.Request().Context(), id, up)
	if err != nil {
		return err
	}
	details := map[string]any{}
	if !slices.Equal(before.RoleNames(), after.RoleNames()) {
		details["roles"] = map[string]any{"old": before.RoleNames(), "new": after.RoleNames()}
	}
	if before.Disabled != after.Disabled {
		details["disabled"] = map[string]any{"old": before.Disabled, "new": after.Disabled}
	}
	if up.Password != nil {
		details["password"] = "reset"
	}
	if len(details) > 0 {
		h.audit(c, "user.update", after.Email, details)
	}
	return nil
}

func (h *Handlers) userFormFailed(c echo.Context, err error, roles []string, fill func(*admin.UserForm)) error {
	fields, banner, err := formFault(err)
	if err != nil {
		return err
	}
	return h.userFormShown(c, fields, banner, roles, fill)
}

func (h *Handlers) userFormShown(c echo.Context, fields map[string]string, banner string, roles []string, fill func(*admin.UserForm)) error {
	m, ferr := h.userForm(c, roles)
	if ferr != nil {
		return ferr
	}
	fill(&m)
	m.Errors, m.Error = fields, banner
	if _, ok := fields["disabled"]; ok {
		m.Error = fields["disabled"]
	}
	return h.dialog(c, http.StatusUnprocessableEntity, "User", admin.UserDialog(m))
}

func (h *Handlers) userParam(c echo.Context) (*models.User, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.Store.User(c.Request().Context(), id)
}

// formValues returns every value of a repeated form field.
func formValues(c echo.Context, name string) []string {
	if err := c.Request().ParseForm(); err != nil {
		return nil
	}
	return c.Request().Form[name]
}

// APIUsers lists users.
func (h *Handlers) APIUsers(c echo.Context) error {
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]UserJSON, len(users))
	for i := range users {
		out[i] = userJSON(&users[i])
	}
	return ok(c, http.StatusOK, "users", out)
}

// APICreateUser creates a user from {"email","password","roles"}.
func (h *Handlers) APICreateUser(c echo.Context) error {
	var in struct {
		Email    string   `json:"email"`
		Password string   `json:"password"`
		Roles    []string `json:"roles"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Store.CreateUser(c.Request().Context(), models.NewUser{Email: in.Email, Password: in.Password, Roles: in.Roles})
	if err != nil {
		return err
	}
	h.audit(c, "user.create", u.Email, map[string]any{"roles": u.RoleNames()})
	return ok(c, http.StatusCreated, "user", userJSON(u))
}

// APIUpdateUser changes roles, disabled or password.
func (h *Handlers) APIUpdateUser(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Roles    *[]string `json:"roles"`
		Disabled *bool     `json:"disabled"`
		Password *string   `json:"password"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if _, err := h.Store.User(c.Request().Context(), id); err != nil {
		return err
	}
	if err := h.updateUser(c, id, models.UserUpdate{Roles: in.Roles, Disabled: in.Disabled, Password: in.Password}); err != nil {
		return err
	}
	u, err := h.Store.User(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "user", userJSON(u))
}
