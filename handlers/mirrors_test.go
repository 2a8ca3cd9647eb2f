package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gatehouse/handlers/handlertest"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/conda"
	"gatehouse/models/conda/condatest"
	"gatehouse/models/modeltest"
)

// mirrorSetup is an upstream Gatehouse with a public channel of two
// packages, and a downstream one allowed to reach it on loopback, with
// channel "down" (subchannel "s") that mgr@example.com manages.
type mirrorSetup struct {
	up, down *handlertest.Server
	admin    *handlertest.Client
	upURL    string
	ch       *models.Channel
}

func startMirrorSetup(t *testing.T, b modeltest.Backend, privateNetworks bool) *mirrorSetup {
	t.Helper()
	up := handlertest.Start(t, b)
	upAdmin := up.AsAdmin()
	mustChannel(t, upAdmin, "up", "public")
	for _, p := range []condatest.Pkg{{Name: "alpha", Version: "1.0"}, {Name: "beta", Version: "2.0", Subdir: "noarch", Noarch: "generic"}} {
		p = p.Defaults()
		want(t, uploadTo(t, upAdmin, "up", "", p.Filename(conda.Conda), condatest.Build(t, p, conda.Conda)), http.StatusCreated)
	}
	cfg := handlertest.Config(t)
	cfg.MirrorPrivateNetworks, cfg.MirrorCheckInterval = privateNetworks, -1
	down := handlertest.StartWith(t, modeltest.Open(t, b), cfg)
	ms := &mirrorSetup{up: up, down: down, admin: down.AsAdmin(), upURL: up.URL + "/api/repo/up"}
	ms.ch = seedChannel(t, down.Store, "down", "manage", "")
	if _, err := down.Store.CreateSubchannel(t.Context(), ms.ch, "s"); err != nil {
		t.Fatal(err)
	}
	seedChannel(t, down.Store, "other", "manage", "")
	modeltest.MustUser(t, down.Store, "mgr@example.com")
	modeltest.MustUser(t, down.Store, "writer@example.com")
	grant(t, down.Store, ms.ch, "manage", "mgr@example.com")
	grant(t, down.Store, ms.ch, "write", "writer@example.com")
	return ms
}

func grant(t *testing.T, s *models.Store, ch *models.Channel, level, email string) {
	t.Helper()
	users := []string{email}
	if _, _, err := s.ApplyGrantsPatch(t.Context(), models.ResourceChannel, ch.ID, map[string]access.GrantsPatch{level: {Users: &users}}); err != nil {
		t.Fatal(err)
	}
}

