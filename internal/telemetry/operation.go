package telemetry

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Operation is what is learnt about one GraphQL request while it is
// answered; its End reports it once, as metrics, a span and a log line.
type Operation struct {
	tel   *Telemetry
	start time.Time
	span  trace.Span

	mu        sync.Mutex
	name, typ string
	keyHash   string
	errors    codeCounts
	answered  bool
	hasData   bool
	requests  int
	rounds    int
	sent      map[string]struct{} // method and URL of each upstream request, to see repeats
}

type operationKey struct{}

// OperationFrom returns the context's operation, or nil.
func OperationFrom(ctx context.Context) *Operation {
	op, _ := ctx.Value(operationKey{}).(*Operation)
	return op
}

// Begin starts recording a GraphQL request: it continues the caller's trace
// (W3C traceparent and baggage), opens the operation's span and counts it in
// flight. The returned context carries both; call End when answered.
func (t *Telemetry) Begin(r *http.Request) (context.Context, *Operation) {
	ctx := t.propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := t.tracer.Start(ctx, "GraphQL operation", trace.WithSpanKind(trace.SpanKindServer))
	op := &Operation{tel: t, start: time.Now(), span: span, typ: "unknown"}
	t.Metrics.inFlight.Inc()
	ctx = context.WithValue(ctx, operationKey{}, op)
	return WithLogger(ctx, t.Logger), op
}

// Identify names the operation once it is parsed: its name as sent (empty
// when unnamed) and its type (query, mutation, subscription).
func (op *Operation) Identify(name, typ string) {
	if len(name) > maxNameBytes {
		// The name is the caller's, as long as the body allows: a span
		// keeps its start (the log line and metrics use a bounded label).
		name = strings.ToValidUTF8(name[:maxNameBytes], "") + "…"
	}
	op.mu.Lock()
	op.name, op.typ = name, typ
	op.mu.Unlock()
	if !op.span.IsRecording() {
		return
	}
	spanName := typ
	if name != "" {
		spanName += " " + name
	}
	op.span.SetName(spanName)
	op.span.SetAttributes(attribute.String("graphql.operation.type", typ))
	if name != "" {
		op.span.SetAttributes(attribute.String("graphql.operation.name", name))
	}
}

// SetKey records who asked, as a hash of their API key.
func (op *Operation) SetKey(apiKey string) {
	if op == nil {
		return
	}
	op.mu.Lock()
	op.keyHash = KeyHash(apiKey)
	op.mu.Unlock()
}

// Answered records the GraphQL response: whether it has data, the codes of
// its errors, and what it cost upstream.
func (op *Operation) Answered(hasData bool, errorCodes []string, requests, rounds int) {
	op.mu.Lock()
	defer op.mu.Unlock()
	op.answered, op.hasData = true, hasData
	for _, c := range errorCodes {
		op.errors.add(c)
	}
	op.requests, op.rounds = requests, rounds
}

// codeCounts counts an operation's errors by code, keeping at most
// maxCodes distinct codes (in the order first seen) and counting the rest as
// OtherCode: an answer may hold thousands of errors, and its log line, span
// and metrics stay a few hundred bytes and a few series.
type codeCounts struct {
	order []string
	n     map[string]int
	total int
}

// maxCodes is the most distinct error codes one operation reports; an
// operation rarely has more than three.
const maxCodes = 16

// OtherCode stands for codes past maxCodes, and for codes that are not
// ours (not [A-Z][A-Z0-9_]*).
const OtherCode = "(other)"

func (c *codeCounts) add(code string) {
	if !errorCode.MatchString(code) && code != NoCode {
		code = OtherCode
	}
	if c.n == nil {
		c.n = map[string]int{}
	}
	if _, seen := c.n[code]; !seen {
		if len(c.order) >= maxCodes {
			code = OtherCode
		}
		if _, seen := c.n[code]; !seen {
			c.order = append(c.order, code)
		}
	}
	c.n[code]++
	c.total++
}

