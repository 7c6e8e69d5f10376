package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// A key only these tests use, so that finding it anywhere means a leak.
// It is the sales rep's key of the demo account.
const testKey = "demo-sales-key"

// upstreamEmulator is Clevertim as a separate server, recording the headers
// of the requests it gets.
type upstreamEmulator struct {
	*emulator.Emulator
	URL string

	mu      sync.Mutex
	headers []http.Header
}

func startUpstream(t *testing.T) *upstreamEmulator {
	t.Helper()
	emu, err := emulator.New()
	if err != nil {
		t.Fatal(err)
	}
	u := &upstreamEmulator{Emulator: emu}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.headers = append(u.headers, r.Header.Clone())
		u.mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); emu.Close() })
	u.URL = srv.URL + "/api"
	return u
}

func (u *upstreamEmulator) received() []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]http.Header(nil), u.headers...)
}

// query POSTs a GraphQL operation with extra headers.
func query(t *testing.T, url, q string, header map[string]string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": q})
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metrics scrapes /metrics into series → value, the series written as in
// the exposition (labels sorted by name).
func metrics(t *testing.T, url string) (map[string]float64, string) {
	t.Helper()
	status, text := get(t, url)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", url, status, text)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, text
}

func TestMetrics_GrowWithQueries(t *testing.T) {
	t.Parallel()
	up := startUpstream(t)
	base, _, _ := start(t, nil, "-upstream", up.URL, "-api-key", emulator.OwnerKey, "-metrics-max-operation-names", "2")
	auth := map[string]string{"Authorization": "Bearer " + testKey}

	before, _ := metrics(t, base+"/metrics")
	const board = `clevertim_graphql_operations_total{name="Board",outcome="ok",type="query"}`
	if before[board] != 0 {
		t.Fatalf("before any query: %s = %v", board, before[board])
	}
	for range 2 {
		if r := query(t, base+"/query", `query Board { opportunities(first: 3) { nodes { name } } }`, auth); r["errors"] != nil {
			t.Fatalf("query: %v", r)
		}
	}
	query(t, base+"/query", `{ contact(id: "999999") { name } }`, auth)
	query(t, base+"/query", `query Second { users { totalCount } }`, auth)
	query(t, base+"/query", `query Third { users { totalCount } }`, auth) // past the 2 names kept apart
	query(t, base+"/query", `query `+strings.Repeat("n", 65)+` { users { totalCount } }`, auth)
	query(t, base+"/query", `{ nosuchfield }`, auth)
	// A retry: the next upstream request fails once with 503.
	up.InjectFaults(emulator.FaultUnavailable)
	if r := query(t, base+"/query", `query Board { groups { totalCount } }`, auth); r["errors"] != nil {
		t.Fatalf("retried query: %v", r)
	}

	after, text := metrics(t, base+"/metrics")
	for series, want := range map[string]float64{
		board: 3,
		`clevertim_graphql_operations_total{name="(unnamed)",outcome="partial",type="query"}`:   1,
		`clevertim_graphql_operations_total{name="Second",outcome="ok",type="query"}`:           1,
		`clevertim_graphql_operations_total{name="(other)",outcome="ok",type="query"}`:          2,
		`clevertim_graphql_operations_total{name="(unnamed)",outcome="error",type="unknown"}`:   1,
		`clevertim_graphql_errors_total{code="NOT_FOUND"}`:                                      1,
		`clevertim_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`:                      1,
		`clevertim_graphql_operation_duration_seconds_count{type="query"}`:                      7,
		`clevertim_graphql_operations_in_flight`:                                                0,
		`clevertim_graphql_upstream_requests_total{method="GET",resource="group",status="503"}`: 1,
		`clevertim_graphql_upstream_retries_total{method="GET",resource="group"}`:               1,
	} {
		if got := after[series]; got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	for _, series := range []string{
		`clevertim_graphql_upstream_requests_total{method="GET",resource="opportunity",status="200"}`,
		`clevertim_graphql_upstream_request_duration_seconds_count{method="GET",resource="opportunity"}`,
		`clevertim_graphql_upstream_limiter_wait_seconds_count`,
	} {
		if after[series] <= before[series] {
			t.Errorf("%s did not grow: %v → %v", series, before[series], after[series])
		}
	}
	if strings.Contains(text, testKey) || strings.Contains(text, emulator.OwnerKey) || strings.Contains(text, "Third") {
		t.Errorf("/metrics holds a key or a name past the bound:\n%s", text)
	}
}

func TestMetrics_RefusalsBeforeGraphQLCountTheirCode(t *testing.T) {
	t.Parallel()
	base, out, _ := start(t, nil, "-require-auth")
	if r := query(t, base+"/query", `query Anonymous { users { totalCount } }`, nil); r["errors"] == nil {
		t.Fatalf("no key accepted: %v", r)
	}
	m, _ := metrics(t, base+"/metrics")
	if m[`clevertim_graphql_errors_total{code="UNAUTHENTICATED"}`] != 1 ||
		m[`clevertim_graphql_operations_total{name="(unnamed)",outcome="error",type="unknown"}`] != 1 {
		t.Errorf("a request without a key: errors %v, operations %v", m[`clevertim_graphql_errors_total{code="UNAUTHENTICATED"}`],
			m[`clevertim_graphql_operations_total{name="(unnamed)",outcome="error",type="unknown"}`])
	}
	if !strings.Contains(out.String(), `"status":401`) || !strings.Contains(out.String(), `"errors":["UNAUTHENTICATED"]`) {
		t.Errorf("no log line for the refusal:\n%s", out)
	}
}

func TestMetrics_BudgetCacheAndOwnListener(t *testing.T) {
	t.Parallel()
	up := startUpstream(t)
	base, out, _ := start(t, nil, "-upstream", up.URL, "-api-key", emulator.OwnerKey,
		"-upstream-budget", "1", "-metrics-addr", "127.0.0.1:0", "-log-format", "json", "-cache-ttl", "1m")
	// The users, fetched then found in the cache (no upstream request, no
	// budget spent); then two collections with one request allowed: one is
	// refused.
	for range 2 {
		if r := query(t, base+"/query", `{ users { totalCount } }`, nil); r["errors"] != nil {
			t.Fatalf("users: %v", r)
		}
	}
	query(t, base+"/query", `{ groups { totalCount } customFields { totalCount } }`, nil)
	if status, _ := get(t, base+"/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics on the main address with -metrics-addr: %d", status)
	}
	var started struct{ Metrics string }
	for line := range strings.Lines(out.String()) {
		if strings.Contains(line, `"msg":"listening"`) {
			_ = json.Unmarshal([]byte(line), &started)
		}
	}
	if started.Metrics == "" {
		t.Fatalf("no metrics address in the startup line:\n%s", out)
	}
	m, _ := metrics(t, started.Metrics)
	if m[`clevertim_graphql_cache_lookups_total{resource="user",result="miss"}`] != 1 ||
		m[`clevertim_graphql_cache_lookups_total{resource="user",result="hit"}`] != 1 {
		t.Errorf("cache lookups of users: %v misses, %v hits; want 1 and 1",
			m[`clevertim_graphql_cache_lookups_total{resource="user",result="miss"}`],
			m[`clevertim_graphql_cache_lookups_total{resource="user",result="hit"}`])
	}
	if m["clevertim_graphql_upstream_budget_refusals_total"] != 1 ||
		m[`clevertim_graphql_errors_total{code="UPSTREAM_BUDGET_EXCEEDED"}`] != 1 {
		t.Errorf("budget refusals: %v, errors %v", m["clevertim_graphql_upstream_budget_refusals_total"],
			m[`clevertim_graphql_errors_total{code="UPSTREAM_BUDGET_EXCEEDED"}`])
	}
	if m["clevertim_graphql_cache_entries"] != 2 {
		t.Errorf("cache entries: %v, want 2 (the users, and the groups or the custom fields)", m["clevertim_graphql_cache_entries"])
	}
}

// logLines decodes the JSON lines of the server's output.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(out) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		lines = append(lines, m)
	}
	return lines
}

