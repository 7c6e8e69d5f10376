package graph_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// Past the answer size cap the operation stops: the fields still to resolve
// resolve to nothing, so the companies of the contacts are never fetched,
// and the answer is one RESPONSE_TOO_LARGE error.
func TestHostile_ResponseTooLargeStopsTheOperation(t *testing.T) {
	t.Parallel()
	q := `{ contacts(first: 50) { nodes { name title description company { name } } } }`
	full := newHarness(t, graph.HandlerConfig{NoPlanning: true})
	full.emu.ResetStats()
	full.ok("", q, nil)
	if n := full.emu.Stats().ByResource["company"]; n == 0 {
		t.Fatalf("without the cap the companies are fetched: %v", full.emu.Stats().ByRoute)
	}

	h := newHarness(t, graph.HandlerConfig{NoPlanning: true, MaxResponseBytes: 100})
	h.emu.ResetStats()
	r := h.do("", q, nil)
	if len(r.Errors) != 1 || r.Errors[0].code() != graph.CodeResponseTooLarge || r.Data != nil {
		t.Fatalf("want only RESPONSE_TOO_LARGE, got %+v %v", r.Errors, r.Data)
	}
	if routes := h.emu.Stats().ByRoute; len(routes) != 1 || routes["GET /contact"] != 1 {
		t.Errorf("upstream after the cap: %v", routes)
	}
}

// gate holds every upstream request until it is opened, so that the
// operations that sent them are certainly executing.
type gate struct {
	arrived chan struct{}
	open    chan struct{}
	once    sync.Once
}

// release opens the gate, once however often it is called: tests call it
// when they are done, and again in their cleanup in case they failed first.
func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func newGate() *gate { return &gate{arrived: make(chan struct{}, 64), open: make(chan struct{})} }

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.arrived <- struct{}{}
	select {
	case <-g.open:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(r)
}

type asyncResult struct {
	status int
	body   string
	err    error
}

// async sends a query from another goroutine; the test reads the result
// from the channel (no t.Fatal off the test's goroutine).
func async(endpoint, key, query string) <-chan asyncResult {
	return send(http.DefaultClient, endpoint, query, map[string]string{"Authorization": "Bearer " + key})
}

func (r asyncResult) ok() bool {
	return r.err == nil && r.status == 200 && !strings.Contains(r.body, `"errors"`)
}

