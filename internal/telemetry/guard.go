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
	const ns = "clevertim_graphql_"
	_ = m.registry.Register(&guardCollector{read: read,
		validations: prometheus.NewDesc(ns+"validations_total",
			"GraphQL documents handed to the validator (the document caps passed, not found among the documents validated before).", nil, nil),
		queued: prometheus.NewDesc(ns+"operations_queued_total",
			"Operations that waited for a slot (-max-operations, -max-operations-per-key, -max-operations-per-client).", nil, nil),
		shed: prometheus.NewDesc(ns+"operations_shed_total",
			"Operations answered 503 OVERLOADED after waiting -queue-wait, by the limit that was full (client, key, global).", []string{"limit"}, nil),
		cutOff: prometheus.NewDesc(ns+"answers_cut_off_total",
			"Answers not written whole: the client read slower than -write-timeout per 16 KiB, or went away.", nil, nil),
		refused: prometheus.NewDesc(ns+"documents_refused_total",
			"GraphQL documents refused by a cap before validation, by extensions.code.", []string{"code"}, nil),
	})
}

// guardCollector turns counters kept elsewhere into Prometheus counters, as
// client_golang advises for values that are not its own collectors'.
type guardCollector struct {
	read                                       func() GuardCounts
	validations, queued, shed, cutOff, refused *prometheus.Desc
}

func (c *guardCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.validations, c.queued, c.shed, c.cutOff, c.refused} {
		ch <- d
	}
}

func (c *guardCollector) Collect(ch chan<- prometheus.Metric) {
	g := c.read()
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.validations, g.Validations)
	counter(c.queued, g.Queued)
	counter(c.cutOff, g.CutOff)
	for limit, n := range g.Shed {
		counter(c.shed, n, limit)
	}
	for code, n := range g.Refused {
		counter(c.refused, n, code)
	}
}