func (ms *mirrorSetup) count(t *testing.T) int64 {
	var n int64
	if err := ms.down.Store.DB().Model(&models.Mirror{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func (ms *mirrorSetup) audits(t *testing.T, action string) []models.AuditEvent {
	t.Helper()
	evs, err := ms.down.Store.AuditEvents(t.Context(), models.AuditFilter{Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestMirrorAPI creates, runs, lists, changes and deletes mirrors of a
// channel and a subchannel through the JSON API, with every change and
// run in the audit log under the place's name.
func TestMirrorAPI(t *testing.T) {
	for _, b := range modeltest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			ms := startMirrorSetup(t, b, true)
			res := ms.admin.SendJSON(http.MethodPost, "/api/channels/down/mirrors", map[string]any{
				"url": ms.upURL + "/", "subdirs": []string{"linux-64", "noarch"}, "include": []string{"alpha", "beta"}, "versions": ">=1",
				"licenses": []string{" MIT "}, "exclude_severity": "HIGH", "interval_minutes": 0})
			want(t, res, http.StatusCreated)
			var created struct{ Mirror handlersMirror }
			res.JSON(t, &created)
			m := created.Mirror
			if m.URL != ms.upURL || m.Channel != "down" || m.ExcludeSeverity != "high" || m.Licenses[0] != "MIT" {
				t.Fatalf("created %+v", m)
			}
			base := fmt.Sprintf("/api/channels/down/mirrors/%d", m.ID)
			res = ms.admin.Do(http.MethodPost, base+"/run?wait=60", nil, "", false)
			want(t, res, http.StatusOK)
			var ran struct{ Run handlersRun }
			res.JSON(t, &ran)
			if ran.Run.Status != "ok" || ran.Run.Added != 2 {
				t.Fatalf("run %+v", ran.Run)
			}
			if r := ms.admin.Get("/api/repo/down/noarch/repodata.json"); !strings.Contains(r.Body, "beta-2.0-h1234_0.conda") {
				t.Fatalf("not served: %s", r.Body)
			}
			var runs struct{ Runs []handlersRun }
			ms.admin.Get(base+"/runs").JSON(t, &runs)
			if len(runs.Runs) != 1 || runs.Runs[0].Added != 2 {
				t.Fatalf("runs %+v", runs)
			}
			var one struct{ Mirror handlersMirror }
			ms.admin.Get(base).JSON(t, &one)
			if one.Mirror.LastRun == nil || one.Mirror.LastRun.Added != 2 || one.Mirror.Running {
				t.Fatalf("mirror %+v", one.Mirror)
			}
			// A subchannel mirror, then the list of all.
			want(t, ms.admin.SendJSON(http.MethodPost, "/api/channels/down/subchannels/s/mirrors", map[string]any{"url": ms.upURL, "subdirs": []string{"noarch"}}), http.StatusCreated)
			var all struct{ Mirrors []handlersMirror }
			ms.admin.Get("/api/mirrors").JSON(t, &all)
			if len(all.Mirrors) != 2 || all.Mirrors[1].Subchannel != "s" {
				t.Fatalf("all %+v", all)
			}
			// PATCH changes only what it sends.
			res = ms.admin.SendJSON(http.MethodPatch, base, map[string]any{"include": []string{"alpha"}})
			want(t, res, http.StatusOK)
			ms.admin.Get(base).JSON(t, &one)
			if len(one.Mirror.Include) != 1 || one.Mirror.Versions != ">=1" || len(one.Mirror.Subdirs) != 2 {
				t.Fatalf("patched %+v", one.Mirror)
			}
			res = ms.admin.Do(http.MethodPost, base+"/run?wait=60", nil, "", false)
			want(t, res, http.StatusOK)
			res.JSON(t, &ran)
			if ran.Run.Removed != 1 || ran.Run.Unchanged != 1 {
				t.Fatalf("run after narrowing: %+v", ran.Run)
			}
			// Delete: the mirror goes, what it added stays (no longer marked).
			want(t, ms.admin.Do(http.MethodDelete, base, nil, "", false), http.StatusNoContent)
			want(t, ms.admin.Get(base), http.StatusNotFound)
			var n int64
			ms.down.Store.DB().Model(&models.Artifact{}).Where("channel_id = ? AND mirror_id = 0", ms.ch.ID).Count(&n)
			if n != 1 {
				t.Errorf("%d artifacts kept after the delete, want 1", n)
			}
			for action, targets := range map[string][]string{
				"mirror.create": {"down/s", "down"}, "mirror.update": {"down"}, "mirror.run": {"down", "down"}, "mirror.delete": {"down"},
			} {
				evs := ms.audits(t, action)
				var got []string
				for _, e := range evs {
					got = append(got, e.Target)
				}
				if strings.Join(got, ",") != strings.Join(targets, ",") {
					t.Errorf("%s audited on %v, want %v", action, got, targets)
				}
			}
			upd := ms.audits(t, "mirror.update")[0].DetailsMap()
			if fmt.Sprint(upd["old"].(map[string]any)["include"]) != "[alpha beta]" || fmt.Sprint(upd["new"].(map[string]any)["include"]) != "[alpha]" {
				t.Errorf("update details %v", upd)
			}
		})
	}
}

type handlersRun struct {
	ID, Added, Removed, Unchanged, Refused int
	Status, Error                          string
	Refusals                               []models.Refusal
}

type handlersMirror struct {
	ID                                 uint
	Channel, Subchannel, URL, Versions string
	ExcludeSeverity                    string `json:"exclude_severity"`
	Include, Subdirs, Licenses         []string
	Running                            bool
	LastRun                            *handlersRun `json:"last_run"`
}

// TestMirrorInputRefused: every bad input is a clear 4xx and stores nothing.
func TestMirrorInputRefused(t *testing.T) {
	ms := startMirrorSetup(t, modeltest.Backends(t)[0], true)
	want(t, ms.admin.SendJSON(http.MethodPost, "/api/channels/down/mirrors", map[string]any{"url": ms.upURL}), http.StatusCreated)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("p%d", i)
	}
	cases := []struct {
		name   string
		body   any
		status int
		says   string
	}{
		{"no url", map[string]any{}, 422, "Enter the upstream"},
		{"ftp", map[string]any{"url": "ftp://example.com/c"}, 422, "http:// or https://"},
		{"not a url", map[string]any{"url": "conda-forge"}, 422, "http:// or https://"},
		{"query", map[string]any{"url": "https://example.com/c?x=1"}, 422, "query"},
		{"bad host", map[string]any{"url": "https://exa mple.com/c"}, 422, ""},
		{"long url", map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2100)}, 422, "longer than"},
		{"bad pattern", map[string]any{"url": "https://example.com/c", "include": []string{"[a"}}, 422, "pattern"},
		{"slash pattern", map[string]any{"url": "https://example.com/c", "exclude": []string{"a/b"}}, 422, "pattern"},
		{"long pattern", map[string]any{"url": "https://example.com/c", "include": []string{strings.Repeat("a", 300)}}, 422, "at most"},
		{"many patterns", map[string]any{"url": "https://example.com/c", "include": many}, 422, "At most 100"},
		{"bad subdir", map[string]any{"url": "https://example.com/c", "subdirs": []string{"../etc"}}, 422, "subdir"},
		{"bad spec", map[string]any{"url": "https://example.com/c", "versions": ">=1,,2"}, 422, "version spec"},
		{"bad severity", map[string]any{"url": "https://example.com/c", "exclude_severity": "dire"}, 422, "Severity"},
		{"bad interval", map[string]any{"url": "https://example.com/c", "interval_minutes": -5}, 422, "interval"},
		{"wrong type", map[string]any{"url": 5}, 400, "must be"},
		{"unknown field", map[string]any{"url": "https://example.com/c", "token": "x"}, 400, "Unknown field"},
		{"same upstream twice", map[string]any{"url": ms.upURL}, 409, "already mirrors"},
		{"huge body", map[string]any{"url": "https://example.com/c", "versions": strings.Repeat("1", 2<<20)}, 413, ""},
	}
	for _, c := range cases {
		res := ms.admin.SendJSON(http.MethodPost, "/api/channels/down/mirrors", c.body)
		if res.StatusCode != c.status || !strings.Contains(res.Body, c.says) || !strings.Contains(res.Body, `"ok":false`) {
			t.Errorf("%s: %d %.200s, want %d saying %q", c.name, res.StatusCode, res.Body, c.status, c.says)
		}
	}
	if n := ms.count(t); n != 1 {
		t.Errorf("%d mirrors stored, want 1", n)
	}
	// Malformed JSON, and a PATCH that would break it: nothing changes.
	want(t, ms.admin.Do(http.MethodPost, "/api/channels/down/mirrors", strings.NewReader(`{"url":`), "application/json", false), http.StatusBadRequest)
	var list struct{ Mirrors []handlersMirror }
	ms.admin.Get("/api/channels/down/mirrors").JSON(t, &list)
	id := list.Mirrors[0].ID
	want(t, ms.admin.SendJSON(http.MethodPatch, fmt.Sprintf("/api/channels/down/mirrors/%d", id), map[string]any{"include": []string{"ok"}, "versions": "<>"}), 422)
	ms.admin.Get("/api/channels/down/mirrors").JSON(t, &list)
	if len(list.Mirrors[0].Include) != 0 {
		t.Errorf("a refused PATCH changed the mirror: %+v", list.Mirrors[0])
	}
	// Credentials in the URL are used but never shown.
	res := ms.admin.SendJSON(http.MethodPost, "/api/channels/down/mirrors", map[string]any{"url": "https://bob:s3cret@example.com/t/gth_abcdef/api/repo/x"})
	want(t, res, http.StatusCreated)
	if strings.Contains(res.Body, "s3cret") || strings.Contains(res.Body, "gth_abcdef") {
		t.Errorf("credentials echoed: %s", res.Body)
	}
	for _, e := range ms.audits(t, "mirror.create") {
		if strings.Contains(e.Details, "s3cret") || strings.Contains(e.Details, "gth_abcdef") {
			t.Errorf("credentials audited: %s", e.Details)
		}
	}
	// A mirror of another channel is not found through this one; bad ids are 404.
	want(t, ms.admin.Get(fmt.Sprintf("/api/channels/other/mirrors/%d", id)), http.StatusNotFound)
	want(t, ms.admin.Get("/api/channels/down/mirrors/abc"), http.StatusNotFound)
	want(t, ms.admin.Get(fmt.Sprintf("/api/channels/down/subchannels/s/mirrors/%d", id)), http.StatusNotFound)
	want(t, ms.admin.Get("/api/channels/down/subchannels/nope/mirrors"), http.StatusNotFound)
	// Run parameters, and a mirror already running.
	want(t, ms.admin.Do(http.MethodPost, fmt.Sprintf("/api/channels/down/mirrors/%d/run?wait=999", id), nil, "", false), http.StatusBadRequest)
	want(t, ms.admin.Get(fmt.Sprintf("/api/channels/down/mirrors/%d/runs?limit=0", id)), http.StatusBadRequest)
	if _, err := ms.down.Store.ClaimMirror(t.Context(), id, "schedule", time.Minute); err != nil {
		t.Fatal(err)
	}
	res = ms.admin.Do(http.MethodPost, fmt.Sprintf("/api/channels/down/mirrors/%d/run", id), nil, "", false)
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "running already") {
		t.Errorf("a second run: %d %s", res.StatusCode, res.Body)
	}
}