// Operations past the global or per-key limit wait QueueWait, then get 503
// with Retry-After and OVERLOADED; the ones executing are not disturbed.
func TestHostile_LoadShedding(t *testing.T) {
	t.Parallel()
	g := newGate()
	m := &graph.Metrics{}
	h := newHarness(t, graph.HandlerConfig{Transport: g, Metrics: m,
		MaxOperations: 2, MaxOperationsPerKey: 1, QueueWait: 20 * time.Millisecond})
	q := `{ users { totalCount } }`
	shed := func(key string) {
		t.Helper()
		req, _ := http.NewRequest("POST", h.endpoint, strings.NewReader(`{"query":"{ users { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		// Bounded, so that a request that is not shed fails the test
		// instead of waiting at the gate until -timeout.
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(b), graph.CodeOverloaded) {
			t.Errorf("%s: %d %v %s", key, resp.StatusCode, resp.Header, b)
		}
	}
	a := async(h.endpoint, ownerKey, q)
	<-g.arrived // the owner's operation executes: its key's one slot is taken
	shed(ownerKey)
	c := async(h.endpoint, editorKey, q)
	<-g.arrived // two operations execute: every slot is taken
	shed(adminKey)
	if m.Shed.Load() != 2 {
		t.Errorf("shed %d, want 2", m.Shed.Load())
	}
	g.release()
	for _, ch := range []<-chan asyncResult{a, c} {
		if r := <-ch; !r.ok() {
			t.Errorf("an operation in flight: %+v", r)
		}
	}
	h.ok(adminKey, q, nil)
}

// An operation over the limit waits in the queue and runs when a slot
// frees up.
func TestHostile_LoadSheddingQueuesBriefly(t *testing.T) {
	t.Parallel()
	g := newGate()
	m := &graph.Metrics{}
	h := newHarness(t, graph.HandlerConfig{Transport: g, Metrics: m,
		MaxOperations: 1, MaxOperationsPerKey: -1, QueueWait: time.Minute})
	q := `{ users { totalCount } }`
	a := async(h.endpoint, ownerKey, q)
	<-g.arrived
	b := async(h.endpoint, editorKey, q)
	waitFor(t, func() bool { return m.Queued.Load() > 0 }) // b waits for a's slot
	g.release()
	for _, ch := range []<-chan asyncResult{a, b} {
		if r := <-ch; !r.ok() {
			t.Errorf("%+v", r)
		}
	}
	if m.Shed.Load() != 0 {
		t.Errorf("shed %d", m.Shed.Load())
	}
}

// smallBuffers gives accepted connections a small send buffer: on loopback
// the kernel would otherwise absorb megabytes, where a real network to a
// slow client holds little.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// A client that does not read its answer is cut off after a write times
// out: the server neither waits for it for minutes nor keeps its answer.
func TestHostile_SlowReaderIsCutOff(t *testing.T) {
	t.Parallel()
	m := &graph.Metrics{}
	srv := slowReaderServer(t, graph.HandlerConfig{Metrics: m})
	conn := sendUnread(t, srv.Listener.Addr().String())
	waitFor(t, func() bool { return m.CutOff.Load() > 0 }) // not reading: the server's writes stall
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.Copy(io.Discard, resp.Body)
	if err == nil || got >= resp.ContentLength {
		t.Errorf("read %d of %d bytes, %v: the answer was not cut", got, resp.ContentLength, err)
	}
	t.Logf("cut off after %d of %d bytes", got, resp.ContentLength)
}

// slowReaderServer serves a facade over an emulator holding a large
// account (emulator.BenchmarkSizes), writing answers in 4 KiB pieces with
// 50 ms each, through small socket buffers, so that a client that does not
// read is cut off at once.
func slowReaderServer(t *testing.T, cfg graph.HandlerConfig) *httptest.Server {
	t.Helper()
	emu := newHarness(t, graph.HandlerConfig{}, emulator.WithSizes(emulator.BenchmarkSizes()))
	cfg.UpstreamURL, cfg.DefaultAPIKey = emu.upstream, ownerKey
	cfg.WriteTimeout, cfg.WriteChunk = 50*time.Millisecond, 4<<10
	hd, err := graph.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(hd)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// sendUnread asks for three pages of 1,000 contacts (≈ 480 KB) on a
// connection of its own, and reads nothing.
func sendUnread(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	body := largeAnswerQuery(3)
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	return conn
}

// waitFor polls a condition another goroutine will make true (graph.WaitFor).
var waitFor = graph.WaitFor

// largeAnswerQuery is a request body asking for n pages of 1,000 contacts
// (≈ 160 KB of answer each with emulator.BenchmarkSizes).
func largeAnswerQuery(n int) []byte {
	var q strings.Builder
	q.WriteString("{")
	for i := range n {
		fmt.Fprintf(&q, " c%d: contacts(first: 1000) { nodes { id name title description emails tags lastModified } }", i)
	}
	q.WriteString(" }")
	body, _ := json.Marshal(map[string]any{"query": q.String()})
	return body
}

// clientAt sends requests from a loopback address of its own, so that the
// server sees another client.
func clientAt(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// send posts a query with the given headers from another goroutine.
func send(c *http.Client, endpoint, query string, header map[string]string) <-chan asyncResult {
	out := make(chan asyncResult, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest("POST", endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			out <- asyncResult{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- asyncResult{status: resp.StatusCode, body: string(b), err: err}
	}()
	return out
}

func (r asyncResult) overloaded() bool {
	return r.err == nil && r.status == 503 && strings.Contains(r.body, graph.CodeOverloaded)
}

// Requests without a key all act as the default key; one client address
// may hold only its share of that key's slots, so a client flooding it
// leaves the others room. Asserted by what was admitted (it reached
// upstream) and what was refused, never by time.
func TestHostile_KeylessClientsGetAShareEach(t *testing.T) {
	t.Parallel()
	g := newGate()
	m := &graph.Metrics{}
	h := newHarness(t, graph.HandlerConfig{Transport: g, Metrics: m,
		MaxOperations: -1, MaxOperationsPerKey: 4, MaxOperationsPerClient: 2, QueueWait: 20 * time.Millisecond})
	t.Cleanup(g.release) // before the server's cleanup, which waits for its requests
	a, b, c := clientAt("127.0.0.1"), clientAt("127.0.0.2"), clientAt("127.0.0.3")
	q := distinctReads()
	var admitted []<-chan asyncResult
	admit := func(ch <-chan asyncResult) {
		t.Helper()
		select {
		case <-g.arrived:
			admitted = append(admitted, ch)
		case r := <-ch:
			t.Fatalf("not admitted: %+v %v", r, r.err)
		}
	}
	refuse := func(ch <-chan asyncResult, by graph.Limit, want int64) {
		t.Helper()
		select {
		case <-g.arrived:
			t.Fatal("admitted, want OVERLOADED")
		case r := <-ch:
			if !r.overloaded() {
				t.Errorf("want OVERLOADED, got %+v", r)
			}
		}
		if got := m.ShedBy(by); got != want {
			t.Errorf("shed by the %s limit: %d, want %d", by, got, want)
		}
	}

	admit(send(a, h.endpoint, q(), nil))
	admit(send(a, h.endpoint, q(), nil))
	refuse(send(a, h.endpoint, q(), nil), graph.LimitClient, 1) // a's share is full
	admit(send(b, h.endpoint, q(), nil))                        // b has its own
	admit(send(b, h.endpoint, q(), nil))
	// With a key of its own, a's address is no longer the client that counts.
	admit(send(a, h.endpoint, q(), map[string]string{"Authorization": "Bearer " + adminKey}))
	refuse(send(c, h.endpoint, q(), nil), graph.LimitKey, 1) // the default key's 4 are taken
	if m.Shed.Load() != 2 {
		t.Errorf("shed %d, want 2", m.Shed.Load())
	}
	g.release()
	for _, ch := range admitted {
		if r := <-ch; !r.ok() {
			t.Errorf("admitted: %+v", r)
		}
	}
}

// Behind a trusted proxy the client is the address the proxy appended to
// X-Forwarded-For; from any other peer the header is the caller's own
// claim and is ignored.
func TestHostile_KeylessClientsBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
	for _, trusted := range []bool{true, false} {
		t.Run(fmt.Sprint("trusted=", trusted), func(t *testing.T) {
			t.Parallel()
			g := newGate()
			m := &graph.Metrics{}
			cfg := graph.HandlerConfig{Transport: g, Metrics: m,
				MaxOperations: -1, MaxOperationsPerKey: 16, MaxOperationsPerClient: 1, QueueWait: 20 * time.Millisecond}
			if trusted {
				cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			}
			h := newHarness(t, cfg)
			t.Cleanup(g.release)
			q := distinctReads()
			proxy := clientAt("127.0.0.1")
			first := send(proxy, h.endpoint, q(), xff("203.0.113.7"))
			<-g.arrived
			// Another client, and one that puts a fake address before the
			// proxy's entry (a hop appended by a second trusted proxy is
			// skipped too).
			other := send(proxy, h.endpoint, q(), xff("203.0.113.8"))
			spoofed := send(proxy, h.endpoint, q(), xff("198.51.100.9, 203.0.113.7, 127.0.0.5"))
			var results []asyncResult
			// Two answers are due before the gate opens: the refusals. Each
			// arrival at the gate is an admission.
			arrived, refused := 0, 0
			for range 2 {
				select {
				case <-g.arrived:
					arrived++
				case r := <-spoofed:
					spoofed = nil
					if !r.overloaded() {
						t.Fatalf("203.0.113.7 again: %+v", r)
					}
					refused++
				case r := <-other:
					other = nil
					if !r.overloaded() {
						t.Fatalf("another client: %+v", r)
					}
					refused++
				}
			}
			want := 1 // 203.0.113.8 is admitted, the spoofed 203.0.113.7 refused
			if !trusted {
				want = 0 // one client, 127.0.0.1: both refused
			}
			if arrived != want || refused != 2-want || m.ShedBy(graph.LimitClient) != int64(2-want) {
				t.Errorf("admitted %d, refused %d (shed %d), want %d admitted", arrived, refused, m.ShedBy(graph.LimitClient), want)
			}
			g.release()
			results = append(results, <-first)
			if other != nil {
				results = append(results, <-other)
			}
			for _, r := range results {
				if !r.ok() {
					t.Errorf("admitted: %+v", r)
				}
			}
		})
	}
}

// distinctReads gives queries that each send an upstream request of their
// own (identical reads in flight would be shared): contacts 1030 to 1039.
func distinctReads() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf(`{ contact(id: "%d") { name } }`, 1029+n)
	}
}

// Each of the handler's counters reaches /metrics: provoke a refusal by a
// document cap, a validation, a queued then shed operation and a cut-off
// answer, then scrape.
func TestHostile_CountersOnMetrics(t *testing.T) {
	t.Parallel()
	g := newGate()
	t.Cleanup(g.release)
	tel := telemetry.New(slog.New(slog.DiscardHandler), telemetry.NewMetrics(0), nil)
	m := &graph.Metrics{}
	srv := slowReaderServer(t, graph.HandlerConfig{Telemetry: tel, Metrics: m, Transport: g, MaxTokens: 100,
		MaxOperations: -1, MaxOperationsPerKey: 1, QueueWait: 20 * time.Millisecond})
	metrics := httptest.NewServer(tel.Metrics.Handler())
	t.Cleanup(metrics.Close)

	if r := <-async(srv.URL, ownerKey, "{"+strings.Repeat(" __typename", 100)+" }"); !strings.Contains(r.body, graph.CodeTokenLimit) {
		t.Fatalf("over the token cap: %+v", r)
	}
	if r := <-async(srv.URL, ownerKey, "{ nope }"); !strings.Contains(r.body, "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("unknown field: %+v", r)
	}
	// Another key than the default one, which the keyless slow reader below
	// uses: the held operation's answer can reach this test before its slot
	// is given back, and the reader must not queue for it.
	held := async(srv.URL, editorKey, `{ users { totalCount } }`)
	<-g.arrived
	if r := <-async(srv.URL, editorKey, `{ users { totalCount } }`); !r.overloaded() {
		t.Fatalf("over the key's one slot: %+v", r)
	}
	g.release()
	if r := <-held; !r.ok() {
		t.Fatalf("held: %+v", r)
	}

	// A client that does not read a large answer is cut off.
	sendUnread(t, srv.Listener.Addr().String())
	waitFor(t, func() bool { return m.CutOff.Load() > 0 }) // when a write times out

	resp, err := http.Get(metrics.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	scraped, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`clevertim_graphql_documents_refused_total{code="TOKEN_LIMIT_EXCEEDED"} 1`,
		`clevertim_graphql_validations_total `,
		`clevertim_graphql_operations_queued_total 1`,
		`clevertim_graphql_operations_shed_total{limit="key"} 1`,
		`clevertim_graphql_operations_shed_total{limit="client"} 0`,
		`clevertim_graphql_answers_cut_off_total 1`,
	} {
		if !strings.Contains(string(scraped), "\n"+want) {
			t.Errorf("no %s in:\n%s", want, grepLines(string(scraped), "clevertim_graphql_"))
		}
	}
}

// grepLines keeps the lines holding s.
func grepLines(text, s string) string {
	var out []string
	for line := range strings.Lines(text) {
		if strings.Contains(line, s) && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// lockedBuffer is a log sink the handler's goroutines write to while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// An operation's log line lists its distinct error codes and how many
// errors it had, not one entry per error: 30 records not found are one
// code and a count.
func TestHostile_LogLineCountsErrorCodes(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	tel := telemetry.New(slog.New(slog.NewJSONHandler(&logs, nil)), telemetry.NewMetrics(0), nil)
	h := newHarness(t, graph.HandlerConfig{Telemetry: tel})
	var q strings.Builder
	q.WriteString("query Missing {")
	for i := range 30 {
		fmt.Fprintf(&q, ` m%d: contact(id: "%d") { id }`, i, 900000+i)
	}
	q.WriteString(" }")
	if r := h.do("", q.String(), nil); len(r.Errors) != 30 {
		t.Fatalf("want 30 errors, got %d: %+v", len(r.Errors), r.Errors)
	}
	var line struct {
		Msg, Operation string
		Errors         []string
		ErrorCount     int `json:"error_count"`
	}
	for l := range strings.Lines(logs.String()) {
		_ = json.Unmarshal([]byte(l), &line)
		if line.Msg == "operation" && line.Operation == "Missing" {
			break
		}
	}
	if !slices.Equal(line.Errors, []string{graph.CodeNotFound}) || line.ErrorCount != 30 {
		t.Errorf("log line: errors %v, error_count %d; want [NOT_FOUND] and 30:\n%s", line.Errors, line.ErrorCount, logs.String())
	}
}

// An IPv6 client is its /64: one host usually holds the whole prefix, and
// could otherwise take a new address for each request.
func TestHostile_KeylessIPv6ClientIsItsPrefix(t *testing.T) {
	t.Parallel()
	g := newGate()
	m := &graph.Metrics{}
	h := newHarness(t, graph.HandlerConfig{Transport: g, Metrics: m, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		MaxOperations: -1, MaxOperationsPerKey: 16, MaxOperationsPerClient: 1, QueueWait: 20 * time.Millisecond})
	t.Cleanup(g.release)
	q, proxy := distinctReads(), clientAt("127.0.0.1")
	var admitted []<-chan asyncResult
	for _, c := range []struct {
		forwarded string
		admit     bool
	}{
		{"2001:db8:1:2::1", true},
		{"2001:db8:1:2:ffff::9", false},   // the same /64
		{"[2001:db8:1:2::7]:4711", false}, // the same, with brackets and a port as some proxies write it
		{"2001:db8:1:3::1", true},         // another /64
	} {
		ch := send(proxy, h.endpoint, q(), map[string]string{"X-Forwarded-For": c.forwarded})
		select {
		case <-g.arrived:
			admitted = append(admitted, ch)
			if !c.admit {
				t.Errorf("%s: admitted", c.forwarded)
			}
		case r := <-ch:
			if c.admit || !r.overloaded() {
				t.Errorf("%s: %+v", c.forwarded, r)
			}
		}
	}
	g.release()
	for _, ch := range admitted {
		if r := <-ch; !r.ok() {
			t.Errorf("admitted: %+v", r)
		}
	}
}
