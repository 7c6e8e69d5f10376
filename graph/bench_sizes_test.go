package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// BenchmarkSizes measures what a page costs as the account grows: the
// queries of issue 8 at 1k, 10k and 50k contacts (the BenchmarkFrontend
// account scaled: 50k contacts come with 10k companies, 25k opportunities,
// 100k tasks, 150k notes and 150k comments), default flags, 20 ms added to
// every upstream request, over real HTTP. -short skips 50k.
//
//	go test ./graph -run '^$' -bench Sizes -benchtime 3x -short
//
// Per operation (for the concurrent cases, per batch of operations):
// upstream requests (the emulator's count), rounds (the slowest
// operation's), upstream bytes (response bodies), new upstream connections,
// the process's CPU time (on a shared machine a steadier figure than wall
// time), the peak of the Go heap while it ran, sampled, and the operations that
// failed (an upstream timeout, say: counted, not fatal, so that a size the
// facade cannot serve still shows its figures). Allocations include the
// emulator's, which runs in the same process; so does the heap, whose
// base (the account, after a GC) is reported as heap-base-MB.
func BenchmarkSizes(b *testing.B) {
	sizes := []int{1_000, 10_000, 50_000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			env := newSizeEnv(b, n)
			first := `{ contacts(first: 20) { nodes { id name } } }`
			b.Run("first-page", func(b *testing.B) { env.run(b, 1, first, nil) })
			board := readmeOperation(b, "PipelineBoard")
			b.Run("pipeline-board", func(b *testing.B) {
				// The target: the opportunities collection (the page is
				// chosen among all of them) + 2 MB.
				perOp := env.run(b, 1, board, nil)
				b.ReportMetric((perOp-float64(env.opportunities))/(1<<20), "MB-beyond-opportunities/op")
			})
			b.Run(fmt.Sprintf("contact-with-%d-notes", env.notes), func(b *testing.B) {
				env.run(b, 1, `query($id: ID!) { contact(id: $id) { name notes { nodes { headline addedOn } } } }`,
					map[string]any{"id": env.contact})
			})
			b.Run("8-concurrent-first-pages", func(b *testing.B) { env.run(b, 8, first, nil) })
			b.Run("16-concurrent-first-pages", func(b *testing.B) { env.run(b, 16, first, nil) })
		})
	}
}

// readmeOperation is the README's example operation of that name, as a
// frontend sends it.
func readmeOperation(tb testing.TB, name string) string {
	tb.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		tb.Fatal(err)
	}
	for _, block := range graphqlBlock.FindAllStringSubmatch(string(readme), -1) {
		if strings.HasPrefix(strings.TrimSpace(block[1]), "query "+name+" ") {
			return block[1]
		}
	}
	tb.Fatalf("README.md has no operation %s", name)
	return ""
}

type sizeEnv struct {
	emu      *emulator.Emulator
	endpoint string
	wire     *countingTransport
	link     *upstream.Link
	contact  clevertim.ID // the contact with the most notes
	notes    int          // how many
	// opportunities is the bytes of the owner's opportunities collection.
	opportunities int64
	heapBase      float64 // MB in use after setup and a GC
}

func scaledSizes(contacts int) emulator.Sizes {
	s := emulator.BenchmarkSizes()
	f := contacts / s.Contacts
	return emulator.Sizes{Contacts: contacts, Companies: s.Companies * f, Opportunities: s.Opportunities * f,
		Cases: s.Cases * f, Tasks: s.Tasks * f, Notes: s.Notes * f, Comments: s.Comments * f, ExtraUsers: s.ExtraUsers}
}

func newSizeEnv(b *testing.B, contacts int) *sizeEnv {
	b.Helper()
	emu, err := emulator.New(emulator.WithSizes(scaledSizes(contacts)))
	if err != nil {
		b.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)
	b.Cleanup(func() { emuSrv.Close(); emu.Close() })
	wire := &countingTransport{base: sizeBenchTransport()}
	wire.countDials()
	// The handler's own learning link, made here so that its estimate can be
	// reported.
	link := upstream.NewLink(upstream.DefaultLinkModel())
	h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: emuSrv.URL + "/api", DefaultAPIKey: ownerKey, Transport: wire,
		Loaders: loaders.Options{Link: link}})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	env := &sizeEnv{emu: emu, endpoint: srv.URL, wire: wire, link: link}

	c, err := clevertim.NewClient(clevertim.WithBaseURL(emuSrv.URL+"/api"), clevertim.WithAPIKey(ownerKey))
	if err != nil {
		b.Fatal(err)
	}
	all, err := c.Contacts.List(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, ct := range all {
		if n := len(ct.NoteIDs); n > env.notes || (n == env.notes && ct.ID < env.contact) {
			env.notes, env.contact = n, ct.ID
		}
	}
	all = nil
	env.opportunities = collectionBytes(b, emuSrv.URL+"/api/opportunity")
	emu.SetLatency(benchLatency)
	runtime.GC()
	env.heapBase = heapInUse() / (1 << 20)
	return env
}

