package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/access"
	"gatehouse/models/modeltest"
)

// Accessibility and layout audit: every page and every dialog, at desktop
// and phone width, is checked by axe-core (any violation fails), every open
// dialog must lie inside the viewport, the page must never be wider than
// the window, and at desktop width no table may clip its last column.
//
// With GATEHOUSE_SCREENSHOTS=<dir> each view is also saved there as
// <name>-<width>.png (how docs/screenshots was made).

// auditMember is the member the audit signs in as.
const auditMember = "mira.member-with-a-long-address@example.com"

// axePath is axe-core's script, installed with the npm packages.
func axePath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("axe-core is missing (%v): run `npm ci` (make test does)", err)
	}
	return p
}

// seedAudit fills a server with what every page needs to show something
// real, with long names where people use them.
func seedAudit(t *testing.T, srv *handlertest.Server) {
	t.Helper()
	ctx := t.Context()
	s := srv.Store
	modeltest.MustUser(t, s, auditMember, access.RoleMember)
	modeltest.MustUser(t, s, "ops-lead@example.com", access.RoleMember)
	adm := srv.AsAdmin()
	must := func(res *handlertest.Response, want int, what string) {
		t.Helper()
		if res.StatusCode != want {
			t.Fatalf("%s: %d %s", what, res.StatusCode, res.Body)
		}
	}
	must(adm.SendJSON("POST", "/api/roles", map[string]any{"name": "Services-Moderator"}), 201, "role")
	must(adm.SendJSON("POST", "/api/teams", map[string]any{"name": "Platform", "description": "Runs the build farm", "members": []string{auditMember, "ops-lead@example.com"}}), 201, "team")
	must(adm.SendJSON("POST", "/api/channels", map[string]any{"name": "alpha", "description": "Internal builds of the data platform", "privacy": "private"}), 201, "alpha")
	must(adm.SendJSON("POST", "/api/channels", map[string]any{"name": "beta", "privacy": "public"}), 201, "beta")
	must(adm.SendJSON("POST", "/api/channels/alpha/subchannels", map[string]any{"name": "nightly"}), 201, "subchannel")
	must(adm.SendJSON("PATCH", "/api/channels/alpha/permissions", map[string]any{
		"read": map[string]any{"teams": []string{"Platform"}}, "write": map[string]any{"users": []string{auditMember}},
		"manage": map[string]any{"roles": []string{"Services-Moderator"}},
	}), 200, "alpha permissions")
	ch, err := s.ChannelByName(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if err := modeltest.SeedArtifacts(ctx, s, ch, "linux-64", 6); err != nil {
		t.Fatal(err)
	}
	must(adm.SendJSON("POST", "/api/groups", map[string]any{"name": "platform", "description": "Everything the platform team ships", "channels": []string{"alpha", "beta"}}), 201, "group")
	must(adm.SendJSON("PATCH", "/api/groups/platform/permissions", map[string]any{"read": map[string]any{"teams": []string{"Platform"}}}), 200, "group permissions")
	must(adm.SendJSON("POST", "/api/channels/alpha/subchannel-groups", map[string]any{"name": "nightlies", "subchannels": []string{"nightly"}}), 201, "subchannel group")
	must(adm.SendJSON("POST", "/v1/pages", map[string]any{
		"identifier": "services", "title": "Services", "icon": "page",
		"widgets": []map[string]any{{"type": "table", "kind": "artifacts"}},
	}), 201, "page")
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	must(adm.SendJSON("POST", "/api/tokens", map[string]any{"name": "admin-ci", "description": "Publishes nightly builds from the build farm",
		"expires_at": day(90), "resources": []map[string]string{{"channel": "alpha", "level": "manage"}, {"channel": "alpha", "subchannel": "nightly", "level": "write"}, {"channel": "beta", "level": "read"}}}), 201, "admin token")
	mem := srv.Login(auditMember)
	must(mem.SendJSON("POST", "/api/tokens", map[string]any{"name": "laptop", "expires_at": day(3),
		"resources": []map[string]string{{"channel": "alpha", "level": "read"}}}), 201, "member token")
	must(mem.SendJSON("POST", "/api/tokens", map[string]any{"name": "ci-scopes", "expires_at": day(200),
		"scopes": []string{"artifact:download", "channel:view", "user.token:view"}}), 201, "member scope token")
	// A blocked license and a vulnerability record on one of alpha's packages.
	must(adm.SendJSON("POST", "/api/licenses/blocked", map[string]any{"license": "AGPL-3.0-only", "reason": "Network copyleft: not for services we run for customers"}), 201, "license block")
	must(adm.Do("POST", "/api/cves", strings.NewReader(`{"id":"GHSA-audit-0001","aliases":["CVE-2025-12345"],"summary":"Path traversal when unpacking archives with crafted member names",
		"details":"Versions before 1.3 write outside the target directory.","database_specific":{"severity":"HIGH"},
		"affected":[{"package":{"name":"pkg00000"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.3"}]}]}]}`), "application/json", false), 200, "vulnerability record")
	// A sign-in failure and a few changes give the audit log rows.
	srv.Anonymous().PostForm("/login", map[string][]string{"email": {"nobody@example.com"}, "password": {"wrong-password"}})
}

// auditView is one screen to check: a page, or a dialog or menu opened on it.
type auditView struct {
	name string
	as   string // who is signed in: "admin", "member" or "" for nobody
	path string
	// open, when set, clicks these controls (role and accessible name, in
	// pairs) one after the other to open a dialog or menu.
	open []string
	// do, when set, does something more on the page first.
	do func(e *Env)
	// dialog says that a dialog must end up open.
	dialog bool
	// phone marks views that exist only below desktop width.
	phone bool
}

func page(name, as, path string) auditView { return auditView{name: name, as: as, path: path} }

func dialog(name, as, path string, open ...string) auditView {
	return auditView{name: name, as: as, path: path, open: open, dialog: true}
}

func auditViews() []auditView {
	return []auditView{
		page("login", "", "/login"),
		{name: "navigation-open", as: "member", path: "/tokens", open: []string{"button", "Open navigation"}, phone: true},
		page("home-admin", "admin", "/"),
		page("tokens-admin", "admin", "/tokens"),
		dialog("token-new", "admin", "/tokens", "button", "Generate Token"),
		{name: "token-new-scopes", as: "admin", path: "/tokens", open: []string{"button", "Generate Token"}, dialog: true, do: func(e *Env) {
			selectLabel(e.T, e.Page.GetByLabel("Type", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}), "Scopes")
		}},
		{name: "token-created", as: "admin", path: "/tokens", open: []string{"button", "Generate Token"}, do: func(e *Env) {
			e.Fill("Name", fmt.Sprintf("audit-%d", time.Now().UnixNano()))
			e.Click("button", "Create")
			expectOK(e.T, expect.Locator(e.Page.GetByTestId("token-secret")).ToBeVisible(), "the new string is shown")
		}},
		dialog("token-edit", "admin", "/tokens", "button", "Edit admin-ci"),
		dialog("token-delete", "admin", "/tokens", "button", "Delete Token admin-ci"),
		page("tokens-filtered", "admin", "/tokens?expiring=14d&sort=expires"),
		page("channels-admin", "admin", "/channels"),
		dialog("channel-new", "admin", "/channels", "button", "New channel"),
		page("channel-admin", "admin", "/channels/alpha"),
		dialog("channel-upload", "admin", "/channels/alpha", "button", "Upload"),
		dialog("channel-permissions", "admin", "/channels/alpha", "button", "Permissions"),
		dialog("channel-access", "admin", "/channels/alpha", "button", "Permissions", "button", "Who has access"),
		dialog("channel-edit", "admin", "/channels/alpha", "button", "Edit channel"),
		dialog("channel-delete", "admin", "/channels/alpha", "button", "Delete channel"),
		dialog("subchannel-new", "admin", "/channels/alpha", "button", "New subchannel"),
		dialog("artifact-delete", "admin", "/channels/alpha", "button", "Delete pkg00000-1.0.0-py312h0000000_0.tar.bz2"),
		page("groups-admin", "admin", "/groups"),
		page("group-admin", "admin", "/groups/platform"),
		dialog("group-new", "admin", "/groups", "button", "New group"),
		dialog("group-edit", "admin", "/groups/platform", "button", "Edit group"),
		dialog("group-permissions", "admin", "/groups/platform", "button", "Permissions"),
		dialog("group-delete", "admin", "/groups/platform", "button", "Delete group"),
		dialog("subgroup-new", "admin", "/channels/alpha", "button", "New subchannel group"),
		dialog("subgroup-edit", "admin", "/channels/alpha", "button", "Edit subchannel group nightlies"),
		dialog("subgroup-delete", "admin", "/channels/alpha", "button", "Delete subchannel group nightlies"),
		page("catalog-admin", "admin", "/pages/services"),
		{name: "catalog-filters", as: "admin", path: "/pages/services", do: func(e *Env) {
			expectOK(e.T, e.Page.GetByText("Filters and columns").Click(), "open the filters")
		}},
		dialog("catalog-permissions", "admin", "/pages/services", "button", "Permissions"),
		dialog("catalog-access", "admin", "/pages/services", "button", "Permissions", "button", "Who has access"),
		{name: "catalog-menu", as: "admin", path: "/pages/services", open: []string{"button", "Page menu"}},
		page("builder", "admin", "/builder"),
		dialog("builder-new", "admin", "/builder", "button", "New page"),
		dialog("builder-edit", "admin", "/builder", "button", "Edit Services"),
		dialog("builder-delete", "admin", "/builder", "button", "Delete Services"),
		page("users", "admin", "/admin/users"),
		dialog("user-new", "admin", "/admin/users", "button", "New user"),
		dialog("user-edit", "admin", "/admin/users", "button", "Edit "+auditMember),
		page("teams", "admin", "/admin/teams"),
		dialog("team-new", "admin", "/admin/teams", "button", "New team"),
		dialog("team-members", "admin", "/admin/teams", "button", "Members of Platform"),
		page("roles", "admin", "/admin/roles"),
		dialog("role-delete", "admin", "/admin/roles", "button", "Delete role Services-Moderator"),
		page("settings", "admin", "/admin/settings"),
		page("licenses", "admin", "/admin/licenses"),
		page("cves", "admin", "/admin/cves"),
		page("cve", "admin", "/admin/cves/GHSA-audit-0001"),
		page("channel-history", "admin", "/channels/alpha/history"),
		page("subchannel-history", "admin", "/channels/alpha/subchannels/nightly/history"),
		page("channel-history-bad-filter", "admin", "/channels/alpha/history?since=yesterday"),
		page("default-channels-admin", "admin", "/default-channels"),
		page("default-channels-member", "member", "/default-channels"),
		page("audit-log", "admin", "/audit-log"),
		page("audit-log-inverted", "admin", "/audit-log?since=2025-03-10&until=2025-03-01"),
		page("not-found", "admin", "/channels/nowhere"),
		page("home-member", "member", "/"),
		page("tokens-member", "member", "/tokens"),
		{name: "token-new-scopes-member", as: "member", path: "/tokens", open: []string{"button", "Generate Token"}, dialog: true, do: func(e *Env) {
			selectLabel(e.T, e.Page.GetByLabel("Type", playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}), "Scopes")
		}},
		page("channels-member", "member", "/channels"),
		page("channel-member", "member", "/channels/alpha"),
		dialog("channel-permissions-member", "member", "/channels/alpha", "button", "Permissions"),
		page("groups-member", "member", "/groups"),
		page("group-member", "member", "/groups/platform"),
		dialog("group-permissions-member", "member", "/groups/platform", "button", "Permissions"),
		page("catalog-member", "member", "/pages/services"),
		dialog("catalog-permissions-member", "member", "/pages/services", "button", "Permissions"),
		dialog("catalog-access-member", "member", "/pages/services", "button", "Permissions", "button", "Who has access"),
	}
}

