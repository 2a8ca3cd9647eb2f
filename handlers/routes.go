package handlers

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"gatehouse/models/access"
	"gatehouse/web"
)

// Limits on request bodies outside artifact uploads.
const (
	maxFormBody = 64 << 10
	maxJSONBody = 1 << 20
)

// Levels, as the route table reads best.
const (
	read   = access.Read
	write  = access.Write
	manage = access.Manage
)

// Register is Gatehouse's one route table. Every path is listed here with
// the Rule it needs (rules.go): who may enter, the scope a token must
// carry, the level needed and which path parameter names the channel or
// page. authorize enforces the rule before anything reads a body; anything
// not listed is a 404, and refused to tokens.
func (h *Handlers) Register(e *echo.Echo) {
	e.Pre(tokenFromPath)
	e.Pre(web.RefuseUnstorableURL)
	e.Use(web.Compress(sentAsIs))
	// Body limits come first: the CSRF check may read a form body.
	uploadLimit := web.BodyLimit(h.Cfg.MaxUpload+1<<20, "The upload is larger than the artifact size limit.")
	osvLimit := web.BodyLimit(maxOSV+1<<20, fmt.Sprintf("The OSV document is larger than %d MiB.", maxOSV>>20))
	e.Use(bodyLimits(map[string]echo.MiddlewareFunc{
		"POST /channels/:name/upload":        uploadLimit,
		"POST /api/channels/:name/artifacts": uploadLimit,
		"POST /api/tokens/revoke":            passThrough, // reads what it needs itself
		"POST /admin/cves/import":            osvLimit,
		"POST /api/cves":                     osvLimit,
	}))
	e.Use(h.unlessCrossSite(h.loadActor))
	e.Use(h.authorize)
	e.Use(h.unlessCrossSite(web.RefuseUnstorableBody))
	e.Use(web.CSRF(h.Cfg.SecureCookies, skipCSRF))

	h.rules = map[string]Rule{}
	r := routeTable{e: e, rules: h.rules}

	// Public: no sign-in.
	live, ready := web.Health(h.Store, h.Blobs.Check)
	r.GET("/healthz", live, public)
	r.GET("/readyz", ready, public)
	r.GET("/static/*", echo.WrapHandler(h.Assets.Handler()), public)
	r.GET("/login", h.LoginForm, public)
	r.POST("/login", h.Login, public)
	// Single sign-on (404 when off): off to the identity provider and back.
	r.GET("/auth/oidc/login", h.SSOLogin, public)
	r.GET("/auth/oidc/callback", h.SSOCallback, public)
	// Reports of leaked token strings (spec §14): anyone, from anywhere.
	r.POST("/api/tokens/revoke", h.APIRevokeLeaked, crossSite)

	// Metrics (spec §11): on their own address when GATEHOUSE_METRICS_ADDR
	// is set (main serves them there); else here, to admins' tokens only.
	if h.Cfg.MetricsAddr == "" {
		r.GET("/metrics", echo.WrapHandler(h.Metrics.Handler()), machineAPI("metrics:view", manage))
	}

	// People: any signed-in user.
	r.GET("/", h.Home, signedIn)
	r.POST("/logout", h.Logout, signedIn)
	r.POST("/notices/:id/dismiss", h.DismissNotice, signedIn)

	// Tokens: everyone manages their own; admins see and delete anyone's.
	r.GET("/tokens", h.TokensPage, signedIn)
	r.GET("/tokens/new", h.NewTokenForm, signedIn)
	r.POST("/tokens", h.CreateToken, signedIn)
	r.GET("/tokens/:id/edit", h.EditTokenForm, signedIn)
	r.POST("/tokens/:id", h.EditToken, signedIn)
	r.GET("/tokens/:id/delete", h.DeleteTokenForm, signedIn)
	r.POST("/tokens/:id/delete", h.DeleteToken, signedIn)

	// Admin pages.
	r.GET("/admin/users", h.Users, adminOnly)
	r.GET("/admin/users/new", h.NewUserForm, adminOnly)
	r.POST("/admin/users", h.CreateUser, adminOnly)
	r.GET("/admin/users/:id/edit", h.EditUserForm, adminOnly)
	r.POST("/admin/users/:id", h.UpdateUser, adminOnly)
	r.GET("/admin/teams", h.Teams, adminOnly)
	r.GET("/admin/teams/new", h.NewTeamForm, adminOnly)
	r.POST("/admin/teams", h.CreateTeam, adminOnly)
	r.GET("/admin/teams/:id/members", h.MembersForm, adminOnly)
	r.POST("/admin/teams/:id/members", h.SetMembers, adminOnly)
	r.GET("/admin/roles", h.Roles, adminOnly)
	r.POST("/admin/roles", h.CreateRole, adminOnly)
	r.GET("/admin/roles/:id/delete", h.DeleteRoleForm, adminOnly)
	r.POST("/admin/roles/:id/delete", h.DeleteRole, adminOnly)
	r.GET("/admin/settings", h.Settings, adminOnly)
	r.POST("/admin/settings", h.SaveSettings, adminOnly)
	r.POST("/admin/blobs/sweep", h.SweepBlobs, adminOnly)
	r.GET("/audit-log", h.AuditLog, adminOnly)
	// Package policy: licenses admins block, and vulnerability records.
	r.GET("/admin/licenses", h.Licenses, adminPage("system.license:view", manage))
	r.POST("/admin/licenses/block", h.BlockLicense, adminPage("system.license:edit", manage))
	r.POST("/admin/licenses/unblock", h.UnblockLicense, adminPage("system.license:edit", manage))
	r.GET("/admin/cves", h.CVEs, adminPage("cve:view", read))
	r.POST("/admin/cves/import", h.ImportCVEs, adminPage("cve:edit", manage))
	r.GET("/admin/cves/:id", h.CVE, adminPage("cve:view", read))
	r.POST("/admin/cves/:id/annotations", h.AnnotateCVE, adminPage("cve:edit", manage))
	r.POST("/admin/cves/:id/annotations/delete", h.RemoveCVEAnnotation, adminPage("cve:edit", manage))

	// Channels: the list shows what the viewer may read; each page needs
	// its level on the channel named by :name. Creating one: admins.
	r.GET("/channels", h.Channels, signedIn)
	// The install's default channels: each reader sees those they read;
	// changing the list needs manage on each channel added or taken off.
	r.GET("/default-channels", h.DefaultChannels, signedIn)
	r.POST("/default-channels", h.SaveDefaultChannels, eachChannel(""))
	r.GET("/channels/new", h.NewChannelForm, adminOnly)
	r.POST("/channels", h.CreateChannel, adminOnly)
	r.GET("/channels/:name", h.Channel, onChannel("name", read))
	r.GET("/channels/:name/edit", h.EditChannelForm, onChannel("name", manage))
	r.POST("/channels/:name", h.UpdateChannel, onChannel("name", manage))
	r.GET("/channels/:name/delete", h.DeleteChannelForm, onChannel("name", manage))
	r.POST("/channels/:name/delete", h.DeleteChannel, onChannel("name", manage))
	r.GET("/channels/:name/subchannels/new", h.NewSubchannelForm, onChannel("name", manage))
	r.POST("/channels/:name/subchannels", h.CreateSubchannel, onChannel("name", manage))
	r.GET("/channels/:name/subchannels/:sub/delete", h.DeleteSubchannelForm, onSubchannel("name", "sub", manage))
	r.POST("/channels/:name/subchannels/:sub/delete", h.DeleteSubchannel, onSubchannel("name", "sub", manage))
	r.GET("/channels/:name/permissions", h.ChannelPermissionsForm, onChannel("name", read))
	r.GET("/channels/:name/access", h.WhoHasAccess, onChannel("name", manage))
	r.POST("/channels/:name/permissions", h.SetChannelPermissions, onChannel("name", manage))
	r.GET("/channels/:name/upload", h.UploadForm, onChannel("name", write))
	r.POST("/channels/:name/upload", h.Upload, uploadTo("name", ""))
	r.GET("/channels/:name/history", h.ChannelHistory, onChannel("name", manage))
	r.GET("/channels/:name/subchannels/:sub/history", h.ChannelHistory, onSubchannel("name", "sub", manage))
	r.GET("/channels/:name/artifacts/delete", h.DeleteArtifactForm, onChannel("name", manage))
	// Mirrors: a channel's, its subchannels' included, for its managers;
	// every mirror the viewer manages.
	r.GET("/mirrors", h.AllMirrors, managedList(""))
	r.GET("/channels/:name/mirrors", h.ChannelMirrors, onChannel("name", manage))
	r.GET("/channels/:name/mirrors/new", h.NewMirrorForm, onChannel("name", manage))
	r.POST("/channels/:name/mirrors", h.CreateMirror, onChannel("name", manage))
	r.GET("/channels/:name/mirrors/:id/edit", h.EditMirrorForm, onChannel("name", manage))
	r.POST("/channels/:name/mirrors/:id", h.UpdateMirror, onChannel("name", manage))
	r.POST("/channels/:name/mirrors/:id/run", h.RunMirrorNow, onChannel("name", manage))
	r.GET("/channels/:name/mirrors/:id/delete", h.DeleteMirrorForm, onChannel("name", manage))
	r.POST("/channels/:name/mirrors/:id/delete", h.DeleteMirror, onChannel("name", manage))
	r.POST("/channels/:name/artifacts/delete", h.DeleteArtifact, onChannel("name", manage))

	// Channel groups: the list shows what the viewer may read; each page
	// needs its level on the group; creating one: admins. Subchannel
	// groups live on their channel's page.
	r.GET("/groups", h.GroupsPage, signedIn)
	r.GET("/groups/new", h.NewGroupForm, adminOnly)
	r.POST("/groups", h.CreateGroup, adminOnly)
	r.GET("/groups/:group", h.GroupPage, onGroup("group", read))
	r.GET("/groups/:group/edit", h.EditGroupForm, onGroup("group", manage))
	r.POST("/groups/:group", h.UpdateGroup, onGroup("group", manage))
	r.GET("/groups/:group/permissions", h.GroupPermissionsForm, onGroup("group", read))
	r.POST("/groups/:group/permissions", h.SetGroupPermissions, onGroup("group", manage))
	r.GET("/groups/:group/delete", h.DeleteGroupForm, onGroup("group", manage))
	r.POST("/groups/:group/delete", h.DeleteGroup, onGroup("group", manage))
	r.GET("/channels/:name/subchannel-groups/new", h.NewSubGroupForm, onChannel("name", manage))
	r.POST("/channels/:name/subchannel-groups", h.CreateSubGroup, onChannel("name", manage))
	r.GET("/channels/:name/subchannel-groups/:group/edit", h.EditSubGroupForm, onChannel("name", manage))
	r.POST("/channels/:name/subchannel-groups/:group", h.UpdateSubGroup, onChannel("name", manage))
	r.GET("/channels/:name/subchannel-groups/:group/delete", h.DeleteSubGroupForm, onChannel("name", manage))
	r.POST("/channels/:name/subchannel-groups/:group/delete", h.DeleteSubGroup, onChannel("name", manage))

	// The conda channel protocol: public channels need nobody; a private
	// channel answers 404 to anyone below read.
	r.GET("/api/repo/*", h.Repo, condaRepo("artifact:download"))
	r.HEAD("/api/repo/*", h.Repo, condaRepo("artifact:download"))

	// Catalog pages (spec §6): a page the viewer may not read is a 404;
	// changes need manage, which only admins hold.
	r.GET("/pages/:identifier", h.CatalogPage, onPage("identifier", read))
	r.GET("/pages/:identifier/permissions", h.PagePermissionsDialog, onPage("identifier", read))
	r.GET("/pages/:identifier/access", h.WhoHasAccess, onPage("identifier", read))
	r.POST("/pages/:identifier/permissions", h.SetPagePermissions, onPage("identifier", manage))
	r.POST("/pages/:identifier/view", h.SaveView, onPage("identifier", manage))
	r.POST("/pages/:identifier/lock", h.LockPage, onPage("identifier", manage))
	r.POST("/pages/:identifier/unlock", h.UnlockPage, onPage("identifier", manage))
	r.GET("/builder", h.Builder, adminOnly)
	r.GET("/builder/new", h.NewPageForm, adminOnly)
	r.POST("/builder", h.CreatePage, adminOnly)
	r.GET("/builder/:identifier/edit", h.EditPageForm, onPage("identifier", manage))
	r.POST("/builder/:identifier", h.UpdatePage, onPage("identifier", manage))
	r.GET("/builder/:identifier/delete", h.DeletePageForm, onPage("identifier", manage))
	r.POST("/builder/:identifier/delete", h.DeletePage, onPage("identifier", manage))

	// JSON API: tokens and the scope catalog.
	r.GET("/api/tokens", h.APITokens, api("user.token:view", manage))
	r.POST("/api/tokens", h.APICreateToken, api("user.token:edit", manage))
	r.PATCH("/api/tokens/:id", h.APIUpdateToken, api("user.token:edit", manage))
	r.DELETE("/api/tokens/:id", h.APIDeleteToken, api("user.token:edit", manage))
	r.GET("/api/scopes", h.APIScopes, api("user.token:view", manage))
	r.GET("/api/settings", h.APISettings, api("system.settings:edit", manage))
	r.PATCH("/api/settings", h.APIUpdateSettings, api("system.settings:edit", manage))
	r.GET("/api/blobs/sweep", h.APILastSweep, api("system:delete-blobs", manage))
	r.POST("/api/blobs/sweep", h.APISweepBlobs, api("system:delete-blobs", manage))

	// People and the audit log (admins).
	r.GET("/api/users", h.APIUsers, api("user:view", read))
	r.POST("/api/users", h.APICreateUser, api("user:edit", manage))
	r.PATCH("/api/users/:id", h.APIUpdateUser, api("user:edit", manage))
	r.GET("/api/teams", h.APITeams, api("team:view", read))
	r.POST("/api/teams", h.APICreateTeam, api("team:edit", manage))
	r.PATCH("/api/teams/:id", h.APIUpdateTeam, api("team:edit", manage))
	r.DELETE("/api/teams/:id", h.APIDeleteTeam, api("team:edit", manage))
	r.GET("/api/roles", h.APIRoles, api("role:view", read))
	r.POST("/api/roles", h.APICreateRole, api("role:edit", manage))
	r.DELETE("/api/roles/:id", h.APIDeleteRole, api("role:edit", manage))
	r.GET("/api/audit", h.APIAudit, api("audit:view", manage))

	// Package policy: licenses and vulnerability records (OSV).
	r.GET("/api/licenses", h.APILicenses, api("system.license:view", manage))
	r.POST("/api/licenses/blocked", h.APIBlockLicense, api("system.license:edit", manage))
	r.POST("/api/licenses/unblock", h.APIUnblockLicense, api("system.license:edit", manage))
	r.GET("/api/cves", h.APICVEs, api("cve:view", read))
	r.POST("/api/cves", h.APIImportCVEs, api("cve:edit", manage))
	r.POST("/api/cves/fetch", h.APIFetchCVEs, api("cve:edit", manage))
	r.GET("/api/cves/:id", h.APICVE, api("cve:view", read))
	r.POST("/api/cves/:id/annotations", h.APIAnnotateCVE, api("cve:edit", manage))
	r.DELETE("/api/cves/:id/annotations/:package", h.APIRemoveCVEAnnotation, api("cve:edit", manage))

	// Channels, subchannels, artifacts and channel permissions.
	r.GET("/api/channels", h.APIChannels, channelList("channel:view"))
	r.GET("/api/default-channels", h.APIDefaultChannels, channelList("channel:view"))
	r.GET("/api/condarc", h.APICondarc, channelList("channel:view"))
	r.PUT("/api/default-channels", h.APISetDefaultChannels, eachChannel("channel.default-channel:edit"))
	r.POST("/api/channels", h.APICreateChannel, api("channel:create", write))
	r.GET("/api/channels/:name", h.APIChannel, channelAPI("name", "channel:view", read))
	r.PATCH("/api/channels/:name", h.APIUpdateChannel, channelAPI("name", "channel:edit", manage))
	r.DELETE("/api/channels/:name", h.APIDeleteChannel, channelAPI("name", "channel:delete", manage))
	r.GET("/api/channels/:name/subchannels", h.APISubchannels, channelAPI("name", "subchannel:view", read))
	r.POST("/api/channels/:name/subchannels", h.APICreateSubchannel, channelAPI("name", "subchannel:create", manage))
	r.GET("/api/channels/:name/subchannels/:sub", h.APISubchannel, subchannelAPI("name", "sub", "subchannel:view", read))
	r.PATCH("/api/channels/:name/subchannels/:sub", h.APIUpdateSubchannel, subchannelAPI("name", "sub", "subchannel:edit", manage))
	r.GET("/api/channels/:name/subchannels/:sub/artifacts", h.APIArtifacts, subchannelAPI("name", "sub", "subchannel:view-artifacts", read))
	r.DELETE("/api/channels/:name/subchannels/:sub", h.APIDeleteSubchannel, subchannelAPI("name", "sub", "subchannel:delete", manage))
	r.GET("/api/channels/:name/artifacts", h.APIArtifacts, channelAPI("name", "channel:view-artifacts", read))
	r.POST("/api/channels/:name/artifacts", h.APIUpload, uploadTo("name", "artifact:create"))
	r.GET("/api/channels/:name/artifacts/:subdir/:filename", h.APIArtifact, channelAPI("name", "artifact:view", read))
	r.GET("/api/channels/:name/subchannels/:sub/artifacts/:subdir/:filename", h.APIArtifact, subchannelAPI("name", "sub", "artifact:view", read))
	r.PATCH("/api/channels/:name/artifacts/:subdir/:filename", h.APIUpdateArtifact, channelAPI("name", "artifact:edit", manage))
	r.PATCH("/api/channels/:name/subchannels/:sub/artifacts/:subdir/:filename", h.APIUpdateArtifact, subchannelAPI("name", "sub", "artifact:edit", manage))
	r.DELETE("/api/channels/:name/artifacts/:subdir/:filename", h.APIDeleteArtifact, channelAPI("name", "artifact:delete", manage))
	r.DELETE("/api/channels/:name/subchannels/:sub/artifacts/:subdir/:filename", h.APIDeleteArtifact, subchannelAPI("name", "sub", "artifact:delete", manage))
	r.GET("/api/channels/:name/history", h.APIChannelHistory, channelAPI("name", "channel:history", manage))
	r.GET("/api/channels/:name/subchannels/:sub/history", h.APIChannelHistory, subchannelAPI("name", "sub", "subchannel:history", manage))
	r.GET("/api/channels/:name/permissions", h.APIChannelPermissions, channelAPI("name", "channel:view", read))
	r.PATCH("/api/channels/:name/permissions", h.APIPatchChannelPermissions, channelAPI("name", "channel:edit", manage))
	// Who has access (spec §14): the people behind the grants, for managers.
	r.GET("/api/channels/:name/access", h.APIWhoHasAccess, channelAPI("name", "channel:edit", manage))

	// Channel groups: a group the caller may not read is a 404; creating
	// one needs an admin; changing members also needs manage on each
	// channel added or removed (groups.go).
	r.GET("/api/groups", h.APIGroups, groupList("channel.group:view"))
	r.POST("/api/groups", h.APICreateGroup, api("channel.group:edit", manage))
	r.GET("/api/groups/:group", h.APIGroup, groupAPI("group", "channel.group:view", read))
	r.PATCH("/api/groups/:group", h.APIUpdateGroup, groupAPI("group", "channel.group:edit", manage))
	r.DELETE("/api/groups/:group", h.APIDeleteGroup, groupAPI("group", "channel.group:edit", manage))
	r.GET("/api/groups/:group/permissions", h.APIGroupPermissions, groupAPI("group", "channel.group:view", read))
	r.PATCH("/api/groups/:group/permissions", h.APIPatchGroupPermissions, groupAPI("group", "channel.group:edit", manage))
	// Subchannel groups: on their channel, like its subchannels.
	r.GET("/api/channels/:name/subchannel-groups", h.APISubGroups, channelAPI("name", "subchannel.group:view", read))
	r.POST("/api/channels/:name/subchannel-groups", h.APICreateSubGroup, channelAPI("name", "subchannel.group:edit", manage))
	r.PATCH("/api/channels/:name/subchannel-groups/:group", h.APIUpdateSubGroup, channelAPI("name", "subchannel.group:edit", manage))
	r.DELETE("/api/channels/:name/subchannel-groups/:group", h.APIDeleteSubGroup, channelAPI("name", "subchannel.group:edit", manage))
	// Mirrors: manage on the channel (subchannel mirrors too: on the parent
	// channel, not a pair on the subchannel alone).
	r.GET("/api/mirrors", h.APIAllMirrors, managedList("mirror:view"))
	for _, m := range []struct{ prefix, sub, view, edit string }{
		{"/api/channels/:name/mirrors", "", "channel.mirror:view", "channel.mirror:edit"},
		{"/api/channels/:name/subchannels/:sub/mirrors", "sub", "subchannel.mirror:view", "subchannel.mirror:edit"},
	} {
		r.GET(m.prefix, h.APIMirrors, channelAPI("name", m.view, manage))
		r.POST(m.prefix, h.APICreateMirror, channelAPI("name", m.edit, manage))
		r.GET(m.prefix+"/:id", h.APIMirror, channelAPI("name", m.view, manage))
		r.PATCH(m.prefix+"/:id", h.APIUpdateMirror, channelAPI("name", m.edit, manage))
		r.DELETE(m.prefix+"/:id", h.APIDeleteMirror, channelAPI("name", m.edit, manage))
		r.POST(m.prefix+"/:id/run", h.APIRunMirror, channelAPI("name", m.edit, manage))
		r.GET(m.prefix+"/:id/runs", h.APIMirrorRuns, channelAPI("name", m.view, manage))
	}

	// Catalog pages, Port's wire format (spec §6).
	r.GET("/v1/pages", h.APIPages, api("page:view", read))
	r.POST("/v1/pages", h.APICreatePage, api("page:edit", manage))
	r.GET("/v1/pages/:identifier", h.APIPage, pageAPI("identifier", "page:view", read))
	r.PATCH("/v1/pages/:identifier", h.APIUpdatePage, pageAPI("identifier", "page:edit", manage))
	r.DELETE("/v1/pages/:identifier", h.APIDeletePage, pageAPI("identifier", "page:edit", manage))
	r.GET("/v1/pages/:identifier/permissions", h.APIPagePermissions, pageAPI("identifier", "page:view", read))
	r.PATCH("/v1/pages/:identifier/permissions", h.APIUpdatePagePermissions, pageAPI("identifier", "page:edit", manage))
	// Who reads a page (spec §14): for anyone who may see its permissions.
	r.GET("/v1/pages/:identifier/readers", h.APIWhoHasAccess, pageAPI("identifier", "page:view", read))
}

// sentAsIs names the answers gzip leaves alone: the conda routes (package
// files are compressed already; repodata.json has its own precompressed
// copies), static assets (precompressed at start) and /metrics (which
// compresses itself).
func sentAsIs(c echo.Context) bool {
	switch c.Path() {
	case "/api/repo/*", "/static/*", "/metrics":
		return true
	}
	return false
}

// skipCSRF exempts requests that carry a token header: browsers never add
// those on their own, so they cannot be forged cross-site. Uploads check
// their CSRF token themselves, before reading the package (artifacts.go);
// the conda protocol changes nothing.
func skipCSRF(c echo.Context) bool {
	r := c.Request()
	rule := ruleOf(c)
	return r.Header.Get("Authorization") != "" || r.Header.Get("X-Auth") != "" || c.Get(pathTokenKey) != nil ||
		rule.Within || rule.Anonymous || // the conda protocol only reads, and clients keep no cookies
		rule.CrossSite // leak reports read no session
}

// passThrough leaves a request as it is.
func passThrough(next echo.HandlerFunc) echo.HandlerFunc { return next }

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
