package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"gatehouse/models/access"
	"gatehouse/web"
)

// Rule is what one route needs, declared beside its handler in routes.go.
// authorize enforces it for every request before anything reads a body.
type Rule struct {
	// Scope names the route's action, for scope tokens and for the
	// engine; "" marks a page for people in a browser: tokens are refused.
	Scope string
	// Level is what the action needs on its target.
	Level access.Level
	// On is the kind of target. Param names the path parameter that holds
	// the channel or page, and SubParam the one that holds a subchannel;
	// with no Param the handler resolves its targets itself (lists, the
	// conda wildcard) through the same decision.
	On       access.TargetKind
	Param    string
	SubParam string
	// Within lets the level be held on the channel or on any one of its
	// subchannels: uploads learn their subchannel only from the body.
	Within bool
	// Public routes need nobody (health, assets, sign-in); Anonymous ones
	// serve people who are not signed in too (the conda protocol, for
	// public channels).
	Public, Anonymous bool
	// CrossSite routes are public and called from anywhere: no session or
	// token is read and no CSRF token asked (reporting leaked tokens).
	CrossSite bool
	// TokensOnly routes are for machines: a browser session is refused.
	TokensOnly bool
	// Lists marks a list the handler filters down to what the caller
	// holds Level on: anyone may ask and may get an empty list.
	Lists bool
	// PeopleOnly routes are pages that still name the scope whose feature
	// they show: the engine decides with it, and tokens are refused.
	PeopleOnly bool
}

// The rules routes.go declares.
var (
	// public needs nobody at all.
	public = Rule{Public: true}
	// signedIn is a page for any signed-in person.
	signedIn = Rule{On: access.OnSystem, Level: access.Read}
	// adminOnly is a page for admins.
	adminOnly = Rule{On: access.OnSystem, Level: access.Manage}
	// crossSite needs nobody and reads no credentials at all.
	crossSite = Rule{Public: true, CrossSite: true}
)

// unlessCrossSite runs mw except on CrossSite routes, which must answer the
// same whatever credentials come with them.
func (h *Handlers) unlessCrossSite(mw echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		with := mw(next)
		return func(c echo.Context) error {
			if h.rules[c.Request().Method+" "+c.Path()].CrossSite {
				return next(c)
			}
			return with(c)
		}
	}
}

// api is a JSON endpoint on no one channel or page.
func api(scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnSystem}
}

// adminPage is a page for people on a feature a scope names (licenses,
// vulnerabilities): the engine decides with the scope at need.
func adminPage(scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnSystem, PeopleOnly: true}
}

// machineAPI is an endpoint for machines only, read with an access token.
func machineAPI(scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnSystem, TokensOnly: true}
}

// channelAPI is a JSON endpoint on the channel named by param.
func channelAPI(param, scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnChannel, Param: param}
}

// subchannelAPI is a JSON endpoint on subchannel sub of channel param.
func subchannelAPI(param, sub, scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnChannel, Param: param, SubParam: sub}
}

// onChannel is a page or dialog on the channel named by param.
func onChannel(param string, need access.Level) Rule {
	return Rule{Level: need, On: access.OnChannel, Param: param}
}

// onSubchannel is a page or dialog on subchannel sub of channel param.
func onSubchannel(param, sub string, need access.Level) Rule {
	return Rule{Level: need, On: access.OnChannel, Param: param, SubParam: sub}
}

// channelList lists channels; the handler keeps those the actor may read.
func channelList(scope string) Rule {
	return Rule{Scope: scope, Level: access.Read, On: access.OnChannel}
}

// managedList lists things of the channels the actor manages; the handler
// keeps those channels (see visibleMirrors).
func managedList(scope string) Rule {
	return Rule{Scope: scope, Level: access.Manage, On: access.OnChannel, Lists: true}
}

// eachChannel changes something that names channels (the default channel
// list): only someone who manages a channel may; the handler decides the
// level needed on each channel named.
func eachChannel(scope string) Rule {
	return Rule{Scope: scope, Level: access.Manage, On: access.OnChannel}
}

// uploadTo receives a package for channel param or one of its subchannels.
func uploadTo(param, scope string) Rule {
	return Rule{Scope: scope, Level: access.Write, On: access.OnChannel, Param: param, Within: true}
}

// condaRepo serves the conda protocol: the channel comes from the wildcard,
// and public channels need nobody.
func condaRepo(scope string) Rule {
	return Rule{Scope: scope, Level: access.Read, On: access.OnChannel, Anonymous: true}
}

// groupAPI is a JSON endpoint on the channel group named by param.
func groupAPI(param, scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnGroup, Param: param}
}

// onGroup is a page or dialog on the channel group named by param.
func onGroup(param string, need access.Level) Rule {
	return Rule{Level: need, On: access.OnGroup, Param: param}
}

// groupList lists channel groups; the handler keeps those the actor may read.
func groupList(scope string) Rule {
	return Rule{Scope: scope, Level: access.Read, On: access.OnGroup}
}

// pageAPI is a JSON endpoint on the catalog page named by param.
func pageAPI(param, scope string, need access.Level) Rule {
	return Rule{Scope: scope, Level: need, On: access.OnPage, Param: param}
}

// onPage is a page or dialog on the catalog page named by param.
func onPage(param string, need access.Level) Rule {
	return Rule{Level: need, On: access.OnPage, Param: param}
}

// routeTable registers routes with their rules: the only way routes.go
// adds a route, so none can be added without saying what it needs.
type routeTable struct {
	e     *echo.Echo
	rules map[string]Rule
}

