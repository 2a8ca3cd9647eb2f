package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// A channel's manager opens the History tab, filters it to subchannel
// events, follows a subchannel's history and goes back to the artifacts;
// a reader of the channel gets no History tab.
func TestChannelHistoryTab(t *testing.T) {
	e := NewEnv(t)
	adm := e.Srv.AsAdmin()
	must := func(r *handlertest.Response, status int) {
		t.Helper()
		if r.StatusCode != status {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	}
	modeltest.MustUser(t, e.Srv.Store, "ann@example.com", access.RoleMember)
	must(adm.SendJSON("POST", "/api/channels", map[string]any{"name": "web", "privacy": "private"}), 201)
	must(adm.SendJSON("POST", "/api/channels", map[string]any{"name": "webapp", "privacy": "private"}), 201)
	must(adm.SendJSON("POST", "/api/channels/web/subchannels", map[string]any{"name": "nightly"}), 201)
	must(adm.SendJSON("PATCH", "/api/channels/web/permissions", map[string]any{"read": map[string]any{"users": []string{"ann@example.com"}}}), 200)
	must(adm.SendJSON("PATCH", "/api/channels/webapp", map[string]any{"description": "Not web's"}), 200)

	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/channels/web")
	e.Click("link", "History")
	e.AtPath("/channels/web/history")
	table := e.Page.GetByTestId("history-table")
	expectOK(t, expect.Locator(table.Locator("tbody tr")).ToHaveCount(3), "three events on web")
	expectOK(t, expect.Locator(table).ToContainText("channel.permissions"), "the permission change")
	expectOK(t, expect.Locator(table).Not().ToContainText("channel.update"), "webapp's change is not web's")
	expectOK(t, expect.Locator(e.Role("link", "History")).ToHaveAttribute("aria-current", "page"), "the tab is current")

	selectLabel(t, e.Page.GetByLabel("Action", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}), "subchannel")
	e.Click("button", "Filter")
	expectOK(t, expect.Locator(table.Locator("tbody tr")).ToHaveCount(1), "one subchannel event")
	expectOK(t, expect.Locator(table).ToContainText("nightly"), "on nightly")

	// A date range that ends before the channel began shows nothing.
	e.Fill("Until", "2020-01-01")
	e.Click("button", "Filter")
	e.See("No events match.")

	e.Go("/channels/web/subchannels/nightly/history")
	e.See("History of web / nightly")
	expectOK(t, expect.Locator(table.Locator("tbody tr")).ToHaveCount(1), "nightly's own event")
	e.Click("link", "Artifacts")
	e.AtPath("/channels/web")

	ann := e.Tab()
	ann.Login("ann@example.com", modeltest.Password)
	ann.Go("/channels/web")
	ann.See("Use with conda")
	expectOK(t, expect.Locator(ann.Role("link", "History")).ToHaveCount(0), "no History tab for a reader")
}

// An admin changes the session and sign-in settings: a wrong value is
// refused with its message next to the field, a good one is saved.
func TestSettingsPage(t *testing.T) {
	e := NewEnv(t)
	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/admin/settings")
	e.Fill("Idle timeout (minutes)", "1.5")
	e.Click("button", "Save settings")
	e.See("Idle timeout (minutes) must be a whole number.")
	expectOK(t, expect.Locator(e.Page.GetByLabel("Idle timeout (minutes)")).ToHaveAttribute("aria-invalid", "true"), "the field is marked")
	e.Fill("Idle timeout (minutes)", "600")
	e.Fill("Absolute timeout (minutes)", "60")
	e.Click("button", "Save settings")
	e.See("Idle timeout must not be longer than the absolute timeout (60 minutes).")
	e.Fill("Idle timeout (minutes)", "30")
	e.Fill("Allowed failures", "3")
	e.Click("button", "Save settings")
	e.See("Settings saved.")
	expectOK(t, expect.Locator(e.Page.GetByLabel("Idle timeout (minutes)")).ToHaveValue("30"), "idle saved")
	expectOK(t, expect.Locator(e.Page.GetByLabel("Absolute timeout (minutes)")).ToHaveValue("60"), "absolute saved")
	expectOK(t, expect.Locator(e.Page.GetByLabel("Allowed failures")).ToHaveValue("3"), "failures saved")
	set, err := e.Srv.Store.Settings(t.Context())
	if err != nil || set.SessionIdleMinutes != 30 || set.SessionMaxMinutes != 60 || set.SigninFailures != 3 {
		t.Fatalf("stored: %+v %v", set, err)
	}
}

// An admin runs the blob cleanup from the Settings page and sees what it
// freed and when it ran.
func TestBlobCleanup(t *testing.T) {
	cfg := handlertest.Config(t)
	cfg.SweepGrace, cfg.SweepInterval = time.Nanosecond, -1
	srv := handlertest.StartWith(t, modeltest.Open(t, modeltest.SQLite), cfg)
	e := &Env{T: t, Srv: srv, Page: newTab(t, srv.URL)}
	st, err := srv.Blobs.Stage(strings.NewReader("an orphaned package file"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Blobs.Put(t.Context(), st); err != nil {
		t.Fatal(err)
	}
	st.Discard()
	time.Sleep(5 * time.Millisecond)

	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/admin/settings")
	section := e.Page.GetByRole("region", playwright.PageGetByRoleOptions{Name: "Blob cleanup"})
	expectOK(t, expect.Locator(section).ToBeVisible(), "the cleanup section")
	e.Click("button", "Run cleanup now")
	e.See("Cleanup freed 1 blobs (24 B) and 0 staging files (0 B).")
	expectOK(t, expect.Locator(e.Page.GetByTestId("freed-blobs")).ToHaveText("1 (24 B)"), "what it freed")
	expectOK(t, expect.Locator(e.Page.GetByTestId("last-sweep")).ToContainText("by "+handlertest.Admin), "who ran it")
}

// A manager sets the default channels in the browser and copies the
// ready .condarc.
func TestDefaultChannelsPage(t *testing.T) {
	e := NewEnv(t)
	adm := e.Srv.AsAdmin()
	for _, n := range []string{"main", "forge"} {
		if r := adm.SendJSON("POST", "/api/channels", map[string]any{"name": n, "privacy": "public"}); r.StatusCode != 201 {
			t.Fatal(r.Body)
		}
	}
	e.Login(handlertest.Admin, modeltest.Password)
	e.Go("/channels")
	e.Click("link", "Default channels")
	e.AtPath("/default-channels")
	e.Fill("Channels, one per line, in order", "forge\nnosuch")
	e.Click("button", "Save default channels")
	e.See("There is no channel nosuch (or you cannot see it).")
	e.Fill("Channels, one per line, in order", "forge\nmain")
	e.Click("button", "Save default channels")
	e.See("Default channels saved.")
	rc := e.Page.GetByTestId("condarc")
	expectOK(t, expect.Locator(rc).ToContainText("default_channels:\n  - "+e.Srv.URL+"/api/repo/forge\n  - "+e.Srv.URL+"/api/repo/main"), "the .condarc")
	e.Go("/channels/main")
	e.Page.GetByText("A ready .condarc with the default channels").Click()
	expectOK(t, expect.Locator(e.Page.GetByTestId("channel-condarc")).ToContainText("channels:\n  - main\n  - defaults"), "the channel's .condarc")
}
