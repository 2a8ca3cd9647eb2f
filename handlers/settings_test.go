package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

func settingsOf(t *testing.T, c *handlertest.Client) map[string]any {
	t.Helper()
	r := c.Get("/api/settings")
	want(t, r, http.StatusOK)
	return r.Map(t)["settings"].(map[string]any)
}

// Every setting can be changed through the API; a bad value of any kind
// is refused with its field's message and stores nothing, not even the
// good values sent with it; a change is audited with old and new.
func TestSettingsAPI(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		before := settingsOf(t, adm)
		if before["session_idle_minutes"] != float64(120) || before["session_max_minutes"] != float64(1440) ||
			before["signin_allowed_failures"] != float64(5) || before["signin_base_wait_seconds"] != float64(60) || before["signin_max_wait_seconds"] != float64(900) {
			t.Fatalf("defaults: %v", before)
		}
		for _, tc := range []struct {
			body   string
			status int
			field  string
		}{
			{`{"session_idle_minutes": -5}`, 422, "session_idle_minutes"},
			{`{"session_idle_minutes": 0}`, 422, "session_idle_minutes"},
			{`{"session_max_minutes": 99999999}`, 422, "session_max_minutes"},
			{`{"session_idle_minutes": 600, "session_max_minutes": 60}`, 422, "session_idle_minutes"},
			{`{"max_token_lifetime_days": 30, "signin_allowed_failures": 0}`, 422, "signin_allowed_failures"},
			{`{"signin_base_wait_seconds": 100000}`, 422, "signin_base_wait_seconds"},
			{`{"signin_base_wait_seconds": 60, "signin_max_wait_seconds": 30}`, 422, "signin_max_wait_seconds"},
			{`{"session_idle_minutes": "ten"}`, 400, ""},
			{`{"session_idle_minutes": 1.5}`, 400, ""},
			{`{"session_idle_minutes": 1e100}`, 400, ""},
			{`{"session_timeout": 10}`, 400, ""},
			{`{"session_idle_minutes": 10`, 400, ""},
			{`[]`, 400, ""},
		} {
			r := adm.Do(http.MethodPatch, "/api/settings", strings.NewReader(tc.body), "application/json", false)
			if r.StatusCode != tc.status || !strings.Contains(r.Body, `"ok":false`) || (tc.field != "" && !strings.Contains(r.Body, tc.field)) {
				t.Errorf("%s: %d %s", tc.body, r.StatusCode, r.Body)
			}
		}
		want(t, adm.Do(http.MethodPatch, "/api/settings", strings.NewReader(`{"session_idle_minutes": 10}`), "text/plain", false), http.StatusUnsupportedMediaType)
		want(t, adm.Do(http.MethodPatch, "/api/settings", strings.NewReader(`{"x":"`+strings.Repeat("a", 2<<20)+`"}`), "application/json", false), http.StatusRequestEntityTooLarge)
		if after := settingsOf(t, adm); !mapsEqual(after, before) {
			t.Fatalf("a refused change stored something: %v, was %v", after, before)
		}
		if evs, _ := srv.Store.AuditEvents(t.Context(), models.AuditFilter{Action: "settings"}); len(evs) != 0 {
			t.Fatalf("refused changes audited: %v", evs)
		}

		r := adm.SendJSON(http.MethodPatch, "/api/settings", map[string]any{"session_idle_minutes": 30, "session_max_minutes": 480,
			"signin_allowed_failures": 3, "signin_base_wait_seconds": 10, "signin_max_wait_seconds": 600})
		want(t, r, http.StatusOK)
		got := settingsOf(t, adm)
		if got["session_idle_minutes"] != float64(30) || got["session_max_minutes"] != float64(480) || got["signin_allowed_failures"] != float64(3) ||
			got["signin_base_wait_seconds"] != float64(10) || got["signin_max_wait_seconds"] != float64(600) || got["max_token_lifetime_days"] != before["max_token_lifetime_days"] {
			t.Fatalf("after the change: %v", got)
		}
		evs, _ := srv.Store.AuditEvents(t.Context(), models.AuditFilter{Action: "settings.update"})
		if len(evs) != 1 {
			t.Fatalf("%d settings.update events", len(evs))
		}
		d := evs[0].DetailsMap()
		if old, nw := d["old"].(map[string]any), d["new"].(map[string]any); old["session_idle_minutes"] != float64(120) || nw["session_idle_minutes"] != float64(30) {
			t.Errorf("audit details: %v", d)
		}
		// The same values again change nothing and are not audited.
		want(t, adm.SendJSON(http.MethodPatch, "/api/settings", map[string]any{"session_idle_minutes": 30}), http.StatusOK)
		if evs, _ := srv.Store.AuditEvents(t.Context(), models.AuditFilter{Action: "settings.update"}); len(evs) != 1 {
			t.Errorf("%d settings.update events after a no-op", len(evs))
		}
	})
}