func (t routeTable) add(method, path string, h echo.HandlerFunc, r Rule) {
	t.rules[method+" "+path] = r
	t.e.Add(method, path, h)
}

func (t routeTable) GET(path string, h echo.HandlerFunc, r Rule)  { t.add(http.MethodGet, path, h, r) }
func (t routeTable) HEAD(path string, h echo.HandlerFunc, r Rule) { t.add(http.MethodHead, path, h, r) }
func (t routeTable) POST(path string, h echo.HandlerFunc, r Rule) { t.add(http.MethodPost, path, h, r) }
func (t routeTable) PUT(path string, h echo.HandlerFunc, r Rule)  { t.add(http.MethodPut, path, h, r) }
func (t routeTable) PATCH(path string, h echo.HandlerFunc, r Rule) {
	t.add(http.MethodPatch, path, h, r)
}
func (t routeTable) DELETE(path string, h echo.HandlerFunc, r Rule) {
	t.add(http.MethodDelete, path, h, r)
}

const (
	ruleKey  = "gatehouse.rule"
	placeKey = "gatehouse.place"
	pageKey  = "gatehouse.page"
	groupKey = "gatehouse.group"
)

// ruleOf is the rule of the request's route (the zero Rule outside the table).
func ruleOf(c echo.Context) Rule {
	r, _ := c.Get(ruleKey).(Rule)
	return r
}

// placeOf is the channel (or subchannel) a channel route's rule resolved.
func placeOf(c echo.Context) place {
	p, _ := c.Get(placeKey).(place)
	return p
}

// groupOf is the channel group a group route's rule resolved.
func groupOf(c echo.Context) groupPlace {
	g, _ := c.Get(groupKey).(groupPlace)
	return g
}

// pageOf is the catalog page a page route's rule resolved.
func pageOf(c echo.Context) *catalogPage {
	p, _ := c.Get(pageKey).(*catalogPage)
	return p
}

// authorize enforces each route's Rule. Tokens reach only routes whose
// rule names a scope the token may use (fail closed: a route outside the
// table is refused to tokens). Then the rule's target is resolved and
// decided by the engine: a channel or page the actor may not read is a
// 404, exactly like one that does not exist; one read without the level
// needed is a 403.
func (h *Handlers) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a := web.ActorOf(c)
		rule, ok := h.rules[c.Request().Method+" "+c.Path()]
		if !ok {
			if a.ViaToken() {
				return web.Fail(http.StatusForbidden, "This endpoint does not accept access tokens.")
			}
			return next(c) // not a route (404, 405), or one a test added
		}
		c.Set(ruleKey, rule)
		if rule.Public {
			return next(c)
		}
		if a.ViaToken() {
			if err := tokenMayEnter(a.TokenGrant, rule); err != nil {
				return err
			}
		}
		if a.SignedIn() && !rule.Anonymous {
			// What a signed-in person sees is theirs alone: no cache keeps it.
			c.Response().Header().Set("Cache-Control", "no-store")
		}
		if !a.SignedIn() && !rule.Anonymous {
			if web.IsAPI(c) {
				return web.Fail(http.StatusUnauthorized, "Sign in or send an access token.")
			}
			return web.RedirectToLogin(c)
		}
		if rule.TokensOnly && !a.ViaToken() {
			return web.Fail(http.StatusForbidden, fmt.Sprintf("This endpoint is for machines: send an access token with the scope %s.", rule.Scope))
		}
		if err := h.resolve(c, a, rule); err != nil {
			return err
		}
		return next(c)
	}
}

// tokenMayEnter refuses a token at a route it can never use there.
func tokenMayEnter(g access.TokenGrant, rule Rule) error {
	switch {
	case rule.Scope == "" || rule.PeopleOnly:
		return web.Fail(http.StatusForbidden, "Access tokens work only on the JSON API and the conda routes; sign in to use this page.")
	case g.Admits(rule.Scope, rule.On):
		return nil
	case g.Kind() == access.KindScopes:
		return web.Fail(http.StatusForbidden, fmt.Sprintf("The token lacks the scope %s, which this endpoint needs.", rule.Scope))
	}
	return web.Fail(http.StatusForbidden, fmt.Sprintf("A resource token works only on channels, artifacts and conda routes; this endpoint needs a scope token with %s.", rule.Scope))
}

// resolve loads and decides the target a rule names.
func (h *Handlers) resolve(c echo.Context, a *web.Actor, rule Rule) error {
	switch {
	case rule.On == access.OnChannel && rule.Within:
		p, err := h.channelWithin(c, c.Param(rule.Param), rule.Level)
		if err != nil {
			return err
		}
		c.Set(placeKey, p)
	case rule.On == access.OnChannel && rule.Param != "":
		p, err := h.channelAt(c, c.Param(rule.Param), c.Param(rule.SubParam), rule.Level)
		if err != nil {
			return err
		}
		c.Set(placeKey, p)
	case rule.On == access.OnGroup && rule.Param != "":
		g, err := h.groupAt(c, c.Param(rule.Param), rule.Level)
		if err != nil {
			return err
		}
		c.Set(groupKey, g)
	case rule.On == access.OnPage && rule.Param != "":
		cp, err := h.pageAccess(c, rule.Level)
		if err != nil {
			return err
		}
		c.Set(pageKey, cp)
	case rule.On == access.OnSystem:
		if !access.May(a.Engine(), rule.Scope, rule.Level, access.System()) {
			return web.Fail(http.StatusForbidden, "Only admins may do this.")
		}
	}
	return nil
}
