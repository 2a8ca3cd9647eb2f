package handlers

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/views/components"
	"gatehouse/views/pages/admin"
	"gatehouse/web"
)

// TeamJSON is a team as the API shows it. A synced team's members follow
// the identity provider's groups.
type TeamJSON struct {
	ID          uint     `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Members     []string `json:"members"`
	Synced      bool     `json:"synced"`
}

func (h *Handlers) teamJSON(t *models.Team) TeamJSON {
	return TeamJSON{ID: t.ID, Name: t.Name, Description: t.Description, Members: t.MemberEmails(), Synced: len(h.syncedFrom(t.Name)) > 0}
}

// teamColumns are the Teams page's sortable columns.
var teamColumns = []column{{"name", "Team"}, {"members", "Members"}}

// Teams shows the Teams page, searchable by name, description or member,
// sortable by name or size.
func (h *Handlers) Teams(c echo.Context) error {
	q := c.QueryParams()
	search := strings.TrimSpace(q.Get("q"))
	sort, desc, err := listQuery(q, teamColumns)
	if err != nil {
		return err
	}
	if !web.Storable(search) {
		return web.Fail(http.StatusBadRequest, "The search must be text.")
	}
	teams, err := h.Store.Teams(c.Request().Context())
	if err != nil {
		return err
	}
	m := admin.TeamsPage{Total: len(teams), Q: search, Sort: sort, Desc: desc}
	lq := strings.ToLower(search)
	for _, t := range teams {
		if lq != "" && !contains(lq, append([]string{t.Name, t.Description}, t.MemberEmails()...)...) {
			continue
		}
		m.Teams = append(m.Teams, admin.TeamRow{ID: t.ID, Name: t.Name, Description: t.Description, Members: t.MemberEmails(), SyncedFrom: h.syncedFrom(t.Name)})
	}
	slices.SortStableFunc(m.Teams, func(a, b admin.TeamRow) int {
		if desc {
			a, b = b, a
		}
		if sort == "members" {
			return cmp.Or(cmp.Compare(len(a.Members), len(b.Members)), strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	vals := url.Values{}
	if search != "" {
		vals.Set("q", search)
	}
	m.Headers = sortHeaders("/admin/teams", vals, sort, desc, teamColumns)
	return h.page(c, http.StatusOK, "Teams", admin.Teams(m))
}

// NewTeamForm opens the create team dialog.
func (h *Handlers) NewTeamForm(c echo.Context) error {
	return h.dialog(c, http.StatusOK, "New team", admin.TeamDialog(admin.TeamForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c)}))
}

// CreateTeam handles the create team dialog.
func (h *Handlers) CreateTeam(c echo.Context) error {
	name, desc := c.FormValue("name"), c.FormValue("description")
	t, err := h.Store.CreateTeam(c.Request().Context(), name, desc)
	if err != nil {
		fields, banner, err := formFault(err)
		if err != nil {
			return err
		}
		m := admin.TeamForm{Inline: !web.IsHTMX(c), CSRF: web.CSRFToken(c), Name: name, Description: desc, Errors: fields, Error: banner}
		return h.dialog(c, http.StatusUnprocessableEntity, "New team", admin.TeamDialog(m))
	}
	h.audit(c, "team.create", t.Name, nil)
	return h.done(c, "/admin/teams", "Team "+t.Name+" created.")
}

// MembersForm opens the team members dialog.
func (h *Handlers) MembersForm(c echo.Context) error {
	m, err := h.membersForm(c, nil, "")
	if err != nil {
		return err
	}
	return h.dialog(c, http.StatusOK, "Team members", admin.MembersDialog(m))
}

// membersForm builds the members dialog: the permissions picker with one
// list, or for a synced team that list alone, with why it cannot change.
func (h *Handlers) membersForm(c echo.Context, chosen []string, problem string) (admin.MembersForm, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return admin.MembersForm{}, err
	}
	t, err := h.Store.Team(c.Request().Context(), id)
	if err != nil {
		return admin.MembersForm{}, err
	}
	if chosen == nil {
		chosen = t.MemberEmails()
	}
	p := components.PickerProps{ID: "members-dialog", Title: "Members of " + t.Name, Action: fmt.Sprintf("/admin/teams/%d/members", t.ID),
		CSRF: web.CSRFToken(c), Inline: !web.IsHTMX(c), Back: "/admin/teams", Error: problem, Search: "Search people",
		Levels: []components.PickerLevel{{Key: "members", Label: "Members", List: "Members of " + t.Name, Current: access.Grants{Users: chosen}}}}
	if err := h.refuseSynced(t.Name); err != nil {
		p.ReadOnly, p.Note = true, err.Error() // shown, not editable
		return admin.MembersForm{Picker: p, Synced: true}, nil
	}
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return admin.MembersForm{}, err
	}
	for _, u := range users {
		p.Options.Users = append(p.Options.Users, u.Email)
	}
	return admin.MembersForm{Picker: p}, nil
}

// SetMembers handles the team members dialog: the picker's list (or, from
// a plain form, the "members" values) becomes the team's members.
func (h *Handlers) SetMembers(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	emails := formValues(c, "members")
	if len(formValues(c, "levels")) > 0 {
		patch, err := pickerPatch(c, []string{"members"})
		if err != nil {
			return err
		}
		emails = *patch["members"].Users
	}
	if err := h.setMembers(c, id, emails); err != nil {
		_, banner, err := formFault(err)
		if err != nil {
			return err
		}
		m, ferr := h.membersForm(c, emails, banner)
		if ferr != nil {
			return ferr
		}
		status := http.StatusUnprocessableEntity
		if m.Synced {
			status = http.StatusConflict
		}
		return h.dialog(c, status, "Team members", admin.MembersDialog(m))
	}
	t, err := h.Store.Team(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.done(c, "/admin/teams", "Members of "+t.Name+" saved.")
}

func (h *Handlers) setMembers(c echo.Context, id uint, emails []string) error {
	t, err := h.Store.Team(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := h.refuseSynced(t.Name); err != nil {
		return err
	}
	before, after, err := h.Store.SetTeamMembers(c.Request().Context(), id, emails)
	if err != nil {
		if fields, _, ferr := formFault(err); ferr == nil && fields != nil {
			return models.Invalid("members", "%s", fields["users"])
		}
		return err
	}
	if !slices.Equal(before.MemberEmails(), after.MemberEmails()) {
		h.audit(c, "team.members", after.Name, map[string]any{"old": before.MemberEmails(), "new": after.MemberEmails()})
	}
	return nil
}

// APITeams lists teams with members.
func (h *Handlers) APITeams(c echo.Context) error {
	teams, err := h.Store.Teams(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]TeamJSON, len(teams))
	for i := range teams {
		out[i] = h.teamJSON(&teams[i])
	}
	return ok(c, http.StatusOK, "teams", out)
}

// APICreateTeam creates a team from {"name","description","members"}.
func (h *Handlers) APICreateTeam(c echo.Context) error {
	var in struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Members     []string `json:"members"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if len(in.Members) > 0 {
		if err := h.refuseSynced(strings.TrimSpace(in.Name)); err != nil {
			return err
		}
	}
	t, err := h.Store.CreateTeam(ctx, in.Name, in.Description)
	if err != nil {
		return err
	}
	h.audit(c, "team.create", t.Name, nil)
	if len(in.Members) > 0 {
		if err := h.setMembers(c, t.ID, in.Members); err != nil {
			// Keep the call all-or-nothing: no team without the members asked for.
			if _, derr := h.Store.DeleteTeam(ctx, t.ID); derr == nil {
				h.audit(c, "team.delete", t.Name, map[string]any{"reason": "members refused"})
			}
			return err
		}
	}
	t, err = h.Store.Team(ctx, t.ID)
	if err != nil {
		return err
	}
	return ok(c, http.StatusCreated, "team", h.teamJSON(t))
}

