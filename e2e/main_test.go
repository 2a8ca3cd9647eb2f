// Package e2e drives a real Chromium against a real Gatehouse: what people
// do, through the names the spec gives to buttons, fields and links.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"gatehouse/handlers/handlertest"
	"gatehouse/models/modeltest"
)

var browser playwright.Browser

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		fmt.Fprintln(os.Stderr, "e2e: browser tests need `npm ci` (playwright-core 1.52.0), Debian's chromium and PLAYWRIGHT_DRIVER_PATH / PLAYWRIGHT_NODEJS_PATH; `make test` sets all of them up.")
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	pw, err := playwright.Run(&playwright.RunOptions{SkipInstallBrowsers: true, Verbose: false})
	if err != nil {
		return 0, fmt.Errorf("start playwright driver: %w", err)
	}
	defer pw.Stop()
	exe := os.Getenv("GATEHOUSE_CHROMIUM")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	browser, err = pw.Chromium.Launch(playwright.BrowserTypeLaunchOptions{
		ExecutablePath: playwright.String(exe),
		Args: []string{"--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"},
	})
	if err != nil {
		return 0, fmt.Errorf("launch %s: %w", exe, err)
	}
	defer browser.Close()
	return m.Run(), nil
}

// Env is one test's server and browser tab.
type Env struct {
	T    *testing.T
	Srv  *handlertest.Server
	Page playwright.Page
	ctx  playwright.BrowserContext
}

// NewEnv starts Gatehouse and opens a tab. On failure a screenshot of the
// tab is saved under e2e/screenshots.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	srv := handlertest.Start(t, modeltest.SQLite)
	return &Env{T: t, Srv: srv, Page: newTab(t, srv.URL)}
}

// Tab opens a second, separate browser session (another person).
func (e *Env) Tab() *Env {
	return &Env{T: e.T, Srv: e.Srv, Page: newTab(e.T, e.Srv.URL)}
}

func newTab(t *testing.T, baseURL string) playwright.Page {
	return newTabWith(t, playwright.BrowserNewContextOptions{BaseURL: playwright.String(baseURL)})
}

// TabWith opens another browser session with its own options (a phone's
// screen, a time zone).
func (e *Env) TabWith(opts playwright.BrowserNewContextOptions) *Env {
	opts.BaseURL = playwright.String(e.Srv.URL)
	return &Env{T: e.T, Srv: e.Srv, Page: newTabWith(e.T, opts)}
}

func newTabWith(t *testing.T, opts playwright.BrowserNewContextOptions) playwright.Page {
	ctx, err := browser.NewContext(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx.SetDefaultTimeout(10000)
	page, err := ctx.NewPage()
	if err != nil {
		t.Fatal(err)
	}
	var consoleErrors []string
	page.On("console", func(m playwright.ConsoleMessage) {
		if m.Type() == "error" {
			consoleErrors = append(consoleErrors, m.Text())
		}
	})
	page.On("pageerror", func(err error) {
		consoleErrors = append(consoleErrors, "uncaught: "+err.Error())
	})
	t.Cleanup(func() {
		if t.Failed() {
			dir := "screenshots"
			_ = os.MkdirAll(dir, 0o755)
			name := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")
			path := filepath.Join(dir, name+".png")
			if _, err := page.Screenshot(playwright.PageScreenshotOptions{Path: playwright.String(path), FullPage: playwright.Bool(true)}); err == nil {
				abs, _ := filepath.Abs(path)
				t.Logf("screenshot: %s", abs)
			}
		}
		for _, msg := range consoleErrors {
			// A CSP violation or a script error is a bug even if the test passed.
			if !strings.Contains(msg, "status of 4") {
				t.Errorf("browser console error: %s", msg)
			}
		}
		ctx.Close()
	})
	return page
}

// Go opens a path.
func (e *Env) Go(path string) {
	e.T.Helper()
	if _, err := e.Page.Goto(path); err != nil {
		e.T.Fatal(err)
	}
}

// Login signs in through the form.
func (e *Env) Login(email, password string) {
	e.T.Helper()
	e.Go("/login")
	e.Fill("Email", email)
	e.Fill("Password", password)
	e.Click("button", "Sign in")
}

// Fill types into the field with this label.
func (e *Env) Fill(label, value string) {
	e.T.Helper()
	if err := e.Page.GetByLabel(label, playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)}).Fill(value); err != nil {
		e.T.Fatalf("fill %q: %v", label, err)
	}
}

// Role finds an element by role and accessible name.
func (e *Env) Role(role, name string) playwright.Locator {
	return e.Page.GetByRole(playwright.AriaRole(role), playwright.PageGetByRoleOptions{Name: name, Exact: playwright.Bool(true)})
}

// Click clicks the element with this role and name.
func (e *Env) Click(role, name string) {
	e.T.Helper()
	if err := e.Role(role, name).Click(); err != nil {
		e.T.Fatalf("click %s %q: %v", role, name, err)
	}
}

// See asserts that text is visible somewhere on the page.
func (e *Env) See(text string) {
	e.T.Helper()
	if err := expect.Locator(e.Page.GetByText(text).First()).ToBeVisible(); err != nil {
		e.T.Fatalf("expected to see %q: %v", text, err)
	}
}

// NotSee asserts that text is not on the page.
func (e *Env) NotSee(text string) {
	e.T.Helper()
	if err := expect.Locator(e.Page.GetByText(text)).ToHaveCount(0); err != nil {
		e.T.Fatalf("expected not to see %q: %v", text, err)
	}
}

// AtPath waits until the URL path is p.
func (e *Env) AtPath(p string) {
	e.T.Helper()
	if err := expect.Page(e.Page).ToHaveURL(regexp.MustCompile("^[^?#]*//[^/]+" + regexp.QuoteMeta(p) + `(\?.*)?$`)); err != nil {
		e.T.Fatalf("expected to be at %s: %v", p, err)
	}
}

var expect = playwright.NewPlaywrightAssertions(10000)
