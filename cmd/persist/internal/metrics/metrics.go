// Package metrics is persist serve's Prometheus instrumentation: a
// [server.Observer] that counts requests, their latency and bytes and the
// store's failures, and a collector of each function's entries and bytes,
// served in Prometheus' text format. It lives beside the command rather
// than in the server package, so that programs that embed the server do not
// link the Prometheus client.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gopersist/persist/internal/usage"
	"github.com/gopersist/persist/server"
	"github.com/gopersist/persist/stores"
)

// DefaultUsageTTL is how long the per-function figures are kept between
// surveys of the store: a scrape more often than that costs no store work.
const DefaultUsageTTL = 15 * time.Second

// surveyTimeout bounds one survey made for a scrape.
const surveyTimeout = 10 * time.Second

// Metrics records what a server does and serves it to Prometheus. It is
// safe for concurrent use.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	bytesIn     *prometheus.CounterVec
	bytesOut    *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
}

// New returns the metrics of a server of store. The per-function figures
// are surveyed from the store's metadata listing at scrape time, at most
// once per usageTTL (0 means DefaultUsageTTL).
func New(store *stores.Store, usageTTL time.Duration) *Metrics {
	if usageTTL <= 0 {
		usageTTL = DefaultUsageTTL
	}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "persist_http_requests_total",
			Help: "Requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "persist_http_request_duration_seconds",
			Help:    "Time to answer a request, by route pattern and method.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9), // 0.5 ms to 33 s
		}, []string{"route", "method"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "persist_http_request_body_bytes_total",
			Help: "Request body bytes read, by route pattern.",
		}, []string{"route"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "persist_http_response_body_bytes_total",
			Help: "Response body bytes written, by route pattern.",
		}, []string{"route"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "persist_store_errors_total",
			Help: "Store operations that failed for a reason of the server's (not a missing item), by operation.",
		}, []string{"op"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.storeErrors,
		&usageCollector{usage: usage.NewCache(store, usageTTL), failed: m.StoreFailed},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// RequestDone implements [server.Observer].
func (m *Metrics) RequestDone(r server.Request) {
	route := r.Route
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(route, r.Method, strconv.Itoa(r.Status)).Inc()
	m.duration.WithLabelValues(route, r.Method).Observe(r.Duration.Seconds())
	m.bytesIn.WithLabelValues(route).Add(float64(r.BytesIn))
	m.bytesOut.WithLabelValues(route).Add(float64(r.BytesOut))
}

// StoreFailed implements [server.Observer].
func (m *Metrics) StoreFailed(op string) { m.storeErrors.WithLabelValues(op).Inc() }

// Handler serves the metrics in Prometheus' text format (or what the
// scraper negotiates).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

var (
	entriesDesc = prometheus.NewDesc("persist_function_entries",
		"Entries stored per function, as of the latest survey of the store.", []string{"function"}, nil)
	bytesDesc = prometheus.NewDesc("persist_function_bytes",
		"Bytes stored per function (results, keys and metadata), as of the latest survey of the store.", []string{"function"}, nil)
	surveyDesc = prometheus.NewDesc("persist_usage_survey_timestamp_seconds",
		"When the per-function figures were taken from the store.", nil, nil)
)

// usageCollector reports each function's entries and bytes from a cached
// survey. A failed survey leaves the figures out of that scrape and counts
// as a store error.
type usageCollector struct {
	usage  *usage.Cache
	failed func(op string)
}

func (c *usageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- entriesDesc
	ch <- bytesDesc
	ch <- surveyDesc
}

func (c *usageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), surveyTimeout)
	defer cancel()
	funcs, at, err := c.usage.Get(ctx)
	if err != nil {
		if !errors.Is(err, usage.ErrNoFuncs) {
			c.failed("survey")
		}
		return
	}
	ch <- prometheus.MustNewConstMetric(surveyDesc, prometheus.GaugeValue, float64(at.UnixNano())/1e9)
	for _, f := range funcs {
		ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.GaugeValue, float64(f.Entries), f.Name)
		ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.GaugeValue, float64(f.Bytes), f.Name)
	}
}