// APIUpdateTeam replaces a team's members with {"members": [...]}.
func (h *Handlers) APIUpdateTeam(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	// Only what the body names changes: no "members" key leaves them as
	// they are; null is not a list.
	var in struct {
		Members json.RawMessage `json:"members"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Members != nil {
		var members []string
		if bytes.Equal(bytes.TrimSpace(in.Members), []byte("null")) || json.Unmarshal(in.Members, &members) != nil {
			return web.Fail(http.StatusBadRequest, `"members" must be a list of emails (use [] for nobody).`)
		}
		if err := h.setMembers(c, id, members); err != nil {
			return err
		}
	}
	t, err := h.Store.Team(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return ok(c, http.StatusOK, "team", h.teamJSON(t))
}

// APIDeleteTeam deletes a team and the access granted to it.
func (h *Handlers) APIDeleteTeam(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	granted, err := h.Store.GrantsOf(c.Request().Context(), models.PrincipalTeam, id)
	if err != nil {
		return err
	}
	t, err := h.Store.DeleteTeam(c.Request().Context(), id)
	if err != nil {
		return err
	}
	h.audit(c, "team.delete", t.Name, map[string]any{"members": t.MemberEmails(), "grants_removed": granted})
	return c.NoContent(http.StatusNoContent)
}
