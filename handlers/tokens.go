package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/pages/tokens"
	"gatehouse/web"
)

// visibleTokens lists the actor's own tokens, or everyone's for admins.
func (h *Handlers) visibleTokens(c echo.Context) ([]models.Token, error) {
	a := web.ActorOf(c)
	owner := a.User.ID
	if a.IsAdmin() {
		owner = 0 // every owner
	}
	return h.Store.Tokens(c.Request().Context(), owner)
}

// tokenList builds the token table for the actor — their own tokens, or
// everyone's for admins — narrowed and ordered by q.
func (h *Handlers) tokenList(c echo.Context, q tokenQuery) (tokens.List, error) {
	ts, err := h.visibleTokens(c)
	if err != nil {
		return tokens.List{}, err
	}
	a := web.ActorOf(c)
	now := h.Store.Now()
	l := tokens.List{ShowOwner: a.IsAdmin(), Total: len(ts),
		Filters: tokens.Filters{Q: q.Q, Owner: q.Owner, Type: q.Type, Expiring: q.Expiring, Sort: q.Sort, Desc: q.Desc}}
	for i := range ts {
		if o := ownerOf(&ts[i]); l.ShowOwner && (len(l.Filters.Owners) == 0 || l.Filters.Owners[len(l.Filters.Owners)-1] != o) {
			l.Filters.Owners = append(l.Filters.Owners, o) // tokens come ordered by owner
		}
	}
	ts = q.apply(ts, now)
	for i := range ts {
		l.Rows = append(l.Rows, tokenRow(&ts[i], a, now))
	}
	l.Headers = sortHeaders("/tokens", q.values(), q.Sort, q.Desc, tokenColumns)
	return l, nil
}

// tokenRow is one token as the table shows it.
func tokenRow(t *models.Token, a *web.Actor, now time.Time) tokens.Row {
	r := tokens.Row{ID: t.ID, Name: t.Name, Description: t.Description, Hint: t.Hint, Type: kindTitle(t.Kind),
		Grants: grantLines(t.Grant()), Owner: ownerOf(t),
		Created: when(t.CreatedAt, now, time.DateOnly), Expires: when(t.ExpiresAt.Add(-24*time.Hour), now, time.DateOnly),
		Expiry: expiryPhrase(t.ExpiresAt, now), Expired: t.Expired(now),
		ExpiringSoon: !t.Expired(now) && t.ExpiresAt.Sub(now) <= ownerNotice,
		CanEdit:      t.UserID == a.User.ID, CanDelete: true}
	// The last day is shown as a date; how far off counts to its end.
	r.Expires.Rel = relative(t.ExpiresAt, now)
	if t.LastUsedAt != nil {
		r.LastUsed = when(*t.LastUsedAt, now, "2006-01-02 15:04")
	}
	return r
}

func kindTitle(kind string) string {
	if kind == string(access.KindScopes) {
		return "Scopes"
	}
	return "Resources"
}

// grantLines says what a token grants, one line per resource or scope.
func grantLines(g access.TokenGrant) []string {
	out := slices.Clone(g.Scopes)
	for _, r := range g.Resources {
		out = append(out, r.Path()+": "+r.Level.String())
	}
	return out
}

func ownerOf(t *models.Token) string {
	if t.User == nil {
		return ""
	}
	return t.User.Email
}

// TokensPage shows the Tokens page.
func (h *Handlers) TokensPage(c echo.Context) error {
	q, err := readTokenQuery(c.QueryParams())
	if err != nil {
		return err
	}
	l, err := h.tokenList(c, q)
	if err != nil {
		return err
	}
	return h.page(c, http.StatusOK, "Tokens", tokens.TokensPage(tokens.Page{List: l}))
}

