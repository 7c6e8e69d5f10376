package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// answerGate holds the answers to the upstream requests it matches until it is
// opened, so that a test can line operations up behind one read in flight
// without depending on timing. The answer is fetched before it is held: a
// held read carries what Clevertim held when it was sent.
type answerGate struct {
	base  http.RoundTripper
	match func(*http.Request) bool
	open  chan struct{}
	once  sync.Once

	held      atomic.Int32
	cancelled atomic.Int32 // held requests whose context ended
}

func newAnswerGate(match func(*http.Request) bool) *answerGate {
	return &answerGate{base: clevertim.NewTransport(), match: match, open: make(chan struct{})}
}

func (g *answerGate) release() { g.once.Do(func() { close(g.open) }) }

func (g *answerGate) RoundTrip(req *http.Request) (*http.Response, error) {
	if !g.match(req) {
		return g.base.RoundTrip(req)
	}
	resp, err := g.base.RoundTrip(req)
	g.held.Add(1)
	select {
	case <-g.open:
		return resp, err
	case <-req.Context().Done():
		g.cancelled.Add(1)
		if resp != nil {
			resp.Body.Close()
		}
		return nil, req.Context().Err()
	}
}

// collectionGET matches GET /api/{resource}.
func collectionGET(resource string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == http.MethodGet && r.URL.Path == "/api/"+resource }
}

// eventually waits for cond, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

type sharedResponse struct {
	response
	Shared int
}

