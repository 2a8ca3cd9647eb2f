package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/web"
	"gatehouse/web/sso"
)

// maxCodeLen bounds the authorization code passed on to the provider.
const maxCodeLen = 4096

// SSOLogin sends the browser to the identity provider and remembers the
// sign-in (state, nonce, PKCE verifier, where to go next) in this browser.
func (h *Handlers) SSOLogin(c echo.Context) error {
	if h.SSO == nil {
		return models.ErrNotFound
	}
	next := web.SafeNext(c.QueryParam("next"))
	if web.ActorOf(c).SignedIn() {
		return c.Redirect(http.StatusSeeOther, next)
	}
	to, flow, err := h.SSO.Start(c.Request().Context(), h.ssoRedirectURL(c))
	if err != nil {
		return h.ssoRefused(c, err, next)
	}
	flow.Next = next
	if err := h.SSOFlows.Save(c.Response(), flow); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// SSOCallback finishes a sign-in: the answer must belong to this browser's
// sign-in, the ID token must verify and the person pass Gatehouse's rules;
// then their mapped teams and Admin role follow their groups.
func (h *Handlers) SSOCallback(c echo.Context) error {
	if h.SSO == nil {
		return models.ErrNotFound
	}
	flow, ok := h.SSOFlows.Take(c.Response(), c.Request())
	q := c.QueryParams()
	switch {
	case !ok:
		return h.ssoRefused(c, sso.Refuse(sso.StateMissing, "no_sign_in_in_progress"), "/")
	case !flow.Matches(q.Get("state")):
		return h.ssoRefused(c, sso.Refuse(sso.StateMismatch, "state"), flow.Next)
	case q.Get("error") != "":
		return h.ssoRefused(c, providerError(q.Get("error")), flow.Next)
	case q.Get("code") == "" || len(q.Get("code")) > maxCodeLen:
		return h.ssoRefused(c, sso.Refuse(sso.CodeRefused, "code_missing_or_too_long"), flow.Next)
	}
	ctx := c.Request().Context()
	id, err := h.SSO.Finish(ctx, flow, q.Get("code"), h.ssoRedirectURL(c))
	if err != nil {
		return h.ssoRefused(c, err, flow.Next)
	}
	teams, admin := h.SSO.Config().Membership(id.Groups)
	res, err := h.Store.SignInSSO(ctx, models.SSOSignIn{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Teams: teams, Admin: admin})
	if err != nil {
		return h.ssoRefused(c, accountRefusal(err, id.Email), flow.Next)
	}
	if err := h.Sessions.SignIn(c, res.User); err != nil {
		return err
	}
	web.RenewCSRF(c, h.Cfg.SecureCookies)
	web.SetActor(c, &web.Actor{User: res.User, Subject: res.User.Subject(), At: h.Store.Now()})
	h.auditSSO(c, res)
	return c.Redirect(http.StatusSeeOther, web.SafeNext(flow.Next)) // today's rule, whatever the cookie holds
}

// ssoRedirectURL is the callback registered at the provider.
func (h *Handlers) ssoRedirectURL(c echo.Context) string {
	return h.baseURL(c) + "/auth/oidc/callback"
}

// providerError turns the provider's error code into a refusal; only codes
// the standards define are kept, never the provider's description.
func providerError(code string) error {
	switch code {
	case "server_error", "temporarily_unavailable":
		return sso.Refuse(sso.ProviderDown, code)
	case "access_denied", "login_required", "interaction_required", "consent_required", "account_selection_required",
		"invalid_request", "unauthorized_client", "invalid_scope", "unsupported_response_type":
		return sso.Refuse(sso.ProviderRefused, code)
	}
	return sso.Refuse(sso.ProviderRefused, "other")
}

// accountRefusal names why the store would not sign the person in; other
// errors pass through as failures of ours.
func accountRefusal(err error, email string) error {
	var ce *models.ConflictError
	var ve *models.ValidationError
	var r *sso.Refusal
	switch {
	case errors.Is(err, models.ErrUserDisabled):
		r = sso.Refuse(sso.AccountDisabled, "disabled")
	case errors.As(err, &ce):
		r = sso.Refuse(sso.AccountConflict, "email_taken")
	case errors.As(err, &ve) && ve.Field == "email":
		r = sso.Refuse(sso.EmailMissing, "email_unusable")
	case errors.As(err, &ve):
		r = sso.Refuse(sso.TokenInvalid, ve.Field)
	default:
		return err
	}
	r.Email = email
	return r
}

// ssoRefused audits a refused sign-in and shows the sign-in page with a
// message a person can act on. Nothing the provider said is shown or kept.
func (h *Handlers) ssoRefused(c echo.Context, err error, next string) error {
	var r *sso.Refusal
	if !errors.As(err, &r) {
		return err
	}
	email := r.Email
	if len(email) > models.MaxEmailLen || !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		email = "" // not an address the audit log can hold
	}
	h.audit(c, "signin.sso."+string(r.Reason), email, map[string]any{"check": r.Check})
	h.Log.Warn("sso: sign-in refused", "reason", string(r.Reason), "check", r.Check)
	status, msg := ssoMessage(r, h.SSO.Config())
	m := h.loginModel(next)
	m.Error = msg
	return h.renderLogin(c, status, m)
}