// tokenForm builds the Generate Token dialog's view model.
func (h *Handlers) tokenForm(c echo.Context) (tokens.Form, error) {
	chans, err := h.channelChoices(c)
	if err != nil {
		return tokens.Form{}, err
	}
	min, max, err := h.dateBounds(c)
	if err != nil {
		return tokens.Form{}, err
	}
	m := tokens.Form{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Type: string(access.KindResources), Channels: chans,
		MinDate: min, MaxDate: max, Errors: map[string]string{},
		ExpiresOn: h.Store.Now().UTC().AddDate(0, 3, 0).Format(time.DateOnly)}
	if m.ExpiresOn > max {
		m.ExpiresOn = max
	}
	// Scopes the person cannot grant are shown disabled, with the reason.
	a := web.ActorOf(c)
	held, err := h.Store.TokenHoldings(c.Request().Context(), a.User, access.TokenGrant{Scopes: []string{"channel:view"}})
	if err != nil {
		return tokens.Form{}, err
	}
	for _, cat := range access.Categories() {
		g := tokens.ScopeGroup{Name: cat.Name}
		for _, s := range cat.Scopes {
			box := tokens.ScopeBox{Name: s.Name, Level: s.Level.Title(), Description: s.Description()}
			if missing := access.Missing(access.TokenGrant{Scopes: []string{s.Name}}, held); len(missing) > 0 {
				box.Missing = "You cannot grant it: " + reasonOf(missing[0]) + "."
			}
			g.Scopes = append(g.Scopes, box)
		}
		m.Groups = append(m.Groups, g)
	}
	m.Resources = []tokens.ResourceRow{{Level: "read"}}
	return m, nil
}

// reasonOf is the parenthesised reason of one of access.Missing's lines.
func reasonOf(line string) string {
	if i := strings.Index(line, "("); i >= 0 {
		return strings.TrimSuffix(line[i+1:], ")")
	}
	return line
}

// dateBounds are the first and last expiration dates a token may be given
// today: today, and today plus the maximum lifetime.
func (h *Handlers) dateBounds(c echo.Context) (min, max string, err error) {
	set, err := h.Store.Settings(c.Request().Context())
	if err != nil {
		return "", "", err
	}
	today := h.Store.Now().UTC()
	return today.Format(time.DateOnly), today.AddDate(0, 0, set.MaxTokenLifetimeDays).Format(time.DateOnly), nil
}

// channelChoices lists "chan", "chan/sub" and "chan/group:<name>" for
// every channel the actor can read, with the level they hold there
// (subchannels and subchannel groups share it), then "group:<name>" for
// every channel group they can read, at their level on it.
func (h *Handlers) channelChoices(c echo.Context) ([]tokens.ChannelChoice, error) {
	chans, levels, err := h.readable(c)
	if err != nil || len(chans) == 0 {
		return nil, err
	}
	subs, err := h.Store.SubchannelsOf(c.Request().Context(), chans)
	if err != nil {
		return nil, err
	}
	subGroups, err := h.Store.SubchannelGroupNamesOf(c.Request().Context(), chans)
	if err != nil {
		return nil, err
	}
	var out []tokens.ChannelChoice
	for i, ch := range chans {
		choice := func(path string) tokens.ChannelChoice {
			return tokens.ChannelChoice{Path: path, Held: int(levels[i]), Name: levels[i].String()}
		}
		out = append(out, choice(ch.Name))
		for _, s := range subs {
			if s.ChannelID == ch.ID {
				out = append(out, choice(ch.Name+"/"+s.Name))
			}
		}
		for _, g := range subGroups[ch.ID] { // at the channel's level
			out = append(out, choice(ch.Name+"/"+access.GroupPrefix+g))
		}
	}
	gs, err := h.readableGroups(c)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		out = append(out, tokens.ChannelChoice{Path: access.GroupPrefix + g.G.Name, Held: int(g.Level), Name: g.Level.String()})
	}
	return out, nil
}

// NewTokenForm opens the Generate Token dialog.
func (h *Handlers) NewTokenForm(c echo.Context) error {
	m, err := h.tokenForm(c)
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Generate Token", tokens.TokenDialog(m))
}

// grantFromForm reads the Type and then only that type's fields, so the
// form can never produce a token with both.
func grantFromForm(c echo.Context) (access.TokenGrant, error) {
	var g access.TokenGrant
	switch c.FormValue("type") {
	case string(access.KindScopes):
		g.Scopes = formValues(c, "scopes")
	case string(access.KindResources):
		chans, levels := formValues(c, "resource_channel"), formValues(c, "resource_level")
		if len(chans) != len(levels) {
			return g, models.Invalid("resources", "Each resource needs a channel and a permission.")
		}
		for i := range chans {
			if strings.TrimSpace(chans[i]) == "" {
				continue
			}
			r, err := access.ParseResource(chans[i], levels[i])
			if err != nil {
				return g, models.Invalid("resources", "%s.", err.Error())
			}
			g.Resources = append(g.Resources, r)
		}
	default:
		return g, models.Invalid("type", "Type must be Resources or Scopes.")
	}
	return g, nil
}