func mapsEqual(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The Settings page: every field shown, a bad value re-shown with its
// message and nothing stored, a good form saved.
func TestSettingsPage(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		adm := srv.AsAdmin()
		page := adm.Get("/admin/settings")
		want(t, page, http.StatusOK)
		d := doc(t, page)
		for _, label := range []string{"Maximum token lifetime (days)", "Idle timeout (minutes)", "Absolute timeout (minutes)", "Allowed failures", "First wait (seconds)", "Longest wait (seconds)"} {
			if labelled(d, label).Length() != 1 {
				t.Errorf("no field labelled %q", label)
			}
		}
		form := url.Values{"max_token_lifetime_days": {"365"}, "session_idle_minutes": {"120"}, "session_max_minutes": {"1440"},
			"signin_allowed_failures": {"5"}, "signin_base_wait_seconds": {"60"}, "signin_max_wait_seconds": {"900"}}
		with := func(k, v string) url.Values {
			f := url.Values{}
			for kk, vv := range form {
				f[kk] = vv
			}
			f.Set(k, v)
			return f
		}
		for _, tc := range []struct{ field, value, msg string }{
			{"session_idle_minutes", "abc", "Idle timeout (minutes) must be a whole number."},
			{"session_idle_minutes", "", "Idle timeout (minutes) must be a whole number."},
			{"session_max_minutes", "-1", "Absolute timeout must be between"},
			{"signin_allowed_failures", "99999999999999999999", "Allowed failures must be a whole number."},
			{"signin_max_wait_seconds", "1", "Longest wait must be between"},
		} {
			r := adm.PostForm("/admin/settings", with(tc.field, tc.value))
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tc.msg) {
				t.Errorf("%s=%q: %d, want 422 with %q", tc.field, tc.value, r.StatusCode, tc.msg)
				continue
			}
			if in := doc(t, r).Find("#f-" + tc.field); in.AttrOr("aria-invalid", "") != "true" {
				t.Errorf("%s not marked invalid", tc.field)
			}
		}
		if got := settingsOf(t, adm); got["session_idle_minutes"] != float64(120) {
			t.Fatalf("a refused form stored something: %v", got)
		}
		r := adm.PostForm("/admin/settings", with("session_idle_minutes", "45"))
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/settings?saved=1" {
			t.Fatalf("save: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if got := settingsOf(t, adm); got["session_idle_minutes"] != float64(45) {
			t.Errorf("saved: %v", got)
		}
	})
}

// system.settings:edit and system:delete-blobs are for admins: a token
// with the one may do only its own feature; people who are not admins
// can neither use the routes nor put the scopes on a token.
func TestSettingsAndSweepScopes(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *handlertest.Server) {
		modeltest.MustUser(t, srv.Store, "ann@example.com", access.RoleMember)
		ann := srv.Login("ann@example.com")
		settingsTok := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "settings", access.TokenGrant{Scopes: []string{"system.settings:edit"}}))
		sweepTok := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "sweep", access.TokenGrant{Scopes: []string{"system:delete-blobs"}}))
		otherTok := withToken(srv, mustToken(t, srv.Store, handlertest.Admin, "other", access.TokenGrant{Scopes: []string{"audit:view", "channel:edit"}}))

		want(t, settingsTok.Get("/api/settings"), http.StatusOK)
		want(t, settingsTok.SendJSON(http.MethodPatch, "/api/settings", map[string]any{"signin_allowed_failures": 7}), http.StatusOK)
		want(t, settingsTok.Do(http.MethodPost, "/api/blobs/sweep", nil, "", false), http.StatusForbidden)
		want(t, sweepTok.Do(http.MethodPost, "/api/blobs/sweep", nil, "", false), http.StatusOK)
		want(t, sweepTok.Get("/api/blobs/sweep"), http.StatusOK)
		want(t, sweepTok.Get("/api/settings"), http.StatusForbidden)
		want(t, sweepTok.SendJSON(http.MethodPatch, "/api/settings", map[string]any{"signin_allowed_failures": 2}), http.StatusForbidden)
		for _, c := range []*handlertest.Client{otherTok, ann, srv.Anonymous()} {
			if r := c.Get("/api/settings"); r.StatusCode != 403 && r.StatusCode != 401 {
				t.Errorf("settings read: %d", r.StatusCode)
			}
			if r := c.Do(http.MethodPost, "/api/blobs/sweep", nil, "", false); r.StatusCode != 403 && r.StatusCode != 401 {
				t.Errorf("sweep: %d", r.StatusCode)
			}
		}
		want(t, ann.Get("/admin/settings"), http.StatusForbidden)
		want(t, ann.PostForm("/admin/blobs/sweep", url.Values{}), http.StatusForbidden)
		want(t, settingsTok.Get("/admin/settings"), http.StatusForbidden) // pages are for people
		u, _ := srv.Store.UserByEmail(t.Context(), "ann@example.com")
		for _, sc := range []string{"system.settings:edit", "system:delete-blobs"} {
			if _, _, err := srv.Store.CreateToken(t.Context(), u, models.NewToken{Name: sc, ExpiresOn: future(3), Grant: access.TokenGrant{Scopes: []string{sc}}}); err == nil {
				t.Errorf("a member made a token with %s", sc)
			}
		}
		if got := settingsOf(t, srv.AsAdmin()); got["signin_allowed_failures"] != float64(7) {
			t.Errorf("settings: %v", got)
		}
	})
}

