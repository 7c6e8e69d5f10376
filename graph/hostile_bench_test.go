package graph_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// BenchmarkHostile reports, per hostile document of issue 12, the time and
// memory the server spends on it over HTTP and the size of its answer:
//
//	go test ./graph -run '^$' -bench Hostile -benchmem
func BenchmarkHostile(b *testing.B) {
	emu, err := emulator.New()
	if err != nil {
		b.Fatal(err)
	}
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: upstream.URL + "/api", DefaultAPIKey: ownerKey,
		MaxBodyBytes: 2 << 20, MaxOperations: -1, MaxOperationsPerKey: -1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, d := range hostileDocs() {
		body, _ := json.Marshal(map[string]any{"query": d.query})
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			var answer []byte
			for b.Loop() {
				resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				answer, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			b.ReportMetric(float64(len(body)), "doc-bytes")
			b.ReportMetric(float64(len(answer)), "answer-bytes")
		})
	}
}

// BenchmarkHostileSlowReaders is the last row of issue 12's table: 40
// clients ask for a large answer (≈ 2.9 MB) and read it at 512 B/s, while
// another client, from another address, sends small queries; none sends a
// key. It reports the small queries' p99, the peak heap in use, how many
// slow clients were cut off and how many operations were shed:
//
//	go test ./graph -run '^$' -bench HostileSlowReaders -benchtime 1x
func BenchmarkHostileSlowReaders(b *testing.B) {
	emu, err := emulator.New(emulator.WithSizes(emulator.BenchmarkSizes()))
	if err != nil {
		b.Fatal(err)
	}
	upstream := httptest.NewServer(emu)
	defer upstream.Close()
	m := &graph.Metrics{}
	h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: upstream.URL + "/api", DefaultAPIKey: ownerKey, Metrics: m})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	big := largeAnswerQuery(18)
	small, _ := json.Marshal(map[string]any{"query": `{ users { totalCount } }`})

	for b.Loop() {
		const window = 15 * time.Second
		stop := time.Now().Add(window)
		var wg sync.WaitGroup
		var peak atomic.Uint64
		for range 40 {
			wg.Go(func() {
				conn, err := net.Dial("tcp", srv.Listener.Addr().String())
				if err != nil {
					return
				}
				defer conn.Close()
				fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(big), big)
				buf := make([]byte, 512)
				for time.Now().Before(stop) {
					_ = conn.SetReadDeadline(time.Now().Add(time.Second))
					if _, err := conn.Read(buf); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
						return
					}
					time.Sleep(time.Second)
				}
			})
		}
		wg.Go(func() {
			var ms runtime.MemStats
			for time.Now().Before(stop) {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
		var lat []time.Duration
		other := clientAt("127.0.0.2")
		for time.Now().Before(stop) {
			t0 := time.Now()
			resp, err := other.Post(srv.URL, "application/json", bytes.NewReader(small))
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			lat = append(lat, time.Since(t0))
			time.Sleep(20 * time.Millisecond)
		}
		wg.Wait()
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(m.CutOff.Load()), "cut-off")
		b.ReportMetric(float64(m.Shed.Load()), "shed")
		b.ReportMetric(float64(m.ShedBy(graph.LimitClient)), "shed-client")
	}
}
