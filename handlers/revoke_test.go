package handlers_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// report posts a leak report as anyone would: no session, no token, no
// CSRF token.
func report(t *testing.T, srv *handlertest.Server, body, contentType string) *handlertest.Response {
	t.Helper()
	return srv.Anonymous().Do(http.MethodPost, "/api/tokens/revoke", strings.NewReader(body), contentType, true)
}

func reportJSON(t *testing.T, srv *handlertest.Server, tokens ...string) *handlertest.Response {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"tokens": tokens})
	return report(t, srv, string(b), "application/json")
}

// accepted checks the one answer a report ever gets.
func accepted(t *testing.T, r *handlertest.Response, what string) {
	t.Helper()
	if r.StatusCode != http.StatusAccepted || strings.TrimSpace(r.Body) != `{"ok":true}` {
		t.Fatalf("%s: %d %q, want 202 {\"ok\":true}", what, r.StatusCode, r.Body)
	}
}

func live(t *testing.T, srv *handlertest.Server, secret string) bool {
	t.Helper()
	r := withToken(srv, secret).Get("/api/tokens")
	return r.StatusCode == http.StatusOK
}

func TestRevokeLeakedTokens(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		s := srv.Store
		modeltest.MustUser(t, s, "ann@x.io", access.RoleMember)
		modeltest.MustUser(t, s, "ben@x.io", access.RoleMember)
		scopes := access.TokenGrant{Scopes: []string{"user.token:view"}}
		leaked := mustToken(t, s, "ann@x.io", "laptop", scopes)
		kept := mustToken(t, s, "ann@x.io", "ci", scopes)
		bens := mustToken(t, s, "ben@x.io", "bens", scopes)

		// Valid: the token goes at once; the answer says nothing: the same
		// status, headers and body as for a string that is no token.
		hit := reportJSON(t, srv, leaked)
		accepted(t, hit, "a live string")
		if live(t, srv, leaked) || !live(t, srv, kept) {
			t.Fatal("the reported token still works, or another token stopped")
		}
		miss := reportJSON(t, srv, models.NewTokenSecret())
		if shape(hit) != shape(miss) {
			t.Fatalf("a live and an unknown string get different answers:\n%s\n%s", shape(hit), shape(miss))
		}

		// Invalid, in every shape: the same answer, nothing touched.
		for name, body := range map[string]string{
			"unknown string":  `{"tokens":["` + models.NewTokenSecret() + `"]}`,
			"not tokens":      `{"tokens":["hello", "", "gth_short", 42, null, {"a":1}]}`,
			"malformed JSON":  `{"tokens": [`,
			"not an object":   `["` + kept + `"]`,
			"no tokens key":   `{"other": 1}`,
			"empty body":      ``,
			"tokens a string": `{"tokens": "` + kept + `"}`,
		} {
			accepted(t, report(t, srv, body, "application/json"), name)
		}
		accepted(t, report(t, srv, `{"tokens":["`+models.NewTokenSecret()+`"]}`, "text/plain"), "wrong content type")
		if !live(t, srv, kept) || !live(t, srv, bens) {
			t.Fatal("a report that named no live string revoked something")
		}

		// Credentials that come along are not even looked at.
		c := srv.Anonymous()
		c.Header.Set("Authorization", "Bearer gth_forged")
		accepted(t, c.Do(http.MethodPost, "/api/tokens/revoke", strings.NewReader(`{"tokens":[]}`), "application/json", true), "with a bad Authorization header")
		accepted(t, srv.Login("ben@x.io").Do(http.MethodPost, "/api/tokens/revoke", strings.NewReader(`{"tokens":[]}`), "application/json", true), "with a session but no CSRF token")

		// Mixed: junk, an unknown string, a duplicate and a live one.
		accepted(t, reportJSON(t, srv, "junk", models.NewTokenSecret(), bens, bens), "mixed")
		if live(t, srv, bens) || !live(t, srv, kept) {
			t.Fatal("the mixed report did not revoke exactly ben's token")
		}

		// The audit log names each revoked token and its owner, never the string.
		events := srv.AsAdmin().Get("/api/audit?action=token.revoke.leaked")
		var got struct {
			Events []struct {
				Actor, Target string
				Details       map[string]any
			}
		}
		events.JSON(t, &got)
		if len(got.Events) != 2 || strings.Contains(events.Body, leaked) || strings.Contains(events.Body, bens) {
			t.Fatalf("audit: %s", events.Body)
		}
		for _, e := range got.Events {
			if owner, _ := e.Details["owner"].(string); e.Actor != "" || (e.Target != "laptop" && e.Target != "bens") || !strings.HasSuffix(owner, "@x.io") || e.Details["token_id"] == nil {
				t.Errorf("audit event %+v", e)
			}
		}

		// The owner finds a notice on the next page, until dismissed.
		ann := srv.Login("ann@x.io")
		page := ann.Get("/channels")
		d := doc(t, page)
		alert := d.Find(`[data-testid="alerts"] [data-alert]`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), "laptop") && strings.Contains(s.Text(), "reported as leaked")
		})
		if alert.Length() != 1 {
			t.Fatalf("ann sees no notice about laptop: %s", d.Find(`[data-testid="alerts"]`).Text())
		}
		dismiss, _ := alert.Find("form").Attr("action")
		if r := ann.PostForm(dismiss, map[string][]string{"next": {"/channels"}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/channels" {
			t.Fatalf("dismiss: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if strings.Contains(ann.Get("/channels").Body, "reported as leaked") {
			t.Fatal("the notice stays after Dismiss")
		}
		if r := srv.Login("ben@x.io").PostForm(dismiss, nil); r.StatusCode != http.StatusNotFound {
			t.Fatalf("ben dismissing ann's notice: %d", r.StatusCode)
		}
	})
}

