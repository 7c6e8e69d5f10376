// Package telemetry is what operators see of a running server: Prometheus
// metrics, OpenTelemetry traces and structured logs, one set per server.
package telemetry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Telemetry holds one server's logger, metrics and tracer. Build it with
// New; the zero value is not usable.
type Telemetry struct {
	Logger     *slog.Logger
	Metrics    *Metrics
	provider   trace.TracerProvider
	tracing    bool // spans are exported
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
}

// New assembles a server's telemetry. A nil logger is slog.Default(), nil
// metrics a fresh registry, a nil provider no tracing. W3C traceparent and
// baggage are read from callers and sent to Clevertim whether or not spans
// are exported, so a trace started by a frontend stays whole.
func New(logger *slog.Logger, metrics *Metrics, provider trace.TracerProvider) *Telemetry {
	if logger == nil {
		logger = slog.Default()
	}
	if metrics == nil {
		metrics = NewMetrics(0)
	}
	tracing := provider != nil
	if provider == nil {
		provider = noop.NewTracerProvider()
	}
	return &Telemetry{
		tracing:    tracing,
		Logger:     logger,
		Metrics:    metrics,
		provider:   provider,
		tracer:     provider.Tracer("github.com/clevertim-graphql/clevertim-graphql"),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
}

// Tracer is the tracer of the server's spans.
func (t *Telemetry) Tracer() trace.Tracer { return t.tracer }

// Tracing says whether spans are exported: without, work done only for
// spans (a tracer in each request's loaders) can be skipped.
func (t *Telemetry) Tracing() bool { return t.tracing }

// KeyHash names an API key in logs without revealing it: the first 12 hex
// digits of its SHA-256, enough to tell a caller's lines apart and to match
// them with a key one holds.
func KeyHash(key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

type loggerKey struct{}

// WithLogger returns a context whose log lines go to l.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger of the context's server, or slog.Default() when
// the context has none (code called outside a request).
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
