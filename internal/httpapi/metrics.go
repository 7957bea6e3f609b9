package httpapi

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the HTTP metrics of the API.
type Metrics struct {
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	quotaDenials prometheus.Counter
	edgeRefusals *prometheus.CounterVec
	authFailures prometheus.Counter
	authLockouts prometheus.Counter
	turned       *prometheus.CounterVec

	answerCacheHits      prometheus.Counter
	answerCacheMisses    prometheus.Counter
	answerCacheEvictions prometheus.Counter
	answerCacheBytes     prometheus.Gauge

	laneHandoffs prometheus.Counter
}

// NewMetrics creates the API metrics and registers them on reg:
//
//	tipd_http_requests_total{route,status}        counter
//	tipd_http_request_duration_seconds{route}     histogram
//	tipd_quota_denials_total                      counter
//	tipd_http_edge_refusals_total{status}         counter
//	tipd_auth_failures_total                      counter
//	tipd_auth_lockouts_total                      counter
//	tipd_lookups_turned_away_total{reason}        counter
//	tipd_answer_cache_hits_total                  counter
//	tipd_answer_cache_misses_total                counter
//	tipd_answer_cache_evictions_total             counter
//	tipd_answer_cache_bytes                       gauge
//	tipd_http_lane_handoffs_total                 counter
//
// Like prometheus.MustRegister it panics if reg already holds metrics of
// these names, which is a programming error.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipd_http_requests_total",
			Help: "HTTP requests answered, by route and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tipd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		quotaDenials: counter("tipd_quota_denials_total",
			"Lookup requests refused because the user's daily quota was used up."),
		edgeRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipd_http_edge_refusals_total",
			Help: "Requests refused before reaching a route (malformed HTTP, header too large, plain HTTP on the TLS port), by status.",
		}, []string{"status"}),
		authFailures: counter("tipd_auth_failures_total",
			"Requests answered 401: missing, malformed or wrong credentials."),
		authLockouts: counter("tipd_auth_lockouts_total",
			"Requests refused 429 without a credentials check because their client address failed authentication too often."),
		turned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tipd_lookups_turned_away_total",
			Help: "Lookups refused by the bounds on lookups in flight: reason memory (503 server_busy, no room in -lookup-memory) or in_flight (429 too_many_in_flight, -user-inflight).",
		}, []string{"reason"}),
		answerCacheHits: counter("tipd_answer_cache_hits_total",
			"Lookups answered from a kept rendered answer (-answer-cache)."),
		answerCacheMisses: counter("tipd_answer_cache_misses_total",
			"Lookups whose answer was built: not kept, or kept for an earlier import, network snapshot, minute or set of legal holds."),
		answerCacheEvictions: counter("tipd_answer_cache_evictions_total",
			"Kept answers dropped to stay within -answer-cache (not counting whole generations dropped by an import, a network refresh, a new minute or a hold change)."),
		answerCacheBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tipd_answer_cache_bytes",
			Help: "Estimated memory of the kept answers of the current generation.",
		}),
		laneHandoffs: counter("tipd_http_lane_handoffs_total",
			"HTTP/1.1 connections the lookup lane handed to net/http at their first request that is not a plain lookup."),
	}
	reg.MustRegister(m.requests, m.latency, m.quotaDenials, m.edgeRefusals, m.authFailures, m.authLockouts, m.turned,
		m.laneHandoffs, m.answerCacheHits, m.answerCacheMisses, m.answerCacheEvictions, m.answerCacheBytes)
	return m
}

// routeMetrics are the metrics of one route, resolved once: a request
// then costs no label lookup.
type routeMetrics struct {
	m       *Metrics
	route   string
	latency prometheus.Observer
	codes   sync.Map // int status -> prometheus.Counter
}

func (m *Metrics) forRoute(route string) *routeMetrics {
	return &routeMetrics{m: m, route: route, latency: m.latency.WithLabelValues(route)}
}

func (rm *routeMetrics) observe(status int, d time.Duration) {
	c, ok := rm.codes.Load(status)
	if !ok {
		c, _ = rm.codes.LoadOrStore(status, rm.m.requests.WithLabelValues(rm.route, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
	rm.latency.Observe(d.Seconds())
}

// turnedAway counts a lookup refused by the bounds on lookups in flight,
// known by its error code; other codes count nothing.
func (m *Metrics) turnedAway(code string) {
	switch code {
	case codeServerBusy:
		m.turned.WithLabelValues("memory").Inc()
	case codeTooManyInFlight:
		m.turned.WithLabelValues("in_flight").Inc()
	}
}