// ssoMessage says what went wrong and what to do, in the person's terms.
func ssoMessage(r *sso.Refusal, cfg sso.Config) (int, string) {
	name := cfg.Name
	again := " Start again with “Sign in with " + name + "”."
	switch r.Reason {
	case sso.ProviderDown:
		return http.StatusBadGateway, "Gatehouse cannot reach " + name + " right now. Try again in a few minutes."
	case sso.ProviderRefused:
		if r.Check == "access_denied" {
			return http.StatusForbidden, name + " did not sign you in: the sign-in was cancelled or refused there."
		}
		return http.StatusBadGateway, name + " refused Gatehouse's sign-in request. Ask an admin to check the single sign-on settings."
	case sso.StateMissing:
		return http.StatusBadRequest, "This sign-in expired or was already used." + again
	case sso.StateMismatch:
		return http.StatusBadRequest, "This sign-in was started in another browser or tab." + again
	case sso.CodeRefused:
		return http.StatusBadRequest, "The sign-in code from " + name + " expired or was already used." + again
	case sso.TokenInvalid:
		return http.StatusUnauthorized, "The answer from " + name + " could not be verified, so you were not signed in. Ask an admin if this keeps happening."
	case sso.EmailMissing:
		return http.StatusForbidden, name + " did not give Gatehouse a usable email address. Ask an admin to check that Gatehouse may read it."
	case sso.EmailUnverified:
		return http.StatusForbidden, "Your email address is not verified at " + name + ". Verify it there, then sign in again."
	case sso.DomainRefused:
		domain := domainOf(r.Email)
		if len(domain) > 253 || !utf8.ValidString(domain) {
			domain = "your email's domain"
		}
		return http.StatusForbidden, "Email addresses at " + domain + " may not sign in here. Allowed: " + strings.Join(cfg.AllowedDomains, ", ") + "."
	case sso.GroupsInvalid:
		return http.StatusForbidden, name + " sent a list of groups Gatehouse cannot use (too many, or not a list of names). Ask an admin."
	case sso.AccountDisabled:
		return http.StatusForbidden, "This account is disabled. Ask an admin to enable it."
	case sso.AccountConflict:
		return http.StatusConflict, "Your email address belongs to another Gatehouse account. Ask an admin to sort it out."
	}
	return http.StatusBadRequest, "You were not signed in." + again
}

func domainOf(email string) string {
	return email[strings.LastIndexByte(email, '@')+1:]
}

// auditSSO records the sign-in and everything it changed.
func (h *Handlers) auditSSO(c echo.Context, res *models.SSOResult) {
	u := res.User
	if res.Created {
		h.audit(c, "user.create", u.Email, map[string]any{"roles": u.RoleNames(), "by": "single sign-on"})
	}
	if res.Linked {
		h.audit(c, "user.sso.link", u.Email, nil)
	}
	if res.OldEmail != "" {
		h.audit(c, "user.update", u.Email, map[string]any{"email": map[string]any{"old": res.OldEmail, "new": u.Email}, "by": "single sign-on"})
	}
	for _, t := range res.TeamsCreated {
		h.audit(c, "team.create", t, map[string]any{"by": "single sign-on"})
	}
	if res.Changed() {
		details := map[string]any{}
		if len(res.TeamsAdded) > 0 {
			details["teams_added"] = res.TeamsAdded
		}
		if len(res.TeamsRemoved) > 0 {
			details["teams_removed"] = res.TeamsRemoved
		}
		if res.AdminGranted {
			details["roles_added"] = []string{"Admin"}
		}
		if res.AdminRevoked {
			details["roles_removed"] = []string{"Admin"}
		}
		h.audit(c, "signin.sso.sync", u.Email, details)
	}
	if res.AdminKept {
		h.audit(c, "signin.sso.last_admin", u.Email, map[string]any{
			"message": "Kept Admin although no admin group lists this person: they are the last active admin."})
	}
	h.audit(c, "signin.sso.success", u.Email, nil)
}

// syncedFrom lists the provider groups that decide a team's members; none
// when the team is managed by hand.
func (h *Handlers) syncedFrom(team string) []string {
	if h.SSO == nil {
		return nil
	}
	return h.SSO.Config().SyncedFrom(team)
}

// refuseSynced refuses a manual membership change to a synced team.
func (h *Handlers) refuseSynced(team string) error {
	groups := h.syncedFrom(team)
	if len(groups) == 0 {
		return nil
	}
	return models.Conflict("Members of %s follow the group %s at %s, at every sign-in; change them there.",
		team, strings.Join(quoteAll(groups), " or "), h.SSO.Config().Name)
}

func quoteAll(ss []string) []string {
	out := slices.Clone(ss)
	for i, s := range out {
		out[i] = `"` + s + `"`
	}
	return out
}