// TestMirrorInternalAddressRefused: without GATEHOUSE_MIRROR_PRIVATE_NETWORKS
// a mirror may name a loopback upstream, but a run never connects to it.
func TestMirrorInternalAddressRefused(t *testing.T) {
	ms := startMirrorSetup(t, modeltest.Backends(t)[0], false)
	res := ms.admin.SendJSON(http.MethodPost, "/api/channels/down/mirrors", map[string]any{"url": ms.upURL, "subdirs": []string{"noarch"}})
	want(t, res, http.StatusCreated)
	var created struct{ Mirror handlersMirror }
	res.JSON(t, &created)
	res = ms.admin.Do(http.MethodPost, fmt.Sprintf("/api/channels/down/mirrors/%d/run?wait=30", created.Mirror.ID), nil, "", false)
	want(t, res, http.StatusOK)
	var ran struct{ Run handlersRun }
	res.JSON(t, &ran)
	if ran.Run.Status != "failed" || !strings.Contains(ran.Run.Error, "internal") {
		t.Fatalf("run %+v", ran.Run)
	}
}

// TestMirrorScopes: each mirror scope lets a token do its own part at
// manage on the channel (subchannel scopes: on the parent channel), and
// nothing else.
func TestMirrorScopes(t *testing.T) {
	ms := startMirrorSetup(t, modeltest.Backends(t)[0], true)
	for _, p := range []string{"/api/channels/down/mirrors", "/api/channels/down/subchannels/s/mirrors", "/api/channels/other/mirrors"} {
		want(t, ms.admin.SendJSON(http.MethodPost, p, map[string]any{"url": "https://example.com/c"}), http.StatusCreated)
	}
	s := ms.down.Store
	tok := func(email string, g access.TokenGrant) *handlertest.Client {
		return withToken(ms.down, mustToken(t, s, email, fmt.Sprintf("t%d", time.Now().UnixNano()), g))
	}
	scopes := func(sc ...string) access.TokenGrant { return access.TokenGrant{Scopes: sc} }
	modeltest.MustUser(t, s, "demoted@example.com")
	grant(t, s, ms.ch, "manage", "demoted@example.com")
	demoted := tok("demoted@example.com", scopes("channel.mirror:view", "channel.mirror:edit", "mirror:view"))
	users, managers := []string{"writer@example.com", "demoted@example.com"}, []string{"mgr@example.com"}
	if _, _, err := s.ApplyGrantsPatch(t.Context(), models.ResourceChannel, ms.ch.ID, map[string]access.GrantsPatch{"write": {Users: &users}, "manage": {Users: &managers}}); err != nil {
		t.Fatal(err)
	}
	body := map[string]any{"url": "https://example.org/c"}
	ch, sub := "/api/channels/down/mirrors", "/api/channels/down/subchannels/s/mirrors"
	type try struct {
		method, path string
		status       int
	}
	cases := []struct {
		name  string
		c     *handlertest.Client
		tries []try
	}{
		{"channel.mirror:view", tok("mgr@example.com", scopes("channel.mirror:view")), []try{
			{"GET", ch, 200}, {"GET", ch + "/1", 200}, {"GET", ch + "/1/runs", 200},
			{"POST", ch, 403}, {"PATCH", ch + "/1", 403}, {"DELETE", ch + "/1", 403}, {"POST", ch + "/1/run", 403},
			{"GET", sub, 403}, {"GET", "/api/mirrors", 403}, {"GET", "/api/channels/other/mirrors", 404},
		}},
		{"channel.mirror:edit", tok("mgr@example.com", scopes("channel.mirror:edit")), []try{
			{"POST", ch, 201}, {"PATCH", ch + "/1", 200}, {"GET", ch, 403}, {"POST", sub, 403}, {"GET", "/api/mirrors", 403},
		}},
		{"subchannel.mirror:view", tok("mgr@example.com", scopes("subchannel.mirror:view")), []try{
			{"GET", sub, 200}, {"GET", sub + "/2", 200}, {"POST", sub, 403}, {"GET", ch, 403},
		}},
		{"subchannel.mirror:edit", tok("mgr@example.com", scopes("subchannel.mirror:edit")), []try{
			{"POST", sub, 201}, {"GET", sub, 403}, {"POST", ch, 403},
		}},
		{"mirror:view", tok("mgr@example.com", scopes("mirror:view")), []try{
			{"GET", "/api/mirrors", 200}, {"GET", ch, 403}, {"POST", ch, 403},
		}},
		{"a manager demoted to write since", demoted, []try{
			{"GET", ch, 403}, {"POST", ch, 403},
		}},
		{"a resource token on the subchannel alone", tok("mgr@example.com", access.TokenGrant{Resources: []access.Resource{{Channel: "down", Sub: "s", Level: access.Manage}}}), []try{
			{"GET", sub, 404}, {"POST", sub, 404},
		}},
		{"no token", ms.down.Anonymous(), []try{{"GET", ch, 401}, {"POST", ch, 401}, {"GET", "/api/mirrors", 401}}},
		{"a reader in a browser", ms.down.Login("writer@example.com"), []try{{"GET", ch, 403}, {"POST", ch, 403}}},
	}
	for _, c := range cases {
		for _, tr := range c.tries {
			var res *handlertest.Response
			if tr.method == "GET" || tr.method == "DELETE" {
				res = c.c.Do(tr.method, tr.path, nil, "", false)
			} else if tr.method == "PATCH" {
				res = c.c.SendJSON(tr.method, tr.path, map[string]any{"versions": ">=1"})
			} else {
				res = c.c.SendJSON(tr.method, tr.path, body)
			}
			if res.StatusCode != tr.status {
				t.Errorf("%s: %s %s = %d %.160s, want %d", c.name, tr.method, tr.path, res.StatusCode, res.Body, tr.status)
			}
		}
	}
	// mirror:view lists the mirrors of channels the holder manages, only.
	var all struct{ Mirrors []handlersMirror }
	tok("mgr@example.com", scopes("mirror:view")).Get("/api/mirrors").JSON(t, &all)
	for _, m := range all.Mirrors {
		if m.Channel != "down" {
			t.Errorf("mirror:view showed a mirror of %s", m.Channel)
		}
	}
	if len(all.Mirrors) < 2 {
		t.Errorf("mirror:view listed %d mirrors", len(all.Mirrors))
	}
}

