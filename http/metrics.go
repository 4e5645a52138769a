package http

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wardenhq/warden"
)

// metrics holds the request metrics. Labels are route patterns, never raw paths, so the
// number of series stays bounded whatever clients send.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// series caches the children of each label set seen, so a request costs one map read
	// instead of hashing its labels twice inside the vectors. Method, route pattern and status
	// are each bounded, and so is the map.
	mu     sync.RWMutex
	series map[seriesKey]series
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		series: map[seriesKey]series{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "warden_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "warden_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		method = "OTHER" // clients choose methods; keep the label set bounded
	}
	k := seriesKey{method, route, status}
	m.mu.RLock()
	sr, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		sr = series{m.requests.WithLabelValues(method, route, strconv.Itoa(status)), m.duration.WithLabelValues(method, route)}
		m.mu.Lock()
		m.series[k] = sr
		m.mu.Unlock()
	}
	sr.requests.Inc()
	sr.duration.Observe(d.Seconds())
}

// registerCacheMetrics exposes what the token cache did, read at scrape time.
func registerCacheMetrics(reg *prometheus.Registry, svc *warden.Service) {
	counter := func(name, help string, v func(warden.CacheStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(svc.CacheStats())) })
	}
	reg.MustRegister(
		counter("warden_token_cache_hits_total", "Token checks answered from the cache.",
			func(s warden.CacheStats) uint64 { return s.Hits }),
		counter("warden_token_cache_misses_total", "Token checks the cache could not answer.",
			func(s warden.CacheStats) uint64 { return s.Misses }),
		counter("warden_token_cache_unknown_hits_total", "Checks of tokens remembered as unknown, answered without a lookup.",
			func(s warden.CacheStats) uint64 { return s.UnknownHits }),
		counter("warden_token_lookups_total", "Database lookups of tokens.",
			func(s warden.CacheStats) uint64 { return s.Lookups }),
		counter("warden_token_lookup_budget_refusals_total", "Misses refused without a lookup because the client IP spent its budget of failed lookups.",
			func(s warden.CacheStats) uint64 { return s.BudgetRefusals }),
		counter("warden_cache_invalidations_total", "Changes applied to the caches, local or from other instances.",
			func(s warden.CacheStats) uint64 { return s.Invalidations }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_token_cache_entries", Help: "Identities in the token cache."},
			func() float64 { return float64(svc.CacheStats().Entries) }),
	)
	// One series per reason, each present from the start (at 0) so that alerts on a rate
	// work before the first refusal.
	for i, r := range svc.TokenRefusals() {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "warden_token_refusals_total",
			Help:        "Token checks refused, by reason: invalid (malformed or unknown), expired, revoked, org_mismatch, disabled_account, address (used from outside the token's allowed ranges).",
			ConstLabels: prometheus.Labels{"reason": r.Reason},
		}, func() float64 { return float64(svc.TokenRefusals()[i].Count) }))
	}
}