// maxNameBytes is the longest operation name a span carries.
const maxNameBytes = 128

var errorCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// NoCode stands for an error that carries no extensions.code.
const NoCode = "(none)"

// refusalCodes reads the codes of a GraphQL error answer; an answer that is
// not one (cut short, or plain text) counts as one error without a code.
func refusalCodes(body []byte) []string {
	if len(body) == 0 {
		return nil
	}
	var answer struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &answer) != nil || len(answer.Errors) == 0 {
		return []string{NoCode}
	}
	codes := make([]string, 0, len(answer.Errors))
	for _, e := range answer.Errors {
		codes = append(codes, cmp.Or(e.Extensions.Code, NoCode))
	}
	return codes
}

// repeated records an upstream request and says whether the operation had
// already sent the same one.
func (op *Operation) repeated(method, url string) bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	k := method + " " + url
	if _, ok := op.sent[k]; ok {
		return true
	}
	if op.sent == nil {
		op.sent = map[string]struct{}{}
	}
	op.sent[k] = struct{}{}
	return false
}

// IsAnswered says whether Answered was called: GraphQL ran.
func (op *Operation) IsAnswered() bool {
	op.mu.Lock()
	defer op.mu.Unlock()
	return op.answered
}

// End reports the operation; status is the HTTP status of its answer.
// refusal is the start of an answer written before GraphQL ran (no key, a
// body too large), whose errors' codes are counted like GraphQL's.
func (op *Operation) End(ctx context.Context, status int, refusal []byte) {
	elapsed := time.Since(op.start)
	m := op.tel.Metrics
	m.inFlight.Dec()

	op.mu.Lock()
	name, typ, keyHash := op.name, op.typ, op.keyHash
	if !op.answered {
		for _, c := range refusalCodes(refusal) {
			op.errors.add(c)
		}
	}
	errs := op.errors
	errs.order = slices.Clone(errs.order)
	errs.n = maps.Clone(errs.n)
	outcome := "ok"
	switch {
	case !op.answered && status >= 400, op.answered && !op.hasData && errs.total > 0:
		outcome = "error"
	case errs.total > 0:
		outcome = "partial"
	}
	requests, rounds := op.requests, op.rounds
	op.mu.Unlock()

	label := UnnamedOperation
	if name != "" {
		label = m.names.label(name)
	}
	m.operations.WithLabelValues(label, typ, outcome).Inc()
	m.operationDuration.WithLabelValues(typ).Observe(elapsed.Seconds())
	for _, c := range errs.order {
		m.errors.WithLabelValues(c).Add(float64(errs.n[c]))
	}

	if op.span.IsRecording() {
		op.span.SetAttributes(
			attribute.Int("clevertim.upstream.requests", requests),
			attribute.Int("clevertim.upstream.rounds", rounds),
			attribute.Int("http.response.status_code", status),
		)
		if errs.total > 0 {
			op.span.SetAttributes(attribute.StringSlice("graphql.error.codes", errs.order),
				attribute.Int("graphql.error.count", errs.total))
		}
		if outcome == "error" {
			op.span.SetStatus(codes.Error, outcome)
		}
	}
	op.span.End()

	level := slog.LevelInfo
	if errs.n["INTERNAL_SERVER_ERROR"] > 0 {
		level = slog.LevelError
	}
	if !op.tel.Logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("operation", label),
		slog.String("type", typ),
		slog.String("outcome", outcome),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		slog.Int("upstream_requests", requests),
		slog.Int("upstream_rounds", rounds),
		slog.Any("errors", append([]string{}, errs.order...)), // [] rather than null
		slog.Int("error_count", errs.total),
	}
	if sc := op.span.SpanContext(); sc.HasTraceID() {
		attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
	}
	if keyHash != "" {
		attrs = append(attrs, slog.String("key", keyHash))
	}
	op.tel.Logger.LogAttrs(ctx, level, "operation", attrs...)
}
