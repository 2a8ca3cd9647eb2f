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
	// Body limits come first: the CSRF check may read a form body.
	uploadLimit := web.BodyLimit(h.Cfg.MaxUpload+1<<20, "The upload is larger than the artifact size limit.")
	e.Use(bodyLimits(map[string]echo.MiddlewareFunc{
		"POST /channels/:name/upload":        uploadLimit,
		"POST /api/channels/:name/artifacts": uploadLimit,
	}))
	e.Use(h.loadActor)
	e.Use(h.enforceToken) // tokens: only what Permissions (permissions.go) allows
	e.Use(web.CSRF(h.Cfg.SecureCookies, skipCSRF))

	// Public: no sign-in.
	live, ready := web.Health(h.Store, h.Blobs.Check)
	e.GET("/healthz", live)
	e.GET("/readyz", ready)
	e.GET("/static/*", echo.WrapHandler(h.Assets.Handler()))
	e.GET("/login", h.LoginForm)
	e.POST("/login", h.Login)

	// People: any signed-in user.
	app := e.Group("", requireUser)
	app.GET("/", h.Home)
	app.POST("/logout", h.Logout)

	// Tokens: everyone manages their own; admins see and delete anyone's.
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

	// Channels: any signed-in user reaches these pages; each handler asks
	// channelLevel for the level it needs (read, write or manage), and a
	// channel the actor cannot read is a 404. Creating a channel: admins.
	app.GET("/channels", h.Channels)
	adm.GET("/channels/new", h.NewChannelForm)
	adm.POST("/channels", h.CreateChannel)
	app.GET("/channels/:name", h.Channel)
	app.GET("/channels/:name/edit", h.EditChannelForm)
	app.POST("/channels/:name", h.UpdateChannel)
	app.GET("/channels/:name/delete", h.DeleteChannelForm)
	app.POST("/channels/:name/delete", h.DeleteChannel)
	app.GET("/channels/:name/subchannels/new", h.NewSubchannelForm)
	app.POST("/channels/:name/subchannels", h.CreateSubchannel)
	app.GET("/channels/:name/subchannels/:sub/delete", h.DeleteSubchannelForm)
	app.POST("/channels/:name/subchannels/:sub/delete", h.DeleteSubchannel)
	app.GET("/channels/:name/permissions", h.ChannelPermissionsForm)
	app.POST("/channels/:name/permissions", h.SetChannelPermissions)
	app.GET("/channels/:name/upload", h.UploadForm)
	app.GET("/channels/:name/artifacts/delete", h.DeleteArtifactForm)
	app.POST("/channels/:name/artifacts/delete", h.DeleteArtifact)
	// Uploads: signed in, bodies up to the artifact size limit (above).
	e.POST("/channels/:name/upload", h.Upload, requireUser)
	e.POST("/api/channels/:name/artifacts", h.APIUpload, requireUser)

	// Conda channel protocol: anonymous allowed (public channels); private
	// channels answer 404 to anyone below read. Not under the /api group,
	// which requires sign-in.
	e.GET("/api/repo/*", h.Repo)
	e.HEAD("/api/repo/*", h.Repo)

	// Catalog pages (spec §6): any signed-in user may ask; pageAccess
	// (pages.go) answers 404 for pages they may not read and 403 for changes
	// by non-admins. The Builder is for admins.
	app.GET("/pages/:identifier", h.CatalogPage)
	app.GET("/pages/:identifier/permissions", h.PagePermissionsDialog)
	app.POST("/pages/:identifier/permissions", h.SetPagePermissions)
	app.POST("/pages/:identifier/view", h.SaveView)
	app.POST("/pages/:identifier/lock", h.LockPage)
	app.POST("/pages/:identifier/unlock", h.UnlockPage)
	adm.GET("/builder", h.Builder)
	adm.GET("/builder/new", h.NewPageForm)
	adm.POST("/builder", h.CreatePage)
	adm.GET("/builder/:identifier/edit", h.EditPageForm)
	adm.POST("/builder/:identifier", h.UpdatePage)
	adm.GET("/builder/:identifier/delete", h.DeletePageForm)
	adm.POST("/builder/:identifier/delete", h.DeletePage)

	// JSON API: signed in, JSON bodies up to 1 MiB.
	api := e.Group("/api", requireUser)
	// Tokens and the scope catalog.
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

	// Channels JSON API: signed in; levels checked per channel by the handlers.
	api.GET("/channels", h.APIChannels)
	apiAdm.POST("/channels", h.APICreateChannel)
	api.GET("/channels/:name", h.APIChannel)
	api.PATCH("/channels/:name", h.APIUpdateChannel)
	api.DELETE("/channels/:name", h.APIDeleteChannel)
	api.POST("/channels/:name/subchannels", h.APICreateSubchannel)
	api.DELETE("/channels/:name/subchannels/:sub", h.APIDeleteSubchannel)
	api.GET("/channels/:name/artifacts", h.APIArtifacts)
	api.DELETE("/channels/:name/artifacts/:subdir/:filename", h.APIDeleteArtifact)
	api.DELETE("/channels/:name/subchannels/:sub/artifacts/:subdir/:filename", h.APIDeleteArtifact)
	api.GET("/channels/:name/permissions", h.APIChannelPermissions)
	api.PATCH("/channels/:name/permissions", h.APIPatchChannelPermissions)

	// Catalog pages, Port's wire format (spec §6): signed in, JSON bodies up
	// to 1 MiB. Who may read or change a page is decided per page by
	// pageAccess (pages.go): unreadable pages are 404, changes need admins.
	v1 := e.Group("/v1", requireUser)
	v1.GET("/pages", h.APIPages)
	v1.POST("/pages", h.APICreatePage)
	v1.GET("/pages/:identifier", h.APIPage)
	v1.PATCH("/pages/:identifier", h.APIUpdatePage)
	v1.DELETE("/pages/:identifier", h.APIDeletePage)
	v1.GET("/pages/:identifier/permissions", h.APIPagePermissions)
	v1.PATCH("/pages/:identifier/permissions", h.APIUpdatePagePermissions)
}

// skipCSRF exempts requests that carry a token header: browsers never add
// those on their own, so they cannot be forged cross-site.
func skipCSRF(c echo.Context) bool {
	r := c.Request()
	return r.Header.Get("Authorization") != "" || r.Header.Get("X-Auth") != "" || c.Get(pathTokenKey) != nil
}

// bodyLimits caps every request body before anything reads it: the routes
// named in special get their own limit, the JSON API 1 MiB, forms 64 KiB.
func bodyLimits(special map[string]echo.MiddlewareFunc) echo.MiddlewareFunc {
	jsonLimit := web.BodyLimit(maxJSONBody, "The request body is larger than 1 MiB.")
	formLimit := web.BodyLimit(maxFormBody, "The form is larger than 64 KiB.")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		special := func() map[string]echo.HandlerFunc {
			out := make(map[string]echo.HandlerFunc, len(special))
			for k, mw := range special {
				out[k] = mw(next)
			}
			return out
		}()
		json, form := jsonLimit(next), formLimit(next)
		return func(c echo.Context) error {
			if h, ok := special[c.Request().Method+" "+c.Path()]; ok {
				return h(c)
			}
			if web.IsAPI(c) {
				return json(c)
			}
			return form(c)
		}
	}
}