// TestMirrorSchedule: the server's own loop runs a mirror whose time has
// come, and the audit log says the schedule did it.
func TestMirrorSchedule(t *testing.T) {
	b := modeltest.Backends(t)[0]
	ms := startMirrorSetup(t, b, true)
	cfg := ms.down.Cfg
	cfg.MirrorCheckInterval = 50 * time.Millisecond
	srv := handlertest.StartWith(t, ms.down.Store, cfg)
	m, err := srv.Store.CreateMirror(t.Context(), ms.ch, nil, models.MirrorSpec{URL: ms.upURL, Subdirs: []string{"noarch", "linux-64"}, IntervalMinutes: 60})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		runs, err := srv.Store.MirrorRuns(t.Context(), m.ID, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == 1 && runs[0].Status == models.RunOK {
			if runs[0].Trigger != "schedule" || runs[0].Added != 2 {
				t.Fatalf("run %+v", runs[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no scheduled run: %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for len(ms.audits(t, "mirror.run")) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if evs := ms.audits(t, "mirror.run"); len(evs) != 1 || evs[0].ActorEmail != "schedule" || evs[0].Target != "down" {
		t.Errorf("audit %+v", evs)
	}
	time.Sleep(200 * time.Millisecond) // several more checks: not due for an hour
	if runs, _ := srv.Store.MirrorRuns(t.Context(), m.ID, 5); len(runs) != 1 {
		t.Errorf("%d runs, want 1", len(runs))
	}
}