// CreateToken handles the Generate Token dialog.
func (h *Handlers) CreateToken(c echo.Context) error {
	in := models.NewToken{Name: c.FormValue("name"), Description: c.FormValue("description"), ExpiresOn: c.FormValue("expires_at")}
	g, err := grantFromForm(c)
	if err == nil {
		in.Grant = g
		var t *models.Token
		var secret string
		if t, secret, err = h.createToken(c, in); err == nil {
			return h.tokenDone(c, &tokens.Created{ID: t.ID, Name: t.Name, Secret: secret, CondaLines: h.condaLines(c, t, secret), Condarc: h.tokenCondarc(c, t, secret)}, 0, "")
		}
	}
	fields, banner, ferr := formFault(err)
	if ferr != nil {
		return ferr
	}
	m, merr := h.tokenForm(c)
	if merr != nil {
		return merr
	}
	m.Name, m.Description, m.ExpiresOn, m.Type = in.Name, in.Description, in.ExpiresOn, c.FormValue("type")
	m.Errors, m.Error = fields, banner
	if m.Type == string(access.KindResources) {
		if rows := resourceRows(c); len(rows) > 0 {
			m.Resources = rows
		}
	}
	checked := formValues(c, "scopes")
	for gi := range m.Groups {
		for si := range m.Groups[gi].Scopes {
			m.Groups[gi].Scopes[si].Checked = slices.Contains(checked, m.Groups[gi].Scopes[si].Name)
		}
	}
	return h.dialog(c, http.StatusUnprocessableEntity, "Generate Token", tokens.TokenDialog(m))
}

func resourceRows(c echo.Context) []tokens.ResourceRow {
	chans, levels := formValues(c, "resource_channel"), formValues(c, "resource_level")
	var out []tokens.ResourceRow
	for i := range min(len(chans), len(levels)) {
		out = append(out, tokens.ResourceRow{Channel: chans[i], Level: levels[i]})
	}
	return out
}

// createToken stores a token for the actor and audits it (never the string).
// A token-authenticated caller cannot create a token stronger or
// longer-lived than itself.
func (h *Handlers) createToken(c echo.Context, in models.NewToken) (*models.Token, string, error) {
	a := web.ActorOf(c)
	if err := tokenWithin(a, in.Grant, models.ExpiresAtOf(in.ExpiresOn), "create"); err != nil {
		return nil, "", err
	}
	t, secret, err := h.Store.CreateToken(c.Request().Context(), a.User, in)
	if err != nil {
		return nil, "", err
	}
	h.audit(c, "token.create", t.Name, map[string]any{"token_id": t.ID, "type": t.Kind, "grants": grantLines(t.Grant()), "expires": t.ExpiryDate()})
	return t, secret, nil
}

// tokenWithin refuses, for a token-authenticated caller, a token (created,
// extended, revived or re-issued) that could do more or live longer than
// the caller's own token; sessions pass (the store checks the owner).
func tokenWithin(a *web.Actor, g access.TokenGrant, expires time.Time, verb string) error {
	if !a.ViaToken() {
		return nil
	}
	self := a.Engine().Token
	if more := access.Exceeds(access.Token{Grant: g, ExpiresAt: expires}, *self); len(more) > 0 {
		return models.Invalid(fieldOfGrant(g), "A token cannot %s a token stronger or longer-lived than itself. Beyond it: %s.", verb, strings.Join(more, "; "))
	}
	return nil
}

func fieldOfGrant(g access.TokenGrant) string {
	if g.Kind() == access.KindResources {
		return "resources"
	}
	return "scopes"
}

