// Package handlertest starts a real Gatehouse (real handlers, real database)
// on a loopback port and gives tests a browser-like HTTP client.
package handlertest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"gatehouse/handlers"
	"gatehouse/models"
	"gatehouse/models/access"
	"gatehouse/models/blobs"
	"gatehouse/models/blobs/blobstest"
	"gatehouse/models/modeltest"
	"gatehouse/web"
)

// Server is a running Gatehouse.
type Server struct {
	URL   string
	Store *models.Store
	Cfg   web.Config
	// Blobs is the server's blob storage, opened once more for the test.
	Blobs blobs.Store
	// Metrics is what the server measures (Scrape reads it).
	Metrics *web.Metrics
	t       testing.TB
}

// Admin is the email of the admin every test server starts with.
const Admin = "admin@example.com"

// Start runs Gatehouse on backend b with an admin account.
func Start(t testing.TB, b modeltest.Backend) *Server {
	t.Helper()
	return StartWith(t, modeltest.Open(t, b), Config(t))
}

// Config is the configuration test servers run with.
func Config(t testing.TB) web.Config {
	return web.Config{DataDir: t.TempDir(), MaxUpload: 64 << 20, MaxUploads: 32}
}

// Backend is a database and a blob store kind to run a server on.
type Backend struct {
	DB    modeltest.Backend
	Blobs blobstest.Kind
}

func (b Backend) String() string { return string(b.DB) + "-" + string(b.Blobs) }

// Backends lists every database with every blob store kind to test on.
func Backends(t testing.TB) []Backend {
	var out []Backend
	for _, db := range modeltest.Backends(t) {
		for _, k := range blobstest.Kinds(t) {
			out = append(out, Backend{db, k})
		}
	}
	return out
}

// WithBlobs sets cfg's blob storage to a fresh store of kind k.
func WithBlobs(t testing.TB, cfg web.Config, k blobstest.Kind) web.Config {
	set := blobstest.Settings(t, k, cfg.DataDir)
	cfg.Blobs, cfg.S3 = set.Spec, set.S3
	return cfg
}

// StartOn runs Gatehouse on backend b with an admin account.
func StartOn(t testing.TB, b Backend) *Server {
	t.Helper()
	return StartWith(t, modeltest.Open(t, b.DB), WithBlobs(t, Config(t), b.Blobs))
}

// StartWith runs Gatehouse on an existing store and config.
func StartWith(t testing.TB, store *models.Store, cfg web.Config) *Server {
	t.Helper()
	return StartWithLog(t, store, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// StartWithLog is StartWith with the server's log written to log.
func StartWithLog(t testing.TB, store *models.Store, cfg web.Config, log *slog.Logger) *Server {
	t.Helper()
	return StartOpts(t, store, cfg, Options{Log: log})
}

// Options are the optional parts of a test server.
type Options struct {
	// Log receives the server's log; nil discards it.
	Log *slog.Logger
	// Routes adds test-only routes after the route table.
	Routes func(e *echo.Echo)
}

// StartOpts runs Gatehouse on an existing store and config with options.
func StartOpts(t testing.TB, store *models.Store, cfg web.Config, opts Options) *Server {
	t.Helper()
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := store.UserByEmail(t.Context(), Admin); err != nil {
		modeltest.MustUser(t, store, Admin, access.RoleAdmin)
	}
	ts := httptest.NewUnstartedServer(nil)
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	}
	m := web.NewMetrics()
	h, err := handlers.NewServerWith(t.Context(), cfg, store, log, m, opts.Routes)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	bs, err := blobs.Open(t.Context(), cfg.BlobSettings())
	if err != nil {
		t.Fatal(err)
	}
	return &Server{URL: ts.URL, Store: store, Cfg: cfg, Blobs: bs, Metrics: m, t: t}
}

// Connect returns a Server for a Gatehouse that runs elsewhere (another
// process), to make clients for it.
func Connect(t testing.TB, url string) *Server { return &Server{URL: url, t: t} }

// Client is an HTTP client with a cookie jar, like one browser.
type Client struct {
	S    *Server
	HTTP *http.Client
	t    testing.TB
	// Header is added to every request (e.g. Authorization).
	Header http.Header
}

// Anonymous returns a client that is not signed in.
func (s *Server) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{S: s, t: s.t, Header: http.Header{}, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Login returns a client signed in as email (password modeltest.Password).
func (s *Server) Login(email string) *Client {
	s.t.Helper()
	c := s.Anonymous()
	res := c.PostForm("/login", url.Values{"email": {email}, "password": {modeltest.Password}})
	if res.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: status %d: %s", email, res.StatusCode, res.Body)
	}
	return c
}

// AsAdmin returns a client signed in as the admin.
func (s *Server) AsAdmin() *Client { return s.Login(Admin) }

// Response is a finished response with its body read.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

// JSON decodes the body into v, failing the test on error.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(t testing.TB) map[string]any {
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// csrf fetches a page so the CSRF cookie exists and returns its value.
func (c *Client) csrf() string {
	u, _ := url.Parse(c.S.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "gatehouse_csrf" {
			return ck.Value
		}
	}
	c.Get("/login")
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "gatehouse_csrf" {
			return ck.Value
		}
	}
	return ""
}

// Do sends a request; a state-changing one carries the CSRF token unless
// noCSRF is set.
func (c *Client) Do(method, path string, body io.Reader, contentType string, noCSRF bool) *Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.S.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if method != http.MethodGet && method != http.MethodHead && !noCSRF {
		req.Header.Set("X-CSRF-Token", c.csrf())
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Response{StatusCode: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Get fetches path.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil, "", false) }

// PostForm posts a form with the CSRF token.
func (c *Client) PostForm(path string, v url.Values) *Response {
	return c.Do(http.MethodPost, path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded", false)
}

// SendJSON sends v (a string is sent as is) as JSON with the CSRF token.
func (c *Client) SendJSON(method, path string, v any) *Response {
	var body []byte
	if s, ok := v.(string); ok {
		body = []byte(s)
	} else {
		body, _ = json.Marshal(v)
	}
	return c.Do(method, path, bytes.NewReader(body), "application/json", false)
}

// Metrics is one scrape of a server's metrics, by family name.
type Metrics map[string]*dto.MetricFamily

// Scrape reads the server's metrics straight from its registry's handler:
// the bytes /metrics serves, without the access rule.
func (s *Server) Scrape() Metrics {
	s.t.Helper()
	rec := httptest.NewRecorder()
	s.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return ParseMetrics(s.t, rec.Body)
}

// ParseMetrics parses the Prometheus text format.
func ParseMetrics(t testing.TB, r io.Reader) Metrics {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	return fams
}

// Value sums family name's series whose labels include the given
// name/value pairs: a counter's or gauge's value, a histogram's count.
func (m Metrics) Value(name string, labels ...string) float64 {
	f := m[name]
	if f == nil {
		return 0
	}
	var sum float64
series:
	for _, s := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range s.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue series
			}
		}
		switch {
		case s.Counter != nil:
			sum += s.Counter.GetValue()
		case s.Gauge != nil:
			sum += s.Gauge.GetValue()
		case s.Histogram != nil:
			sum += float64(s.Histogram.GetSampleCount())
		case s.Untyped != nil:
			sum += s.Untyped.GetValue()
		}
	}
	return sum
}