// axeViolation is one failed axe rule on a view.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// geometry is what the layout checks read from the page.
type geometry struct {
	InnerWidth  float64 `json:"innerWidth"`
	InnerHeight float64 `json:"innerHeight"`
	ScrollWidth float64 `json:"scrollWidth"`
	Dialog      *struct {
		X, Y, W, H float64
	} `json:"dialog"`
	Clipped []string `json:"clipped"`
}

const geometryJS = `() => {
  const out = {innerWidth: innerWidth, innerHeight: innerHeight, scrollWidth: document.documentElement.scrollWidth, dialog: null, clipped: []};
  const d = document.querySelector('dialog[open]');
  if (d) { const r = d.getBoundingClientRect(); out.dialog = {X: r.x, Y: r.y, W: r.width, H: r.height}; }
  document.querySelectorAll('table').forEach(t => {
    const wrap = t.parentElement;
    if (wrap.scrollWidth > wrap.clientWidth + 1) out.clipped.push((t.dataset.testid || t.id || 'table') + ': ' + wrap.scrollWidth + ' > ' + wrap.clientWidth);
  });
  return out;
}`

const axeJS = `async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
}`

// TestAccessibilityAndLayout audits every view at 1280 and 390 px.
func TestAccessibilityAndLayout(t *testing.T) {
	srv := handlertest.Start(t, modeltest.SQLite)
	seedAudit(t, srv)
	axe := axePath(t)
	shots := os.Getenv("GATEHOUSE_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, width := range []int{1280, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tabs := map[string]*Env{}
			for _, who := range []string{"", "admin", "member"} {
				tabs[who] = auditTab(t, srv, who, width)
			}
			for _, v := range auditViews() {
				if v.phone && width >= 1024 {
					continue
				}
				t.Run(v.name, func(t *testing.T) {
					e := tabs[v.as]
					e.T = t
					vs := auditOne(t, e, v, axe, width, shots)
					total += vs
				})
			}
		})
	}
	t.Logf("axe: %d violations over %d views at 2 widths", total, len(auditViews()))
}

