package graph_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
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
}

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
	out := make(chan asyncResult, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{"query": query})
		req, _ := http.NewRequest("POST", endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
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
	close(g.open)
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
	close(g.open)
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
	emu := newHarness(t, graph.HandlerConfig{}, emulator.WithSizes(emulator.BenchmarkSizes()))
	m := &graph.Metrics{}
	hd, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: emu.upstream, DefaultAPIKey: ownerKey, Metrics: m,
		WriteTimeout: 50 * time.Millisecond, WriteChunk: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(hd)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	body := largeAnswerQuery(3)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
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

// waitFor polls a condition another goroutine will make true; it fails the
// test if that takes a minute (a broken mechanism), and asserts nothing
// about how long it took.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the condition never came true")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

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
