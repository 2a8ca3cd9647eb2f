package handlers

import (
	"github.com/labstack/echo/v4"

	"gatehouse/web"
)

// Limits on request bodies outside artifact uploads.
const (
	maxFormBody = 64 << 10
	maxJSONBody = 1 << 20
)

// Register is Gatehouse's one route table. Every path is listed here with
// the guard of its group; anything not listed is a 404. Public routes are
// the explicit list at the top.
func (h *Handlers) Register(e *echo.Echo) {
	e.Pre(tokenFromPath)
	e.Use(h.loadActor)
	e.Use(h.enforceToken) // tokens: only what Permissions (permissions.go) allows
	e.Use(web.CSRF(h.Cfg.SecureCookies, skipCSRF))

	// Public: no sign-in.
	live, ready := web.Health(h.Store)
	e.GET("/healthz", live)
	e.GET("/readyz", ready)
	e.GET("/static/*", echo.WrapHandler(h.Assets.Handler()))
	e.GET("/login", h.LoginForm)
	e.POST("/login", h.Login, web.BodyLimit(maxFormBody, "The sign-in form is too large."))

	// People: any signed-in user.
	app := e.Group("", requireUser, web.BodyLimit(maxFormBody, "The form is too large."))
	app.GET("/", h.Home)
	app.POST("/logout", h.Logout)

	// Tokens (issue 4): everyone manages their own; admins see and delete anyone's.
	app.GET("/tokens", h.TokensPage)
	app.GET("/tokens/new", h.NewTokenForm)
	app.POST("/tokens", h.CreateToken)
	app.GET("/tokens/:id/edit", h.EditTokenForm)
	app.POST("/tokens/:id", h.EditToken)
	app.GET("/tokens/:id/delete", h.DeleteTokenForm)
	app.POST("/tokens/:id/delete", h.DeleteToken)

	// Admin pages.
	adm := app.Group("", requireAdmin)
	adm.GET("/admin/users", h.Users)
	adm.GET("/admin/users/new", h.NewUserForm)
	adm.POST("/admin/users", h.CreateUser)
	adm.GET("/admin/users/:id/edit", h.EditUserForm)
	adm.POST("/admin/users/:id", h.UpdateUser)
	adm.GET("/admin/teams", h.Teams)
	adm.GET("/admin/teams/new", h.NewTeamForm)
	adm.POST("/admin/teams", h.CreateTeam)
	adm.GET("/admin/teams/:id/members", h.MembersForm)
	adm.POST("/admin/teams/:id/members", h.SetMembers)
	adm.GET("/admin/roles", h.Roles)
	adm.POST("/admin/roles", h.CreateRole)
	adm.POST("/admin/roles/:id/delete", h.DeleteRole)
	adm.GET("/audit-log", h.AuditLog)

	// JSON API: signed in, JSON bodies up to 1 MiB.
	api := e.Group("/api", requireUser, web.BodyLimit(maxJSONBody, "The request body is larger than 1 MiB."))
	// Tokens and the scope catalog (issue 4).
	api.GET("/tokens", h.APITokens)
	api.POST("/tokens", h.APICreateToken)
	api.PATCH("/tokens/:id", h.APIUpdateToken)
	api.DELETE("/tokens/:id", h.APIDeleteToken)
	api.GET("/scopes", h.APIScopes)

	apiAdm := api.Group("", requireAdmin)
	apiAdm.GET("/users", h.APIUsers)
	apiAdm.POST("/users", h.APICreateUser)
	apiAdm.PATCH("/users/:id", h.APIUpdateUser)
	apiAdm.GET("/teams", h.APITeams)
	apiAdm.POST("/teams", h.APICreateTeam)
	apiAdm.PATCH("/teams/:id", h.APIUpdateTeam)
	apiAdm.DELETE("/teams/:id", h.APIDeleteTeam)
	apiAdm.GET("/roles", h.APIRoles)
	apiAdm.POST("/roles", h.APICreateRole)
	apiAdm.DELETE("/roles/:id", h.APIDeleteRole)
	apiAdm.GET("/audit", h.APIAudit)
}

// skipCSRF exempts requests that carry a token header: browsers never add
// those on their own, so they cannot be forged cross-site.
func skipCSRF(c echo.Context) bool {
	r := c.Request()
	return r.Header.Get("Authorization") != "" || r.Header.Get("X-Auth") != "" || c.Get(pathTokenKey) != nil
}