// auditTab opens a browser session at width with the CSP bypassed (so axe
// can be injected), signed in as who.
func auditTab(t *testing.T, srv *handlertest.Server, who string, width int) *Env {
	t.Helper()
	ctx, err := browser.NewContext(playwright.BrowserNewContextOptions{
		BaseURL:   playwright.String(srv.URL),
		BypassCSP: playwright.Bool(true),
		Viewport:  &playwright.Size{Width: width, Height: 844},
		// Below desktop width, behave as a phone: a page wider than the
		// screen widens the layout viewport, as it does on a real phone.
		IsMobile: playwright.Bool(width < 1024),
		HasTouch: playwright.Bool(width < 1024),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Close() })
	ctx.SetDefaultTimeout(10000)
	page, err := ctx.NewPage()
	if err != nil {
		t.Fatal(err)
	}
	page.On("pageerror", func(err error) { t.Errorf("uncaught script error: %v", err) })
	e := &Env{T: t, Srv: srv, Page: page}
	switch who {
	case "admin":
		e.Login(handlertest.Admin, modeltest.Password)
	case "member":
		e.Login(auditMember, modeltest.Password)
	}
	if who != "" {
		e.AtPath("/")
	}
	return e
}

// auditOne checks one view and returns its number of axe violations.
func auditOne(t *testing.T, e *Env, v auditView, axe string, width int, shots string) int {
	if v.path == "" {
		// measure the page as it stands
	} else if _, err := e.Page.Goto(v.path); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(v.open); i += 2 {
		if err := e.Role(v.open[i], v.open[i+1]).Click(); err != nil {
			t.Fatalf("open %s %q: %v", v.open[i], v.open[i+1], err)
		}
	}
	if v.do != nil {
		v.do(e)
	}
	if v.dialog {
		if err := expect.Locator(e.Page.Locator("dialog[open]")).ToBeVisible(); err != nil {
			t.Fatalf("no dialog opened: %v", err)
		}
	}
	// Let transitions and htmx settle before measuring.
	e.Page.WaitForTimeout(150)
	if _, err := e.Page.AddScriptTag(playwright.PageAddScriptTagOptions{Path: playwright.String(axe)}); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	raw, err := e.Page.Evaluate(axeJS)
	if err != nil {
		t.Fatalf("run axe: %v", err)
	}
	var vs []axeViolation
	remarshal(t, raw, &vs)
	for _, x := range vs {
		t.Errorf("axe %s (%s): %s — %s", x.ID, x.Impact, x.Help, strings.Join(x.Nodes, " | "))
	}
	raw, err = e.Page.Evaluate(geometryJS)
	if err != nil {
		t.Fatal(err)
	}
	var g geometry
	remarshal(t, raw, &g)
	// Measured against the screen: a phone widens its layout viewport to
	// fit a page that is too wide, so innerWidth alone would hide it.
	screen := float64(width)
	if g.ScrollWidth > screen+1 || g.InnerWidth > screen+1 {
		t.Errorf("the page is %.0f px wide on a %.0f px screen", max(g.ScrollWidth, g.InnerWidth), screen)
	}
	if d := g.Dialog; d != nil && (d.X < 0 || d.Y < 0 || d.X+d.W > screen+0.5 || d.Y+d.H > g.InnerHeight+0.5) {
		t.Errorf("dialog box at x=%.0f y=%.0f %.0f×%.0f is not inside the %.0f×%.0f screen", d.X, d.Y, d.W, d.H, screen, g.InnerHeight)
	}
	if width >= 1280 {
		for _, c := range g.Clipped {
			t.Errorf("table clipped at %d px: %s", width, c)
		}
	}
	if shots != "" {
		path := filepath.Join(shots, fmt.Sprintf("%s-%d.png", v.name, width))
		if _, err := e.Page.Screenshot(playwright.PageScreenshotOptions{Path: playwright.String(path)}); err != nil {
			t.Errorf("screenshot: %v", err)
		}
	}
	return len(vs)
}

func remarshal(t *testing.T, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