// condaLines are the ready-made conda commands of a resource token.
func (h *Handlers) condaLines(c echo.Context, t *models.Token, secret string) []tokens.CondaLine {
	g := t.Grant()
	var out []tokens.CondaLine
	for _, r := range g.Resources {
		line := tokens.CondaLine{Channel: r.Path(), Line: "conda config --add channels " + h.baseURL(c) + "/t/" + secret + "/api/repo/" + r.Path()}
		if !slices.Contains(out, line) {
			out = append(out, line)
		}
	}
	return out
}

// tokenCondarc is a ready .condarc for a new token string: the /t/<TOKEN>/
// alias, the default channels the token reads (those of its channels for
// a resource token; all the owner reads for one with artifact:download),
// and a resource token's channels. "" when the token reads no packages,
// or the defaults cannot be read now: the token is made, its string must
// be shown.
func (h *Handlers) tokenCondarc(c echo.Context, t *models.Token, secret string) string {
	g := t.Grant()
	if g.Kind() == access.KindScopes && !g.HasScope("artifact:download") {
		return ""
	}
	defaults, err := h.visibleDefaults(c)
	if err != nil {
		h.Log.Warn("tokens: no .condarc for the new token", "err", err)
		return ""
	}
	var extra []string
	if g.Kind() == access.KindResources {
		whole := map[string]bool{}
		for _, r := range g.Resources {
			if r.Sub == "" {
				whole[r.Channel] = true
			}
			if !slices.Contains(extra, r.Path()) {
				extra = append(extra, r.Path())
			}
		}
		defaults = slices.DeleteFunc(defaults, func(n string) bool { return !whole[n] })
	}
	return condarc(defaults, h.channelAlias(c, secret), extra...)
}

// tokenDone answers a successful Create, Edit or Delete: for htmx the
// refreshed list (with the filters the page had), the dialog closed and a
// notification above the table (with the string, once) — and gone, the
// token whose earlier string stopped working, taken off the page; without
// script the Tokens page with the string on it. Neither may be cached, and
// the string is never put in a redirect.
func (h *Handlers) tokenDone(c echo.Context, created *tokens.Created, gone uint, notice string) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	var q tokenQuery
	if u, err := url.Parse(c.Request().Header.Get("HX-Current-URL")); err == nil && u.Path == "/tokens" {
		q, _ = readTokenQuery(u.Query()) // a bad filter shows the whole list
	}
	l, err := h.tokenList(c, q)
	if err != nil {
		return err
	}
	if web.IsHTMX(c) {
		c.Response().Header().Set("HX-Retarget", "#token-list")
		c.Response().Header().Set("HX-Reswap", "outerHTML")
		return web.Render(c, http.StatusOK, tokens.CreatedResponse(l, created, gone, notice))
	}
	if created == nil {
		return web.Redirect(c, "/tokens")
	}
	return h.page(c, http.StatusOK, "Tokens", tokens.TokensPage(tokens.Page{List: l, Created: created}))
}

// ownToken loads one of the actor's own tokens; anyone else's is a 404.
func (h *Handlers) ownToken(c echo.Context) (*models.Token, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	return h.Store.Token(c.Request().Context(), web.ActorOf(c).User.ID, id)
}

// deletableToken loads a token the actor may delete: their own, or anyone's
// for admins.
func (h *Handlers) deletableToken(c echo.Context) (*models.Token, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return nil, err
	}
	a := web.ActorOf(c)
	owner := a.User.ID
	if a.IsAdmin() {
		owner = 0
	}
	return h.Store.Token(c.Request().Context(), owner, id)
}

// EditTokenForm opens the Edit dialog.
func (h *Handlers) EditTokenForm(c echo.Context) error {
	t, err := h.ownToken(c)
	if err != nil {
		return err
	}
	min, max, err := h.dateBounds(c)
	if err != nil {
		return err
	}
	m := tokens.Form{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), ID: t.ID, Name: t.Name, Description: t.Description,
		ExpiresOn: t.ExpiryDate(), MinDate: min, MaxDate: max, Errors: map[string]string{}}
	return h.dialog(c, http.StatusOK, "Edit token", tokens.TokenDialog(m))
}