// The sweep on demand removes blobs no artifact refers to, reports what
// it freed, remembers when it ran, and is audited.
func TestSweepOnDemand(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			cfg := handlertest.Config(t)
			cfg.SweepGrace, cfg.SweepInterval = time.Nanosecond, -1
			srv := handlertest.StartWith(t, modeltest.Open(t, b), cfg)
			adm := srv.AsAdmin()
			// The sweep at start has run (and found nothing) once this answers.
			deadline := time.Now().Add(5 * time.Second)
			for {
				if r := adm.Get("/api/blobs/sweep"); r.StatusCode == 200 && r.Map(t)["sweep"] != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the sweep at start was not recorded")
				}
				time.Sleep(10 * time.Millisecond)
			}
			for _, body := range []string{"orphan one", "orphan number two"} {
				st, err := srv.Blobs.Stage(strings.NewReader(body), 100)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := srv.Blobs.Put(t.Context(), st); err != nil {
					t.Fatal(err)
				}
				st.Discard()
			}
			time.Sleep(5 * time.Millisecond)
			r := adm.Do(http.MethodPost, "/api/blobs/sweep", nil, "", false)
			want(t, r, http.StatusOK)
			sw := r.Map(t)["sweep"].(map[string]any)
			if sw["blobs"] != float64(2) || sw["blob_bytes"] != float64(len("orphan one")+len("orphan number two")) || sw["by"] != handlertest.Admin {
				t.Errorf("sweep: %v", sw)
			}
			if files := blobFiles(t, srv); len(files) != 0 {
				t.Errorf("left: %v", files)
			}
			last := adm.Get("/api/blobs/sweep").Map(t)["sweep"].(map[string]any)
			if last["blobs"] != float64(2) || last["at"] != sw["at"] {
				t.Errorf("last sweep: %v", last)
			}
			evs, _ := srv.Store.AuditEvents(t.Context(), models.AuditFilter{Action: "blobs.sweep"})
			if len(evs) != 1 || evs[0].ActorEmail != handlertest.Admin {
				t.Fatalf("audit: %v", evs)
			}
			// The page shows the last run; its button runs another.
			page := adm.Get("/admin/settings")
			if !strings.Contains(doc(t, page).Find(`[data-testid="freed-blobs"]`).Text(), "2 (27 B)") {
				t.Errorf("page: %s", doc(t, page).Find(`[data-testid="last-sweep"]`).Text())
			}
			pr := adm.PostForm("/admin/blobs/sweep", url.Values{})
			if pr.StatusCode != http.StatusSeeOther {
				t.Fatalf("page sweep: %d", pr.StatusCode)
			}
			if got := mustEvents(t, srv, "blobs.sweep"); len(got) != 2 {
				t.Errorf("%d sweep events after the page's sweep", len(got))
			}
		})
	}
}

func mustEvents(t *testing.T, srv *handlertest.Server, action string) []models.AuditEvent {
	t.Helper()
	evs, err := srv.Store.AuditEvents(t.Context(), models.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// Settings changed through one instance apply on another sharing the
// database: sessions it starts get the new absolute timeout, and sign-in
// throttling starts after the new allowance.
func TestSettingsReachEveryInstance(t *testing.T) {
	if !slicesContains(modeltest.Backends(t), modeltest.Postgres) {
		return // several instances share PostgreSQL; SQLite serves one
	}
	dsn := modeltest.DSN(t, modeltest.Postgres)
	cfg := handlertest.Config(t)
	one := handlertest.StartWith(t, openShared(t, dsn), cfg)
	two := handlertest.StartWith(t, openShared(t, dsn), cfg)
	modeltest.MustUser(t, one.Store, "ann@example.com", access.RoleMember)
	// Instance two reads (and keeps) the settings before the change.
	if r := two.Login("ann@example.com").Get("/"); r.StatusCode != http.StatusOK {
		t.Fatalf("two: %d", r.StatusCode)
	}
	want(t, one.AsAdmin().SendJSON(http.MethodPatch, "/api/settings", map[string]any{"session_max_minutes": 30, "session_idle_minutes": 10, "signin_allowed_failures": 1}), http.StatusOK)

	maxAge := func() string {
		c := two.Anonymous()
		c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res := c.PostForm("/login", url.Values{"email": {"ann@example.com"}, "password": {modeltest.Password}})
		for _, ck := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(ck, "gatehouse_session=") {
				for _, part := range strings.Split(ck, "; ") {
					if v, ok := strings.CutPrefix(part, "Max-Age="); ok {
						return v
					}
				}
			}
		}
		return ""
	}
	start := time.Now()
	for maxAge() != "1800" {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("instance two still starts sessions for %s seconds", maxAge())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// One failure is allowed now: the next attempt on two must wait.
	bad := url.Values{"email": {"ann@example.com"}, "password": {"wrong password"}}
	c := two.Anonymous()
	want(t, c.PostForm("/login", bad), http.StatusUnauthorized)
	if r := c.PostForm("/login", bad); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("second failure on two: %d, want 429", r.StatusCode)
	}
}