// run sends the operation `parallel` times at once per benchmark iteration,
// and returns the upstream bytes per iteration.
func (e *sizeEnv) run(b *testing.B, parallel int, query string, vars map[string]any) float64 {
	// Warm the connections and the query cache, as a server in steady state has them.
	e.batch(b, parallel, query, vars)
	runtime.GC() // the peak is this case's, not the garbage of the one before
	b.ReportAllocs()
	e.emu.ResetStats()
	bytes0, dials0 := e.wire.bytes.Load(), e.wire.dials.Load()
	rounds, failed := 0, 0
	peak := &heapPeak{}
	stop := peak.watch()
	cpu0 := cpuTime()
	for b.Loop() {
		r, f := e.batch(b, parallel, query, vars)
		rounds, failed = rounds+r, failed+f
	}
	cpu := cpuTime() - cpu0
	stop()
	n := float64(b.N)
	b.ReportMetric(float64(cpu.Milliseconds())/n, "cpu-ms/op")
	b.ReportMetric(float64(e.emu.Stats().Total)/n, "upstream-req/op")
	b.ReportMetric(float64(rounds)/n, "rounds/op")
	perOp := float64(e.wire.bytes.Load()-bytes0) / n
	b.ReportMetric(perOp/(1<<20), "upstream-MB/op")
	b.ReportMetric(float64(e.wire.dials.Load()-dials0)/n, "new-conns/op")
	b.ReportMetric(peak.max.Load()/(1<<20), "heap-peak-MB")
	b.ReportMetric(e.heapBase, "heap-base-MB")
	b.ReportMetric(float64(failed)/n, "failed-ops/op")
	m := e.link.Model()
	b.ReportMetric(float64(m.RTT.Microseconds())/1000, "link-rtt-ms")
	b.ReportMetric(m.BytesPerSecond/(1<<20), "link-MB/s")
	return perOp
}

// batch sends parallel copies of an operation at once and returns the most
// rounds one of them took and how many failed.
func (e *sizeEnv) batch(b *testing.B, parallel int, query string, vars map[string]any) (rounds, failed int) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range parallel {
		wg.Go(func() {
			r, err := http.Post(e.endpoint, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			defer r.Body.Close()
			var out struct {
				Errors     []gqlError `json:"errors"`
				Extensions struct {
					Upstream struct {
						Rounds int `json:"rounds"`
					} `json:"upstream"`
				} `json:"extensions"`
			}
			if err := json.NewDecoder(r.Body).Decode(&out); err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			rounds = max(rounds, out.Extensions.Upstream.Rounds)
			for _, er := range out.Errors {
				if er.code() != "NOT_FOUND" { // links to records the owner may not see
					if failed == 0 {
						b.Logf("failed: %s (%s)", er.Message, er.code())
					}
					failed++
					break
				}
			}
		})
	}
	wg.Wait()
	return rounds, failed
}

// countingTransport counts the bytes of upstream answers and the
// connections its base transport opens.
type countingTransport struct {
	base  *http.Transport
	bytes atomic.Int64
	dials atomic.Int64
}

func (t *countingTransport) countDials() {
	dial := t.base.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	t.base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		t.dials.Add(1)
		return dial(ctx, network, addr)
	}
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &t.bytes}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// heapPeak samples the heap in use until stopped.
type heapPeak struct{ max atomicFloat }

func (h *heapPeak) watch() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			h.max.raise(heapInUse())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func heapInUse() float64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return float64(s[0].Value.Uint64())
}

type atomicFloat struct {
	mu sync.Mutex
	v  float64
}

func (a *atomicFloat) raise(v float64) {
	a.mu.Lock()
	a.v = max(a.v, v)
	a.mu.Unlock()
}

func (a *atomicFloat) Load() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.v
}

// sizeBenchTransport is the transport the handler uses by default. (To
// measure a version before NewTransport: http.DefaultTransport's clone.)
func sizeBenchTransport() *http.Transport { return clevertim.NewTransport() }

// collectionBytes is what GET url answers the owner.
func collectionBytes(tb testing.TB, url string) int64 {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth(ownerKey, "X")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