// Over 100 strings: only the first 100 are looked at.
func TestRevokeLeakedAtMost100(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	modeltest.MustUser(t, srv.Store, "ann@x.io", access.RoleMember)
	first := mustToken(t, srv.Store, "ann@x.io", "first", access.TokenGrant{Scopes: []string{"user.token:view"}})
	last := mustToken(t, srv.Store, "ann@x.io", "last", access.TokenGrant{Scopes: []string{"user.token:view"}})
	strs := []string{first}
	for range 99 {
		strs = append(strs, models.NewTokenSecret())
	}
	accepted(t, reportJSON(t, srv, append(strs, last, last)...), "102 strings")
	if live(t, srv, first) || !live(t, srv, last) {
		t.Fatal("want the 1st string revoked and the 101st left alone")
	}
	// A huge report costs no more than a full one, and answers the same.
	huge := `{"tokens":[` + strings.Repeat(`"x",`, 400_000) + `"x"]}`
	accepted(t, report(t, srv, huge, "application/json"), "a 2 MB report")
}

// Past the rate limit for an address, reports are answered alike and dropped.
func TestRevokeLeakedRateLimit(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	modeltest.MustUser(t, srv.Store, "ann@x.io", access.RoleMember)
	for range 30 {
		accepted(t, reportJSON(t, srv, models.NewTokenSecret()), "within the limit")
	}
	secret := mustToken(t, srv.Store, "ann@x.io", "laptop", access.TokenGrant{Scopes: []string{"user.token:view"}})
	accepted(t, reportJSON(t, srv, secret), "past the limit")
	if !live(t, srv, secret) {
		t.Fatal("a report past the rate limit was processed")
	}
}

// shape is a response without what differs between any two responses (the
// date and the request id).
func shape(r *handlertest.Response) string {
	var keys []string
	for k, v := range r.Header {
		if k != "Date" && k != "X-Request-Id" {
			keys = append(keys, k+": "+strings.Join(v, ","))
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, "\n") + "\n\n" + r.Body
}
