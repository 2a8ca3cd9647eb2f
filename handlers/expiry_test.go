package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"gatehouse/handlers"
	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// expiryWorld: ann holds tokens that expire in 2, 10 and 60 days and one
// that expired yesterday; ben holds one that expires in 5 days.
func expiryWorld(t *testing.T, srv *handlertest.Server) {
	t.Helper()
	s, ctx := srv.Store, t.Context()
	ann := modeltest.MustUser(t, s, "ann@x.io", access.RoleMember)
	ben := modeltest.MustUser(t, s, "ben@x.io", access.RoleMember)
	g := access.TokenGrant{Scopes: []string{"user.token:view"}}
	for _, tk := range []struct {
		u    *models.User
		name string
		days int
	}{{ann, "two", 2}, {ann, "ten", 10}, {ann, "sixty", 60}, {ann, "gone", 1}, {ben, "five", 5}} {
		if _, _, err := s.CreateToken(ctx, tk.u, models.NewToken{Name: tk.name, ExpiresOn: future(tk.days), Grant: g}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DB().Model(&models.Token{}).Where("name = ?", "gone").Update("expires_at", time.Now().UTC().Add(-time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
}

func tokenNames(t *testing.T, r *handlertest.Response) []string {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
	var out struct{ Tokens []handlers.TokenJSON }
	r.JSON(t, &out)
	var names []string
	for _, tk := range out.Tokens {
		names = append(names, tk.Name)
	}
	slices.Sort(names)
	return names
}

func TestTokensExpiringWithin(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		expiryWorld(t, srv)
		ann, adm := srv.Login("ann@x.io"), srv.AsAdmin()
		for q, want := range map[string]string{
			"":                          "gone sixty ten two",
			"?expiring_within=7d":       "two",
			"?expiring_within=11d":      "ten two",
			"?expiring_within=72h":      "two",
			"?expiring_within=%207d%20": "two",
		} {
			if got := strings.Join(tokenNames(t, ann.Get("/api/tokens"+q)), " "); got != want {
				t.Errorf("ann %s: %q, want %q", q, got, want)
			}
		}
		var one struct{ Tokens []handlers.TokenJSON }
		ann.Get("/api/tokens?expiring_within=7d").JSON(t, &one)
		if len(one.Tokens) != 1 || one.Tokens[0].ExpiresInDays != 2 {
			t.Errorf("expires_in_days of two: %+v", one.Tokens)
		}
		// Admins see everyone's.
		if got := strings.Join(tokenNames(t, adm.Get("/api/tokens?expiring_within=14d")), " "); got != "five ten two" {
			t.Errorf("admin 14d: %q", got)
		}
		for _, bad := range []string{"", "7", "d", "0d", "-3d", "7days", "99999d", "1y", "x"} {
			if r := ann.Get("/api/tokens?expiring_within=" + bad); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "expiring_within") {
				t.Errorf("expiring_within=%q: %d %s", bad, r.StatusCode, r.Body)
			}
		}
	})
}

func TestTokensPageSearchAndFilters(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	expiryWorld(t, srv)
	adm := srv.AsAdmin()
	rows := func(path string) []string { return tokenRows(t, adm, path) }
	for path, want := range map[string]string{
		"/tokens":                           "five gone sixty ten two",
		"/tokens?q=sIx":                     "sixty",
		"/tokens?q=token:view&type=scopes":  "five gone sixty ten two",
		"/tokens?owner=ben@x.io":            "five",
		"/tokens?expiring=7d":               "five two",
		"/tokens?expiring=14d":              "five ten two",
		"/tokens?expiring=expired":          "gone",
		"/tokens?type=resources":            "",
		"/tokens?sort=expires":              "gone two five ten sixty",
		"/tokens?sort=expires&desc=1":       "sixty ten five two gone",
		"/tokens?expiring=14d&sort=expires": "two five ten",
	} {
		if got := strings.Join(rows(path), " "); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
	page := adm.Get("/tokens?sort=expires")
	d := doc(t, page)
	if d.Find(`th[aria-sort="ascending"]`).Text() == "" || !strings.Contains(d.Find(`th[aria-sort="ascending"] a`).AttrOr("href", ""), "desc=1") {
		t.Error("the sorted column is not marked, or does not link to the reverse order")
	}
	if !strings.Contains(page.Body, "Expires in 2 days") || !strings.Contains(page.Body, ">Expired<") {
		t.Error("expiry not marked in the list")
	}
	for _, bad := range []string{"type=both", "expiring=3d", "sort=hash", "q=%00"} {
		if r := adm.Get("/tokens?" + bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", bad, r.StatusCode)
		}
	}
	// A member has no owner filter and sees only their own.
	if got := tokenRows(t, srv.Login("ann@x.io"), "/tokens?owner=ben@x.io"); len(got) != 0 {
		t.Errorf("ann filtering by ben finds %v", got)
	}
}

// The owner of a token that expires within 7 days (or has expired) sees it
// on every page until it is renewed or deleted; admins see everyone's
// tokens of the next 14 days on their home page; a member's home page
// lists their tokens that need them and the pages they can read.
func TestExpiryNoticesAndHomePages(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		expiryWorld(t, srv)
		if r := srv.AsAdmin().SendJSON("POST", "/v1/pages", `{"identifier":"services","title":"Services","widgets":[]}`); r.StatusCode != http.StatusCreated {
			t.Fatal(r.Body)
		}
		ann := srv.Login("ann@x.io")
		for _, path := range []string{"/", "/channels", "/tokens", "/pages/services"} {
			alerts := doc(t, ann.Get(path)).Find(`[data-testid="alerts"]`).Text()
			if !strings.Contains(alerts, "Your token two expires in 2 days.") || !strings.Contains(alerts, "Your token gone expired on") {
				t.Errorf("%s: alerts %q", path, alerts)
			}
		}
		home := doc(t, ann.Get("/"))
		if got := home.Find(`[data-testid="home-attention"] li`).Length(); got != 2 {
			t.Errorf("ann's home lists %d tokens needing attention, want two and gone", got)
		}
		if !strings.Contains(home.Find(`[data-testid="home-pages"]`).Text(), "Services") || strings.Contains(home.Text(), "Tokens expiring within 14 days") {
			t.Error("ann's home lacks her pages, or shows the admins' view")
		}

		// Renewing one and deleting the other clears the alerts.
		var two, gone models.Token
		srv.Store.DB().Where("name = ?", "two").First(&two)
		srv.Store.DB().Where("name = ?", "gone").First(&gone)
		if r := ann.SendJSON("PATCH", "/api/tokens/"+itoa(two.ID), map[string]any{"expires_at": future(30)}); r.StatusCode != http.StatusOK {
			t.Fatal(r.Body)
		}
		if r := ann.Do("DELETE", "/api/tokens/"+itoa(gone.ID), nil, "", false); r.StatusCode != http.StatusOK {
			t.Fatal(r.Body)
		}
		if d := doc(t, ann.Get("/channels")); d.Find(`[data-testid="alerts"]`).Length() != 0 {
			t.Errorf("alerts stay after renewing and deleting: %q", d.Find(`[data-testid="alerts"]`).Text())
		}
		if !strings.Contains(ann.Get("/").Body, "none expires within 7 days") {
			t.Error("ann's home does not say her tokens are in order")
		}

		// The admin's home: everyone's tokens of the next 14 days.
		adm := doc(t, srv.AsAdmin().Get("/"))
		var listed []string
		adm.Find(`[data-testid="expiring-table"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
			listed = append(listed, s.Find("td").First().Text())
		})
		if strings.Join(listed, " ") != "five ten" {
			t.Errorf("admin's expiring list: %v, want five then ten", listed)
		}
	})
}

// tokenRows lists the names of the token rows c sees at path.
func tokenRows(t *testing.T, c *handlertest.Client, path string) []string {
	t.Helper()
	res := c.Get(path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, res.StatusCode)
	}
	var out []string
	doc(t, res).Find("tr[data-token]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-token", "")) })
	return out
}
