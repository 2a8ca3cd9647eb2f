package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/web"
)

// RouteRule is what a token needs to use one endpoint.
type RouteRule struct {
	// Scope is the scope a scope token must carry.
	Scope string
	// Level is the level the endpoint needs: on the channel for channel
	// routes, otherwise the level the scope carries.
	Level access.Level
	// Resource is set for the channel, artifact and conda routes a resource
	// token may use.
	Resource bool
	// Channel says where the channel's name is: a path parameter's name, or
	// "*" for the first segment of the wildcard (conda routes).
	Channel string
}

// Permissions is the one table of what every API endpoint and conda route
// needs from a token, keyed "METHOD /route/pattern" exactly as registered in
// Echo. A token may use nothing that is not listed (tests check that every
// registered /api and /v1 route has an entry). Sessions are not limited by
// it: their access is the user's own, checked by the groups and handlers.
var Permissions = map[string]RouteRule{
	// Tokens and the scope catalog.
	"GET /api/tokens":        {Scope: "user.token:view", Level: access.Manage},
	"POST /api/tokens":       {Scope: "user.token:edit", Level: access.Manage},
	"PATCH /api/tokens/:id":  {Scope: "user.token:edit", Level: access.Manage},
	"DELETE /api/tokens/:id": {Scope: "user.token:edit", Level: access.Manage},
	"GET /api/scopes":        {Scope: "user.token:view", Level: access.Manage},

	// Channels, subchannels, artifacts and channel permissions.
	"GET /api/channels":                                                       {Scope: "channel:view", Level: access.Read, Resource: true},
	"POST /api/channels":                                                      {Scope: "channel:create", Level: access.Write},
	"GET /api/channels/:name":                                                 {Scope: "channel:view", Level: access.Read, Resource: true, Channel: "name"},
	"PATCH /api/channels/:name":                                               {Scope: "channel:edit", Level: access.Manage, Resource: true, Channel: "name"},
	"DELETE /api/channels/:name":                                              {Scope: "channel:delete", Level: access.Manage, Resource: true, Channel: "name"},
	"POST /api/channels/:name/subchannels":                                    {Scope: "subchannel:create", Level: access.Manage, Resource: true, Channel: "name"},
	"DELETE /api/channels/:name/subchannels/:sub":                             {Scope: "subchannel:delete", Level: access.Manage, Resource: true, Channel: "name"},
	"GET /api/channels/:name/artifacts":                                       {Scope: "channel:view-artifacts", Level: access.Read, Resource: true, Channel: "name"},
	"POST /api/channels/:name/artifacts":                                      {Scope: "artifact:create", Level: access.Write, Resource: true, Channel: "name"},
	"DELETE /api/channels/:name/artifacts/:subdir/:filename":                  {Scope: "artifact:delete", Level: access.Manage, Resource: true, Channel: "name"},
	"DELETE /api/channels/:name/subchannels/:sub/artifacts/:subdir/:filename": {Scope: "artifact:delete", Level: access.Manage, Resource: true, Channel: "name"},
	"GET /api/channels/:name/permissions":                                     {Scope: "channel:view", Level: access.Read, Resource: true, Channel: "name"},
	"PATCH /api/channels/:name/permissions":                                   {Scope: "channel:edit", Level: access.Manage, Resource: true, Channel: "name"},

	// The conda protocol.
	"GET /api/repo/*":  {Scope: "artifact:download", Level: access.Read, Resource: true, Channel: "*"},
	"HEAD /api/repo/*": {Scope: "artifact:download", Level: access.Read, Resource: true, Channel: "*"},

	// Catalog pages.
	"GET /v1/pages":                           {Scope: "page:view", Level: access.Read},
	"POST /v1/pages":                          {Scope: "page:edit", Level: access.Manage},
	"GET /v1/pages/:identifier":               {Scope: "page:view", Level: access.Read},
	"PATCH /v1/pages/:identifier":             {Scope: "page:edit", Level: access.Manage},
	"DELETE /v1/pages/:identifier":            {Scope: "page:edit", Level: access.Manage},
	"GET /v1/pages/:identifier/permissions":   {Scope: "page:view", Level: access.Read},
	"PATCH /v1/pages/:identifier/permissions": {Scope: "page:edit", Level: access.Manage},

	// People and the audit log.
	"GET /api/users":        {Scope: "user:view", Level: access.Read},
	"POST /api/users":       {Scope: "user:edit", Level: access.Manage},
	"PATCH /api/users/:id":  {Scope: "user:edit", Level: access.Manage},
	"GET /api/teams":        {Scope: "team:view", Level: access.Read},
	"POST /api/teams":       {Scope: "team:edit", Level: access.Manage},
	"PATCH /api/teams/:id":  {Scope: "team:edit", Level: access.Manage},
	"DELETE /api/teams/:id": {Scope: "team:edit", Level: access.Manage},
	"GET /api/roles":        {Scope: "role:view", Level: access.Read},
	"POST /api/roles":       {Scope: "role:edit", Level: access.Manage},
	"DELETE /api/roles/:id": {Scope: "role:edit", Level: access.Manage},
	"GET /api/audit":        {Scope: "audit:view", Level: access.Manage},
}

