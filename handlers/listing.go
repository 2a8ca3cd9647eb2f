package handlers

import (
	"cmp"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gatehouse/models"
	"gatehouse/views/components"
	"gatehouse/web"
)

// column is a sortable column of a list: its key in ?sort= and its header.
type column struct{ Key, Label string }

// sortHeaders builds the sortable headers of a list at path: each links to
// the list sorted by its column, keeping the other query values; the
// sorted column links to the reverse order.
func sortHeaders(path string, q url.Values, sorted string, desc bool, cols []column) map[string]components.SortHeader {
	out := make(map[string]components.SortHeader, len(cols))
	for i, col := range cols {
		on := col.Key == sorted || sorted == "" && i == 0
		v := url.Values{}
		for k, vs := range q {
			v[k] = slices.Clone(vs)
		}
		v.Set("sort", col.Key)
		v.Del("desc")
		h := components.SortHeader{Label: col.Label}
		if on {
			h.Sort = "ascending"
			if desc {
				h.Sort = "descending"
			} else {
				v.Set("desc", "1")
			}
		}
		h.Href = path + "?" + v.Encode()
		out[col.Key] = h
	}
	return out
}

// listQuery reads a list's ?sort= (one of cols, the first by default) and
// ?desc=; another column is a 400.
func listQuery(q url.Values, cols []column) (sort string, desc bool, err error) {
	sort = q.Get("sort")
	if sort != "" && !slices.ContainsFunc(cols, func(c column) bool { return c.Key == sort }) {
		keys := make([]string, len(cols))
		for i, c := range cols {
			keys[i] = c.Key
		}
		return "", false, web.Fail(http.StatusBadRequest, "sort must be one of "+strings.Join(keys, ", ")+".")
	}
	return sort, q.Get("desc") != "", nil
}

// contains reports whether any of the texts holds q, ignoring case (q is
// lower case already).
func contains(q string, texts ...string) bool {
	for _, t := range texts {
		if strings.Contains(strings.ToLower(t), q) {
			return true
		}
	}
	return false
}

// ---- Tokens ----

// tokenColumns are the Tokens page's sortable columns.
var tokenColumns = []column{{"name", "Name"}, {"created", "Created"}, {"expires", "Expires"}, {"used", "Last used"}}

// tokenQuery is the Tokens page's search, filters and order.
type tokenQuery struct {
	Q, Owner, Type, Expiring, Sort string
	Desc                           bool
}

// readTokenQuery reads the Tokens page's query, refusing what it does not
// know with 400.
func readTokenQuery(q url.Values) (tokenQuery, error) {
	t := tokenQuery{Q: strings.TrimSpace(q.Get("q")), Owner: strings.TrimSpace(q.Get("owner")), Type: q.Get("type"), Expiring: q.Get("expiring")}
	if !web.Storable(t.Q) || !web.Storable(t.Owner) {
		return t, web.Fail(http.StatusBadRequest, "The search must be text.")
	}
	if !slices.Contains([]string{"", "resources", "scopes"}, t.Type) {
		return t, web.Fail(http.StatusBadRequest, "type must be resources or scopes.")
	}
	if !slices.Contains([]string{"", "7d", "14d", "expired"}, t.Expiring) {
		return t, web.Fail(http.StatusBadRequest, "expiring must be 7d, 14d or expired.")
	}
	var err error
	t.Sort, t.Desc, err = listQuery(q, tokenColumns)
	return t, err
}

// values is the query again, for the sort links.
func (t tokenQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": t.Q, "owner": t.Owner, "type": t.Type, "expiring": t.Expiring} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// apply keeps the tokens the query asks for, in its order.
func (t tokenQuery) apply(ts []models.Token, now time.Time) []models.Token {
	q := strings.ToLower(t.Q)
	out := ts[:0:0]
	for _, tok := range ts {
		switch {
		case q != "" && !contains(q, append([]string{tok.Name, tok.Description}, grantLines(tok.Grant())...)...),
			t.Owner != "" && !strings.EqualFold(ownerOf(&tok), t.Owner),
			t.Type != "" && tok.Kind != t.Type,
			t.Expiring == "expired" && !tok.Expired(now),
			t.Expiring == "7d" && !expiresWithin(&tok, now, 7*24*time.Hour),
			t.Expiring == "14d" && !expiresWithin(&tok, now, 14*24*time.Hour):
			continue
		}
		out = append(out, tok)
	}
	by := map[string]func(a, b *models.Token) int{
		"name":    func(a, b *models.Token) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) },
		"created": func(a, b *models.Token) int { return a.CreatedAt.Compare(b.CreatedAt) },
		"expires": func(a, b *models.Token) int { return a.ExpiresAt.Compare(b.ExpiresAt) },
		"used": func(a, b *models.Token) int {
			return cmp.Compare(unixOrZero(a.LastUsedAt), unixOrZero(b.LastUsedAt))
		},
	}
	order := by[cmp.Or(t.Sort, "name")]
	slices.SortStableFunc(out, func(a, b models.Token) int {
		if t.Desc {
			return order(&b, &a)
		}
		return order(&a, &b)
	})
	return out
}

func unixOrZero(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}

// expiresWithin reports whether a token still works at now but stops
// within d.
func expiresWithin(t *models.Token, now time.Time, d time.Duration) bool {
	return !t.Expired(now) && !t.ExpiresAt.After(now.Add(d))
}

var daysRE = regexp.MustCompile(`^([0-9]{1,4})d$`)

// parseWithin reads ?expiring_within=: whole days ("7d") or a Go duration
// ("36h"), more than nothing and at most ten years.
func parseWithin(s string) (time.Duration, error) {
	var d time.Duration
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			d = -1
		}
	}
	if d <= 0 || d > 3660*24*time.Hour {
		return 0, web.Fail(http.StatusBadRequest, "expiring_within must be a number of days such as 7d, or a duration such as 36h (at most 3660 days).")
	}
	return d, nil
}
