package web

import (
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Token check outcomes, the values of gatehouse_token_authentications_total's
// outcome label.
const (
	TokenOK        = "ok"
	TokenUnknown   = "unknown"
	TokenExpired   = "expired"
	TokenDisabled  = "disabled"
	TokenMalformed = "malformed"
	TokenError     = "error"     // the database could not answer
	TokenThrottled = "throttled" // refused unchecked: too many unknown tokens from the address
)

// Metrics is what one server measures, in a registry the server owns: no
// global registry, so two servers in one process (tests) keep apart.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	respBytes *prometheus.CounterVec
	tokens    *prometheus.CounterVec
	repodata  *prometheus.CounterVec
	build     prometheus.Histogram
	uploads   prometheus.Counter
	upBytes   prometheus.Counter
}

// NewMetrics builds the metrics with the Go runtime and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) prometheus.Collector { reg.MustRegister(c); return c }
	route := []string{"method", "route", "status"}
	m := &Metrics{
		reg: reg,
		requests: f(prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_requests_total",
			Help: "Requests answered, by method, route pattern and the status the client received.",
		}, route)).(*prometheus.CounterVec),
		latency: f(prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gatehouse_http_request_duration_seconds",
			Help:    "Time from the request's arrival to the end of its answer, by method, route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, route)).(*prometheus.HistogramVec),
		respBytes: f(prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_http_response_bytes_total",
			Help: "Body bytes sent (after compression), by method, route pattern and status.",
		}, route)).(*prometheus.CounterVec),
		tokens: f(prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_token_authentications_total",
			Help: "Access token checks, by outcome: ok, unknown, expired, disabled, malformed, error, throttled.",
		}, []string{"outcome"})).(*prometheus.CounterVec),
		repodata: f(prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_repodata_cache_requests_total",
			Help: "Repodata cache lookups, by result: hit or miss (a miss builds).",
		}, []string{"result"})).(*prometheus.CounterVec),
		build: f(prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gatehouse_repodata_build_duration_seconds",
			Help:    "Time to build and compress one subdir's repodata after a cache miss.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		})).(prometheus.Histogram),
		uploads: f(prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_uploads_total",
			Help: "Packages stored by uploads.",
		})).(prometheus.Counter),
		upBytes: f(prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gatehouse_upload_bytes_total",
			Help: "Bytes of the packages stored by uploads.",
		})).(prometheus.Counter),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{TokenOK, TokenUnknown, TokenExpired, TokenDisabled, TokenMalformed, TokenError, TokenThrottled} {
		m.tokens.WithLabelValues(o) // every outcome is listed from the start, at 0
	}
	m.repodata.WithLabelValues("hit")
	m.repodata.WithLabelValues("miss")
	return m
}

// WatchDB adds the connection pool's statistics (sql.DBStats) as go_sql_*
// metrics labelled db_name.
func (m *Metrics) WatchDB(name string, db *sql.DB) {
	err := m.reg.Register(collectors.NewDBStatsCollector(db, name))
	if are := (prometheus.AlreadyRegisteredError{}); err != nil && !errors.As(err, &are) {
		panic(err) // a programming error: the collector is well-formed
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// The recording methods below accept a nil *Metrics, so parts built
// without a server (tests, tools) need not carry one.

// Token counts one token check.
func (m *Metrics) Token(outcome string) {
	if m != nil {
		m.tokens.WithLabelValues(outcome).Inc()
	}
}

// RepodataLookup counts one repodata cache lookup.
func (m *Metrics) RepodataLookup(hit bool) {
	if m == nil {
		return
	}
	if hit {
		m.repodata.WithLabelValues("hit").Inc()
	} else {
		m.repodata.WithLabelValues("miss").Inc()
	}
}

// RepodataBuilt records how long one repodata build took.
func (m *Metrics) RepodataBuilt(d time.Duration) {
	if m != nil {
		m.build.Observe(d.Seconds())
	}
}

// Uploaded counts one stored package of n bytes.
func (m *Metrics) Uploaded(n int64) {
	if m == nil {
		return
	}
	m.uploads.Inc()
	m.upBytes.Add(float64(n))
}

// request counts one answered request.
func (m *Metrics) request(method, route string, status int, bytes int64, d time.Duration) {
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, s).Inc()
	m.latency.WithLabelValues(method, route, s).Observe(d.Seconds())
	m.respBytes.WithLabelValues(method, route, s).Add(float64(bytes))
}