const (
	incomingTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceparent     = "00-" + incomingTraceID + "-00f067aa0ba902b7-01"
)

func TestLogs_OneLinePerOperationWithoutTheKey(t *testing.T) {
	t.Parallel()
	up := startUpstream(t)
	base, out, stop := start(t, nil, "-upstream", up.URL, "-api-key", emulator.OwnerKey)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":X"))
	r := query(t, base+"/query", `query Board { opportunities(first: 2) { nodes { name leadUser { name } } } contact(id: "999999") { name } }`,
		map[string]string{"Authorization": basic, "traceparent": traceparent})
	if r["data"] == nil {
		t.Fatalf("query: %v", r)
	}
	stop()

	var op map[string]any
	msgs := map[string]bool{}
	for _, l := range logLines(t, out.String()) {
		msgs[l["msg"].(string)] = true
		if l["msg"] == "operation" {
			op = l
		}
	}
	for _, m := range []string{"listening", "shutting down: finishing in-flight requests", "stopped"} {
		if !msgs[m] {
			t.Errorf("no %q line in:\n%s", m, out)
		}
	}
	if op == nil {
		t.Fatalf("no operation line in:\n%s", out)
	}
	want := map[string]any{
		"level": "INFO", "operation": "Board", "type": "query", "outcome": "partial", "status": float64(200),
		"trace_id": incomingTraceID, "key": telemetry.KeyHash(testKey), "errors": []any{"NOT_FOUND"},
	}
	for k, v := range want {
		if got, _ := json.Marshal(op[k]); string(got) != string(must(json.Marshal(v))) {
			t.Errorf("operation line: %s = %s, want %v", k, got, v)
		}
	}
	if n, _ := op["upstream_requests"].(float64); n < 2 {
		t.Errorf("upstream_requests = %v", op["upstream_requests"])
	}
	if n, _ := op["upstream_rounds"].(float64); n < 1 {
		t.Errorf("upstream_rounds = %v", op["upstream_rounds"])
	}
	if _, ok := op["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms = %v", op["duration_ms"])
	}
	for _, secret := range []string{testKey, emulator.OwnerKey, basic[len("Basic "):]} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("the logs hold %q:\n%s", secret, out)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// otlpReceiver is an OTLP/HTTP collector keeping the spans it is sent.