// EditToken handles the Edit dialog.
func (h *Handlers) EditToken(c echo.Context) error {
	t, err := h.ownToken(c)
	if err != nil {
		return err
	}
	name, desc, exp := c.FormValue("name"), c.FormValue("description"), c.FormValue("expires_at")
	reissue := c.FormValue("reissue") == "true"
	after, secret, err := h.editToken(c, t.ID, models.TokenEdit{Name: &name, Description: &desc, ExpiresOn: &exp, Reissue: reissue})
	if err != nil {
		fields, banner, ferr := formFault(err)
		if ferr != nil {
			return ferr
		}
		min, max, berr := h.dateBounds(c)
		if berr != nil {
			return berr
		}
		m := tokens.Form{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), ID: t.ID, Name: name, Description: desc, ExpiresOn: exp,
			MinDate: min, MaxDate: max, Reissue: reissue, Errors: fields, Error: banner}
		return h.dialog(c, http.StatusUnprocessableEntity, "Edit token", tokens.TokenDialog(m))
	}
	if secret != "" {
		return h.tokenDone(c, &tokens.Created{ID: after.ID, Name: after.Name, Secret: secret, Reissued: true, CondaLines: h.condaLines(c, after, secret), Condarc: h.tokenCondarc(c, after, secret)}, after.ID, "")
	}
	return h.tokenDone(c, nil, 0, "Token "+after.Name+" saved.")
}

// editToken stores an edit of one of the actor's tokens and audits it. A
// token-authenticated caller may re-issue, extend or revive only a token
// that can do no more and live no longer than itself: the new string or
// date would otherwise hand it the stronger token.
func (h *Handlers) editToken(c echo.Context, id uint, e models.TokenEdit) (*models.Token, string, error) {
	a := web.ActorOf(c)
	if a.ViaToken() {
		t, err := h.Store.Token(c.Request().Context(), a.User.ID, id)
		if err != nil {
			return nil, "", err
		}
		expires, extends := t.ExpiresAt, e.ExpiresOn != nil && *e.ExpiresOn != t.ExpiryDate()
		if extends {
			expires = models.ExpiresAtOf(*e.ExpiresOn)
		}
		if e.Reissue || extends {
			if err := tokenWithin(a, t.Grant(), expires, "re-issue or extend"); err != nil {
				return nil, "", err
			}
		}
	}
	before, after, secret, err := h.Store.EditToken(c.Request().Context(), a.User.ID, id, e)
	if err != nil {
		return nil, "", err
	}
	changes := map[string]any{"token_id": after.ID}
	if before.Name != after.Name {
		changes["name"] = map[string]any{"old": before.Name, "new": after.Name}
	}
	if before.Description != after.Description {
		changes["description"] = map[string]any{"old": before.Description, "new": after.Description}
	}
	if before.ExpiryDate() != after.ExpiryDate() {
		changes["expires"] = map[string]any{"old": before.ExpiryDate(), "new": after.ExpiryDate()}
	}
	if len(changes) > 1 {
		h.audit(c, "token.edit", after.Name, changes)
	}
	if secret != "" {
		h.audit(c, "token.reissue", after.Name, map[string]any{"token_id": after.ID})
	}
	return after, secret, nil
}

// DeleteTokenForm opens the Delete Token confirmation.
func (h *Handlers) DeleteTokenForm(c echo.Context) error {
	t, err := h.deletableToken(c)
	if err != nil {
		return err
	}
	m := tokens.DeleteForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), ID: t.ID, Name: t.Name}
	if t.UserID != web.ActorOf(c).User.ID && t.User != nil {
		m.Owner = t.User.Email
	}
	return h.dialog(c, http.StatusOK, "Delete Token", tokens.DeleteDialog(m))
}

// DeleteToken handles the confirmation.
func (h *Handlers) DeleteToken(c echo.Context) error {
	t, err := h.deleteToken(c)
	if err != nil {
		return err
	}
	return h.tokenDone(c, nil, t.ID, "Token "+t.Name+" deleted.")
}

func (h *Handlers) deleteToken(c echo.Context) (*models.Token, error) {
	t, err := h.deletableToken(c)
	if err != nil {
		return nil, err
	}
	if _, err := h.Store.DeleteToken(c.Request().Context(), 0, t.ID); err != nil {
		return nil, err
	}
	details := map[string]any{"token_id": t.ID}
	if t.User != nil {
		details["owner"] = t.User.Email
	}
	h.audit(c, "token.delete", t.Name, details)
	return t, nil
}