// tokenOpenPaths are the non-API routes a token-authenticated request may
// reach: health checks and static files, which need nobody at all.
var tokenOpenPaths = map[string]bool{"/healthz": true, "/readyz": true, "/static/*": true}

// IsAPIRoute reports whether a route pattern belongs to the JSON API or the
// conda protocol, where tokens are accepted.
func IsAPIRoute(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/v1/") || path == "/api" || path == "/v1"
}

// enforceToken limits token-authenticated requests to what the token's
// type, scopes and resources allow, per the Permissions table. The owner's
// own access is checked after it, by the groups and by channelLevel.
func (h *Handlers) enforceToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := web.ActorOf(c)
		key := c.Request().Method + " " + c.Path()
		if !a.ViaToken() || !h.routes[key] || tokenOpenPaths[c.Path()] {
			return next(c) // sessions, anonymous visitors, and 404/405 answers
		}
		if !IsAPIRoute(c.Path()) {
			return web.Fail(http.StatusForbidden, "Access tokens work only on the JSON API and the conda routes; sign in to use this page.")
		}
		rule, ok := Permissions[key]
		if !ok {
			return web.Fail(http.StatusForbidden, "This endpoint does not accept access tokens.")
		}
		if err := checkTokenRule(c, a.TokenGrant, rule); err != nil {
			return err
		}
		return next(c)
	}
}

// checkTokenRule decides one request of a token against its route's rule.
func checkTokenRule(c echo.Context, g access.TokenGrant, rule RouteRule) error {
	if g.Kind() == access.KindScopes {
		if !g.HasScope(rule.Scope) {
			return web.Fail(http.StatusForbidden, fmt.Sprintf("The token lacks the scope %s, which this endpoint needs.", rule.Scope))
		}
		return nil
	}
	if !rule.Resource {
		return web.Fail(http.StatusForbidden, fmt.Sprintf("A resource token works only on channels, artifacts and conda routes; this endpoint needs a scope token with %s.", rule.Scope))
	}
	name := ruleChannel(c, rule)
	if name == "" {
		return nil // lists: filtered by channelLevel
	}
	if !g.Covers(name) {
		return models.ErrNotFound // the token must not learn which channels exist
	}
	best := access.None
	for _, r := range g.Resources {
		if r.Channel == name {
			best = max(best, r.Level)
		}
	}
	if best < rule.Level {
		return web.Fail(http.StatusForbidden, fmt.Sprintf("The token grants %s on %s; this endpoint needs %s.", best, name, rule.Level))
	}
	return nil
}

// ruleChannel is the channel a request names, per its rule.
func ruleChannel(c echo.Context, rule RouteRule) string {
	switch rule.Channel {
	case "":
		return ""
	case "*":
		name, _, _ := strings.Cut(strings.TrimPrefix(c.Param("*"), "/"), "/")
		return name
	}
	return c.Param(rule.Channel)
}
