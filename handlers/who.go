package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"gatehouse/models/access"
	"gatehouse/views/pages/accessview"
	"gatehouse/web"
)

// PersonJSON is one person an Access view lists: their level and every
// grant that gives it.
type PersonJSON struct {
	Email string       `json:"email"`
	Level string       `json:"level"`
	Via   []access.Via `json:"via"`
}

// PeopleJSON is the answer of the Access APIs.
type PeopleJSON struct {
	OK      bool         `json:"ok"`
	People  []PersonJSON `json:"people"`
	Total   int          `json:"total"`
	Page    int          `json:"page"`
	PerPage int          `json:"per_page"`
}

// peopleQuery is a search and a page of an Access view.
type peopleQuery struct {
	Q             string
	Page, PerPage int
}

// Limits of an Access view's query.
const (
	peoplePerPage    = 50
	maxPeoplePerPage = 500
	maxPeopleQuery   = 200
)

// readPeopleQuery reads ?q=, ?page= and ?per_page=, refusing what is not a
// sensible search or page with 400.
func readPeopleQuery(c echo.Context) (peopleQuery, error) {
	q := peopleQuery{Q: strings.TrimSpace(c.QueryParam("q")), Page: 1, PerPage: peoplePerPage}
	if utf8.RuneCountInString(q.Q) > maxPeopleQuery || !web.Storable(q.Q) {
		return q, web.Fail(http.StatusBadRequest, "q must be at most 200 characters of text.")
	}
	for name, dst := range map[string]*int{"page": &q.Page, "per_page": &q.PerPage} {
		v := c.QueryParam(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || name == "per_page" && n > maxPeoplePerPage || name == "page" && n > 1_000_000 {
			return q, web.Fail(http.StatusBadRequest, "page must be a whole number from 1, and per_page from 1 to 500.")
		}
		*dst = n
	}
	return q, nil
}

// whoHasAccess resolves t's grants to the active people they add up to,
// in email order, through the engine: each person's own level there and
// every grant that gives it. q keeps the people whose email, or the name
// of a grant that gives them access, contains it.
func (h *Handlers) whoHasAccess(ctx context.Context, t access.Target, q string) ([]PersonJSON, error) {
	subjects, err := h.Store.ActiveSubjects(ctx)
	if err != nil {
		return nil, err
	}
	q = strings.ToLower(q)
	out := []PersonJSON{}
	for _, s := range subjects {
		level, via := access.Explain(s, t)
		if level == access.None {
			continue
		}
		p := PersonJSON{Email: s.Email, Level: level.String(), Via: via}
		if q == "" || p.matches(q) {
			out = append(out, p)
		}
	}
	return out, nil
}

func (p PersonJSON) matches(q string) bool {
	if strings.Contains(strings.ToLower(p.Email), q) {
		return true
	}
	for _, v := range p.Via {
		if strings.Contains(strings.ToLower(v.Name), q) {
			return true
		}
	}
	return false
}

// pageOfPeople cuts one page out of everyone; from is 1-based, 0 when empty.
func pageOfPeople(all []PersonJSON, q peopleQuery) (shown []PersonJSON, from, to int) {
	start := min((q.Page-1)*q.PerPage, len(all))
	end := min(start+q.PerPage, len(all))
	if start == end {
		return []PersonJSON{}, 0, 0
	}
	return all[start:end], start + 1, end
}

// accessTarget is what an Access route is about: the page or channel its
// rule resolved, with its title and where its dialogs live.
func (h *Handlers) accessTarget(c echo.Context) (t access.Target, name, base string, err error) {
	if cp := pageOf(c); cp != nil {
		return access.PageTarget(cp.Read), cp.Title, "/pages/" + cp.Identifier, nil
	}
	p := placeOf(c)
	acl, err := h.Store.ChannelACL(c.Request().Context(), p.Ch)
	return access.ChannelTarget(p.Ch.Name, "", acl), p.Ch.Name, "/channels/" + url.PathEscape(p.Ch.Name), err
}

// APIWhoHasAccess answers GET /v1/pages/{id}/readers and GET
// /api/channels/{name}/access.
func (h *Handlers) APIWhoHasAccess(c echo.Context) error {
	q, err := readPeopleQuery(c)
	if err != nil {
		return err
	}
	t, _, _, err := h.accessTarget(c)
	if err != nil {
		return err
	}
	all, err := h.whoHasAccess(c.Request().Context(), t, q.Q)
	if err != nil {
		return err
	}
	shown, _, _ := pageOfPeople(all, q)
	return c.JSON(http.StatusOK, PeopleJSON{OK: true, People: shown, Total: len(all), Page: q.Page, PerPage: q.PerPage})
}

// WhoHasAccess shows the Access view of a page or channel, reached from
// its Permissions dialog.
func (h *Handlers) WhoHasAccess(c echo.Context) error {
	q, err := readPeopleQuery(c)
	if err != nil {
		return err
	}
	t, name, base, err := h.accessTarget(c)
	if err != nil {
		return err
	}
	all, err := h.whoHasAccess(c.Request().Context(), t, q.Q)
	if err != nil {
		return err
	}
	shown, from, to := pageOfPeople(all, q)
	m := accessview.Dialog{Inline: !web.IsHTMX(c), Title: "Who has access to " + name, URL: base + "/access",
		Permissions: base + "/permissions", Back: base, Query: q.Q, From: from, To: to, Total: len(all)}
	if t.Kind == access.OnChannel && t.ACL.Public {
		m.Note = "This channel is public: anyone may read it, signed in or not. Listed here are the people with an account."
	}
	for _, p := range shown {
		person := accessview.Person{Email: p.Email, Level: titleCase(p.Level)}
		for _, v := range p.Via {
			person.Via = append(person.Via, accessview.Via{Kind: titleCase(v.Kind), Name: v.Name})
		}
		m.People = append(m.People, person)
	}
	page := func(n int) string {
		v := url.Values{}
		if q.Q != "" {
			v.Set("q", q.Q)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if q.PerPage != peoplePerPage {
			v.Set("per_page", strconv.Itoa(q.PerPage))
		}
		if len(v) == 0 {
			return m.URL
		}
		return m.URL + "?" + v.Encode()
	}
	if q.Page > 1 && from > 0 {
		m.PrevHref = page(q.Page - 1)
	}
	if to < len(all) {
		m.NextHref = page(q.Page + 1)
	}
	return h.dialog(c, http.StatusOK, m.Title, accessview.AccessDialog(m))
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
