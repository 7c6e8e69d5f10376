package telemetry

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"

	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// UpstreamTransport wraps the transport that puts requests to Clevertim on
// the wire: each request is counted and timed by resource, method and
// status, repeats within an operation are counted as retries, and each gets
// a client span carrying traceparent and baggage upstream. basePath is the
// path of the API root (/api), so that /api/contact/12 counts as "contact".
//
// Spans are otelhttp's, which records no header: the Authorization header
// never reaches a span.
func (t *Telemetry) UpstreamTransport(base http.RoundTripper, basePath string) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	basePath = strings.TrimRight(basePath, "/")
	traced := otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		// Our metrics are Prometheus'; without this otelhttp would use the
		// global meter provider.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + resourceOf(r.URL.Path, basePath)
		}),
	)
	return &wireTransport{tel: t, base: traced, basePath: basePath}
}

type wireTransport struct {
	tel      *Telemetry
	base     http.RoundTripper
	basePath string
}

func (w *wireTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	m := w.tel.Metrics
	ctx := req.Context()
	resource := resourceOf(req.URL.Path, w.basePath)
	if op := OperationFrom(ctx); op != nil && op.repeated(req.Method, req.URL.String()) {
		m.upstreamRetries.WithLabelValues(resource, req.Method).Inc()
	}
	start := time.Now()
	resp, err := w.base.RoundTrip(req)
	m.upstreamDuration.WithLabelValues(resource, req.Method).Observe(time.Since(start).Seconds())
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	m.upstreamRequests.WithLabelValues(resource, req.Method, status).Inc()
	return resp, err
}

var resourceName = regexp.MustCompile(`^[a-z_]{1,32}$`)

// resourceOf is the first path segment under the API root, or "other": a
// label value from a short fixed set, never an id.
func resourceOf(path, basePath string) string {
	rest, ok := strings.CutPrefix(path, basePath+"/")
	if !ok {
		return "other"
	}
	seg, _, _ := strings.Cut(rest, "/")
	if !resourceName.MatchString(seg) {
		return "other"
	}
	return seg
}

// ObserveSlotWait records how long a request waited for one of its key's
// upstream slots (clevertim.WithSlotWait).
func (t *Telemetry) ObserveSlotWait(d time.Duration) { t.Metrics.limiterWait.Observe(d.Seconds()) }

// CountBudgetRefusals wraps the transport that enforces the operation's
// upstream budget, counting the requests it refuses.
func (t *Telemetry) CountBudgetRefusals(budgeted http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := budgeted.RoundTrip(req)
		var budget *upstream.BudgetError
		if errors.As(err, &budget) {
			t.Metrics.budgetRefusals.Inc()
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