type otlpReceiver struct {
	mu    sync.Mutex
	raw   [][]byte
	spans []*tracepb.Span
}

func startReceiver(t *testing.T) (*otlpReceiver, string) {
	t.Helper()
	rc := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP export to %s as %s", r.URL.Path, r.Header.Get("Content-Type"))
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Error(err)
				return
			}
			body = zr
		}
		raw, _ := io.ReadAll(body)
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			t.Errorf("OTLP body: %v", err)
		}
		rc.mu.Lock()
		rc.raw = append(rc.raw, raw)
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				rc.spans = append(rc.spans, ss.Spans...)
			}
		}
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(must(proto.Marshal(&collectortrace.ExportTraceServiceResponse{})))
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func TestTraces_ExportedWithTheIncomingTraceID(t *testing.T) {
	t.Parallel()
	up := startUpstream(t)
	rc, endpoint := startReceiver(t)
	base, _, stop := start(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
		"-upstream", up.URL, "-api-key", emulator.OwnerKey)
	r := query(t, base+"/query", `query Board { opportunities(first: 2) { nodes { name leadUser { name } } } contact(id: "1031") { name } }`,
		map[string]string{"Authorization": "Bearer " + testKey, "traceparent": traceparent, "baggage": "tenant=acme"})
	if r["errors"] != nil {
		t.Fatalf("query: %v", r)
	}
	long := "Q" + strings.Repeat("a", 10_000)
	if r := query(t, base+"/query", "query "+long+" { __typename }", map[string]string{"Authorization": "Bearer " + testKey}); r["errors"] != nil {
		t.Fatalf("query with a long name: %v", r)
	}
	stop() // flushes the spans

	rc.mu.Lock()
	defer rc.mu.Unlock()
	var operation, client, batch, collection *tracepb.Span
	for _, s := range rc.spans {
		if strings.HasPrefix(s.Name, "query Qaaa") && len(s.Name) > 200 {
			t.Errorf("a %d-byte span name", len(s.Name))
		}
		for _, a := range s.Attributes {
			if v := a.Value.GetStringValue(); strings.HasPrefix(v, "Qaaa") && len(v) > 200 {
				t.Errorf("a %d-byte span attribute %s", len(v), a.Key)
			}
		}
		if hex.EncodeToString(s.TraceId) != incomingTraceID {
			continue
		}
		switch {
		case s.Name == "query Board" && s.Kind == tracepb.Span_SPAN_KIND_SERVER:
			operation = s
		case s.Kind == tracepb.Span_SPAN_KIND_CLIENT && strings.HasPrefix(s.Name, "GET "):
			client = s
		case s.Name == "loader batch contact":
			batch = s
		case s.Name == "collection opportunity":
			collection = s
		}
	}
	if operation == nil || client == nil || batch == nil || collection == nil {
		names := []string{}
		for _, s := range rc.spans {
			names = append(names, s.Name+" "+hex.EncodeToString(s.TraceId))
		}
		t.Fatalf("want an operation span, a loader batch span, a collection span and a client span in trace %s; got %v", incomingTraceID, names)
	}
	if hex.EncodeToString(operation.ParentSpanId) != "00f067aa0ba902b7" {
		t.Errorf("the operation span's parent is %x, not the caller's span", operation.ParentSpanId)
	}
	attrs := map[string]string{}
	for _, a := range operation.Attributes {
		attrs[a.Key] = a.Value.String()
	}
	for _, k := range []string{"graphql.operation.name", "graphql.operation.type", "clevertim.upstream.requests", "clevertim.upstream.rounds"} {
		if attrs[k] == "" {
			t.Errorf("operation span lacks %s: %v", k, attrs)
		}
	}
	// Upstream requests carried the trace and the caller's baggage.
	var carried bool
	var seen []string
	for _, h := range up.received() {
		seen = append(seen, h.Get("Traceparent")+" / "+h.Get("Baggage"))
		if strings.Contains(h.Get("Traceparent"), incomingTraceID) && strings.Contains(h.Get("Baggage"), "tenant=acme") {
			carried = true
		}
	}
	if !carried {
		t.Errorf("no upstream request carried traceparent and baggage (traceparent / baggage): %q", seen)
	}
	for _, raw := range rc.raw {
		for _, secret := range []string{testKey, emulator.OwnerKey, base64.StdEncoding.EncodeToString([]byte(testKey + ":X"))} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("an exported span holds %q", secret)
			}
		}
	}
}