// doCtx is harness.do with a context, from any goroutine: it reports
// instead of failing.
func (h *harness) doCtx(ctx context.Context, key, query string) (sharedResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, "POST", h.endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return sharedResponse{}, err
	}
	defer resp.Body.Close()
	var out struct {
		response
		Extensions struct {
			Upstream upstream.Summary `json:"upstream"`
		} `json:"extensions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return sharedResponse{}, err
	}
	r := sharedResponse{response: out.response, Shared: out.Extensions.Upstream.Shared}
	r.response.Extensions.Upstream.Requests = out.Extensions.Upstream.Requests
	r.response.Extensions.Upstream.Rounds = out.Extensions.Upstream.Rounds
	return r, nil
}

// async runs doCtx in the background; its answer arrives on the channel.
func (h *harness) async(ctx context.Context, key, query string) <-chan sharedResponse {
	out := make(chan sharedResponse, 1)
	go func() {
		r, err := h.doCtx(ctx, key, query)
		if err != nil && ctx.Err() == nil {
			h.t.Error(err)
		}
		out <- r
	}()
	return out
}

const firstPage = `{ contacts(first: 20) { nodes { id name } } }`

// Sixteen identical first pages at once cost the upstream what one costs,
// with the cache off (the default) and on (a miss is fetched once).
func TestSharing_ConcurrentFirstPages(t *testing.T) {
	t.Parallel()
	alone := setup(t)
	one := alone.ok(ownerKey, firstPage, nil).Extensions.Upstream.Requests
	if one == 0 {
		t.Fatal("a first page sent no upstream request")
	}
	for _, ttl := range []time.Duration{0, time.Minute} {
		t.Run("cache-ttl="+ttl.String(), func(t *testing.T) {
			t.Parallel()
			g := newAnswerGate(collectionGET("contact"))
			flights := upstream.NewFlights()
			h := newHarness(t, graph.HandlerConfig{Transport: g, Flights: flights, CacheTTL: ttl})
			const n = 16
			results := make([]sharedResponse, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { results[i] = <-h.async(context.Background(), ownerKey, firstPage) })
			}
			// All wait on one read, or (without sharing) all reads are held.
			// With the replica, the 16 wait on its fetch of the collection,
			// and its GET is one more wait.
			waiting := n
			if ttl > 0 {
				waiting++
			}
			eventually(t, "16 operations wait for the contacts", func() bool {
				return flights.Waiting() == waiting || g.held.Load() == n
			})
			g.release()
			wg.Wait()

			sent := h.emu.Stats().Total
			if sent > 2*int64(one) {
				t.Errorf("16 first pages sent %d upstream requests; one sends %d", sent, one)
			}
			requests, shared := 0, 0
			for _, r := range results {
				if len(r.Errors) > 0 || len(list(r.Data, "contacts", "nodes")) != 20 {
					t.Fatalf("a first page failed: %+v", r.response)
				}
				requests += r.Extensions.Upstream.Requests
				shared += r.Shared
			}
			// extensions.upstream stays honest: each read is sent or shared.
			if int64(requests) != sent || requests+shared != n*one {
				t.Errorf("extensions: %d requests and %d shared; the emulator got %d, each page reads %d", requests, shared, sent, one)
			}
		})
	}
}

// A read that starts after a write has completed is not served a read that
// started before it.
func TestSharing_ReadAfterWrite(t *testing.T) {
	t.Parallel()
	var first atomic.Bool // hold only the first collection read
	g := newAnswerGate(func(r *http.Request) bool {
		return collectionGET("contact")(r) && first.CompareAndSwap(false, true)
	})
	h := newHarness(t, graph.HandlerConfig{Transport: g})
	contacts, err := h.client(ownerKey).Contacts.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := contacts[0].ID
	h.emu.ResetStats()
	const page = `{ contacts(first: 1000) { nodes { clevertimId title } } }`
	titleOf := func(r sharedResponse) string {
		for _, c := range list(r.Data, "contacts", "nodes") {
			if str(c, "clevertimId") == string(id) {
				return str(c, "title")
			}
		}
		return ""
	}

	before := h.async(context.Background(), ownerKey, page)
	eventually(t, "the first read is in flight", func() bool { return g.held.Load() == 1 })
	h.ok(ownerKey, `mutation($id: ID!) { updateContact(id: $id, input: {title: "Written"}) { id } }`, map[string]any{"id": id})

	after := h.async(context.Background(), ownerKey, page)
	var r sharedResponse
	select {
	case r = <-after:
	case <-time.After(10 * time.Second): // it joined the held read
		g.release()
		r = <-after
	}
	g.release()
	<-before
	if got := titleOf(r); got != "Written" {
		t.Errorf("a read after the write shows title %q, not the written one (shared %d)", got, r.Shared)
	}
	if got := h.emu.Stats().ByRoute["GET /contact"]; got != 2 {
		t.Errorf("GET /contact sent %d times, want 2 (one before, one after the write)", got)
	}
}

// A caller that goes away leaves a shared read without cancelling it for
// the others; when every caller has gone, the read is cancelled.
func TestSharing_CancelledCaller(t *testing.T) {
	t.Parallel()
	g := newAnswerGate(collectionGET("contact"))
	flights := upstream.NewFlights()
	h := newHarness(t, graph.HandlerConfig{Transport: g, Flights: flights})

	ctx, cancel := context.WithCancel(context.Background())
	leaderDone := h.async(ctx, ownerKey, firstPage) // cancelled: its answer does not matter
	eventually(t, "the first caller's read is in flight", func() bool { return g.held.Load() == 1 })
	other := h.async(context.Background(), ownerKey, firstPage)
	eventually(t, "the second caller shares the read", func() bool { return flights.Waiting() == 2 })
	cancel()
	<-leaderDone
	eventually(t, "the first caller has left", func() bool { return flights.Waiting() <= 1 })
	g.release()
	r := <-other
	if len(r.Errors) > 0 || len(list(r.Data, "contacts", "nodes")) != 20 || r.Shared != 1 {
		t.Fatalf("the caller that stayed got %+v (shared %d)", r.response, r.Shared)
	}
	if g.cancelled.Load() != 0 || h.emu.Stats().ByRoute["GET /contact"] != 1 {
		t.Errorf("the shared read was cancelled (%d) or sent again (%d times)", g.cancelled.Load(), h.emu.Stats().ByRoute["GET /contact"])
	}

	// Alone, a caller that goes away cancels the read.
	g2 := newAnswerGate(collectionGET("contact"))
	h2 := newHarness(t, graph.HandlerConfig{Transport: g2})
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := h2.async(ctx2, ownerKey, firstPage)
	eventually(t, "the lone read is in flight", func() bool { return g2.held.Load() == 1 })
	cancel2()
	<-done
	eventually(t, "the lone read is cancelled", func() bool { return g2.cancelled.Load() == 1 })
}

// In steady state a query opens no new upstream connection: the pool keeps
// enough idle ones, and every answer is read to its end.
func TestTransport_ReusesConnections(t *testing.T) {
	t.Parallel()
	tr := clevertim.NewTransport()
	var dials atomic.Int32
	dial := (&net.Dialer{}).DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	h := newHarness(t, graph.HandlerConfig{Transport: tr})
	contacts, err := h.client(ownerKey).Contacts.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	contactPage := `query($id: ID!) { contact(id: $id) { name notes { nodes { text } } tasks { nodes { name } } cases { nodes { name } } } }`
	board := readmeOperation(t, "PipelineBoard")
	run := func() int {
		r := h.ok(ownerKey, board, nil)
		n := r.Extensions.Upstream.Requests
		for _, c := range contacts[:5] {
			n += h.ok(ownerKey, contactPage, map[string]any{"id": c.ID}).Extensions.Upstream.Requests
		}
		return n
	}
	// One key never has more than DefaultUpstreamConcurrency requests in
	// flight, so with that many connections open the steady state needs no
	// other, however the requests of a run happen to overlap. They are opened
	// by as many requests held in flight together by the emulator's latency.
	warm := func() {
		h.emu.SetLatency(time.Second)
		defer h.emu.SetLatency(0)
		var wg sync.WaitGroup
		hc := &http.Client{Transport: tr}
		for range graph.DefaultUpstreamConcurrency {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, h.upstream+"/user", nil)
				req.SetBasicAuth(ownerKey, "X")
				if resp, err := hc.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
	}
	// A goroutine scheduled a second late reuses a connection instead of
	// opening one: warm again until all are open (the pool keeps them).
	for try := 0; try < 5 && dials.Load() < graph.DefaultUpstreamConcurrency; try++ {
		warm()
	}
	if got := dials.Load(); got != graph.DefaultUpstreamConcurrency {
		t.Fatalf("warm-up opened %d connections, want %d", got, graph.DefaultUpstreamConcurrency)
	}
	run()
	before := dials.Load()
	sent := run() + run()
	if got := dials.Load() - before; got != 0 || sent < 10 {
		t.Errorf("steady state: %d new connections for %d upstream requests, want 0", got, sent)
	}
}
