package telemetry

import "github.com/prometheus/client_golang/prometheus"

// GuardCounts are the GraphQL handler's own counters of what it refused and
// cut short, kept by the handler (its tests read them) and read here at each
// scrape.
type GuardCounts struct {
	// Validations counts documents handed to gqlgen's validator.
	Validations int64
	// Queued counts operations that waited for a slot; Shed those answered
	// OVERLOADED after waiting, by the limit that was full.
	Queued int64
	Shed   map[string]int64
	// CutOff counts answers not written whole: the client read too slowly
	// or went away.
	CutOff int64
	// Refused counts documents refused by a cap before validation, by
	// extensions.code.
	Refused map[string]int64
}

// WatchGuard exports the handler's counters, read at each scrape. Only the
// first handler watched is shown when several share these metrics.
func (m *Metrics) WatchGuard(read func() GuardCounts) {
	_ = m.registry.Register(&guardCollector{read: read})
}

var (
	validationsDesc = prometheus.NewDesc("clevertim_graphql_validations_total",
		"GraphQL documents handed to the validator (the document caps passed, not found among the documents validated before).", nil, nil)
	queuedDesc = prometheus.NewDesc("clevertim_graphql_operations_queued_total",
		"Operations that waited for a slot (-max-operations, -max-operations-per-key, -max-operations-per-client).", nil, nil)
	shedDesc = prometheus.NewDesc("clevertim_graphql_operations_shed_total",
		"Operations answered 503 OVERLOADED after waiting -queue-wait, by the limit that was full (client, key, global).", []string{"limit"}, nil)
	cutOffDesc = prometheus.NewDesc("clevertim_graphql_answers_cut_off_total",
		"Answers not written whole: the client read slower than -write-timeout per 16 KiB, or went away.", nil, nil)
	refusedDesc = prometheus.NewDesc("clevertim_graphql_documents_refused_total",
		"GraphQL documents refused by a cap before validation, by extensions.code.", []string{"code"}, nil)
)

// guardCollector turns counters kept elsewhere into Prometheus counters, as
// client_golang advises for values that are not its own collectors'.
type guardCollector struct{ read func() GuardCounts }

func (c *guardCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{validationsDesc, queuedDesc, shedDesc, cutOffDesc, refusedDesc} {
		ch <- d
	}
}

func (c *guardCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.read()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(validationsDesc, g.Validations)
	counter(queuedDesc, g.Queued)
	counter(cutOffDesc, g.CutOff)
	for limit, n := range g.Shed {
		counter(shedDesc, n, limit)
	}
	for code, n := range g.Refused {
		counter(refusedDesc, n, code)
	}
}