func TestTraces_OversizedBaggageIsNotSentUpstream(t *testing.T) {
	t.Parallel()
	up := startUpstream(t)
	base, _, _ := start(t, nil, "-upstream", up.URL, "-api-key", emulator.OwnerKey)
	huge := "k=" + strings.Repeat("v", 9000)
	if r := query(t, base+"/query", `{ users { totalCount } }`, map[string]string{"baggage": huge, "traceparent": traceparent}); r["errors"] != nil {
		t.Fatalf("query with a 9 kB baggage: %v", r)
	}
	got := up.received()
	if len(got) == 0 {
		t.Fatal("no upstream request")
	}
	for _, h := range got {
		if h.Get("Baggage") != "" || !strings.Contains(h.Get("Traceparent"), incomingTraceID) {
			t.Errorf("upstream got baggage of %d bytes, traceparent %q", len(h.Get("Baggage")), h.Get("Traceparent"))
		}
	}
}

func TestLogs_LevelFormatAndBadSettings(t *testing.T) {
	t.Parallel()
	base, out, stop := start(t, nil, "-log-level", "warn")
	query(t, base+"/query", `query Quiet { users { totalCount } }`, nil)
	stop()
	if strings.Contains(out.String(), "Quiet") || strings.Contains(out.String(), `"msg":"operation"`) {
		t.Errorf("an operation line at -log-level warn:\n%s", out)
	}
	base, out, stop = start(t, nil, "-log-format", "text")
	query(t, base+"/query", `query Spoken { users { totalCount } }`, nil)
	stop()
	if !strings.Contains(out.String(), "msg=operation operation=Spoken type=query") {
		t.Errorf("no text operation line:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-log-format", "xml"}, nil, "log format"},
		{[]string{"-log-level", "loud"}, nil, "log level"},
		{nil, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "http/protobuf"},
	} {
		err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0"}, c.args...), func(k string) string { return c.env[k] }, &bytes.Buffer{}, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want an error about %s", c.args, c.env, err, c.want)
		}
	}
}
