package telemetry

import (
	"net/http"
	"regexp"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values for operations that have no usable name.
const (
	// UnnamedOperation groups every operation sent without a name.
	UnnamedOperation = "(unnamed)"
	// OtherOperation groups names past the bound: too long, odd characters,
	// or more distinct names than MaxOperationNames.
	OtherOperation = "(other)"
	// DefaultMaxOperationNames bounds the distinct operation names the
	// metrics keep apart; the rest are counted as OtherOperation.
	DefaultMaxOperationNames = 200
)

// Metrics are one server's Prometheus collectors, in a registry of their
// own: two servers in one process (tests, say) never share counts.
type Metrics struct {
	registry *prometheus.Registry

	operations        *prometheus.CounterVec
	operationDuration *prometheus.HistogramVec
	inFlight          prometheus.Gauge
	errors            *prometheus.CounterVec
	upstreamRequests  *prometheus.CounterVec
	upstreamDuration  *prometheus.HistogramVec
	upstreamRetries   *prometheus.CounterVec
	limiterWait       prometheus.Histogram
	budgetRefusals    prometheus.Counter
	cacheLookups      *prometheus.CounterVec
	cacheEvictions    prometheus.Counter
	redisErrors       *prometheus.CounterVec
	sharedLookups     *prometheus.CounterVec
	sharedOversize    prometheus.Counter

	names *nameSet
}

// NewMetrics registers the collectors in a new registry. maxNames bounds the
// distinct operation names kept apart (0: DefaultMaxOperationNames), since
// names come from callers and each one is a time series.
func NewMetrics(maxNames int) *Metrics {
	if maxNames <= 0 {
		maxNames = DefaultMaxOperationNames
	}
	const ns = "clevertim_graphql"
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "operations_total",
			Help: "GraphQL operations answered, by operation name, type (query, mutation, unknown) and outcome (ok, partial, error)."},
			[]string{"name", "type", "outcome"}),
		operationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "operation_duration_seconds",
			Help:    "Time from receiving a GraphQL request to having answered it, by operation type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
			[]string{"type"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "operations_in_flight",
			Help: "GraphQL requests being answered now."}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "errors_total",
			Help: "GraphQL errors returned to callers, by extensions.code."},
			[]string{"code"}),
		upstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_requests_total",
			Help: "HTTP requests sent to Clevertim, by resource, method and status (the HTTP status, or \"error\" when no answer came)."},
			[]string{"resource", "method", "status"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "upstream_request_duration_seconds",
			Help:    "Time from sending a request to Clevertim to having its answer's headers, by resource and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"resource", "method"}),
		upstreamRetries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_retries_total",
			Help: "Requests to Clevertim that repeat one the same operation already sent (same method and URL): retries, and the reads that check a write whose answer was lost."},
			[]string{"resource", "method"}),
		limiterWait: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "upstream_limiter_wait_seconds",
			Help:    "Time upstream requests waited for their API key's concurrency slot (-upstream-concurrency).",
			Buckets: []float64{.0001, .001, .005, .01, .025, .05, .1, .25, .5, 1, 5}}),
		budgetRefusals: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "upstream_budget_refusals_total",
			Help: "Upstream requests refused because their operation had spent its budget (-upstream-budget)."}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_lookups_total",
			Help: "Reads looked up in the cross-request cache (-cache-ttl), by resource and result (hit, miss)."},
			[]string{"resource", "result"}),
		cacheEvictions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "cache_evictions_total",
			Help: "Cache entries dropped because the cache was full, expired ones included."}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "redis_errors_total",
			Help: "Redis calls that failed or timed out (-redis-url), by operation; each was answered as a miss."},
			[]string{"op"}),
		sharedLookups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "shared_cache_lookups_total",
			Help: "Collections the replica looked for in Redis, by result: hit (a fresh copy), waited (another replica's fetch), miss (fetched from Clevertim)."},
			[]string{"result"}),
		sharedOversize: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "shared_cache_oversize_total",
			Help: "Collections not stored in Redis because they were over -redis-max-value-bytes."}),
		names: &nameSet{max: maxNames, seen: map[string]struct{}{}},
	}
	m.registry.MustRegister(m.operations, m.operationDuration, m.inFlight, m.errors,
		m.upstreamRequests, m.upstreamDuration, m.upstreamRetries, m.limiterWait, m.budgetRefusals,
		m.cacheLookups, m.cacheEvictions, m.redisErrors, m.sharedLookups, m.sharedOversize,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CacheLookup counts a read answered from the cross-request cache or not.
func (m *Metrics) CacheLookup(resource string, hit bool) {
	result := "miss"
	if hit {
		result = "hit"
	}
	m.cacheLookups.WithLabelValues(resource, result).Inc()
}

// CacheEvicted counts entries dropped to keep the cache in bounds.
func (m *Metrics) CacheEvicted(n int) { m.cacheEvictions.Add(float64(n)) }

// RedisError counts a failed Redis call.
func (m *Metrics) RedisError(op string) { m.redisErrors.WithLabelValues(op).Inc() }

// SharedCacheLookup counts a collection looked for in Redis.
func (m *Metrics) SharedCacheLookup(result string) { m.sharedLookups.WithLabelValues(result).Inc() }

// SharedCacheOversize counts a collection too large to store in Redis.
func (m *Metrics) SharedCacheOversize() { m.sharedOversize.Inc() }

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// WatchCache exposes the size of the cross-request cache, read at each
// scrape. Only the first cache watched is shown when several handlers share
// these metrics.
func (m *Metrics) WatchCache(entries func() int) {
	_ = m.registry.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "clevertim_graphql", Name: "cache_entries",
		Help: "Records and collections in the cross-request cache (-cache-ttl), expired ones not yet dropped included."},
		func() float64 { return float64(entries()) }))
}

var operationName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// nameSet bounds the operation names used as label values: callers choose
// them, and every distinct one would be a new series forever.
type nameSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func (s *nameSet) label(name string) string {
	if name == "" {
		return UnnamedOperation
	}
	if !operationName.MatchString(name) {
		return OtherOperation
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[name]; ok {
		return name
	}
	if len(s.seen) >= s.max {
		return OtherOperation
	}
	s.seen[name] = struct{}{}
	return name
}
