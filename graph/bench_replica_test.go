package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
)

// BenchmarkReplica measures the warm replica (-cache-ttl) at 1k, 10k and
// 50k contacts (-short: 1k and 10k), in-process: a first page and the
// pipeline board with no upstream request, and the replica's memory against
// the JSON bytes of the collections it holds, for one key and a second key
// over the same account.
//
//	go test ./graph -run '^$' -bench Replica -benchtime 200x -benchmem
func BenchmarkReplica(b *testing.B) {
	for _, n := range []int{1000, 10_000, 50_000} {
		if n > 10_000 && testing.Short() {
			continue
		}
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { benchReplica(b, n) })
	}
}

func benchReplica(b *testing.B, contacts int) {
	emu, err := emulator.New(emulator.WithSizes(scaledSizes(contacts)))
	if err != nil {
		b.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)
	b.Cleanup(func() { emuSrv.Close(); emu.Close() })
	counter := &countingTransport{base: sizeBenchTransport()}
	// Warm is within the TTL; filling a 50k account on a loaded machine
	// can take longer than 30 s, so the copies are kept fresh for an hour:
	// a warm read does the same work whatever the TTL.
	replica := loaders.NewReplica(time.Hour, 0, nil)
	h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: emuSrv.URL + "/api", DefaultAPIKey: ownerKey,
		CacheTTL: time.Hour, Replica: replica, Transport: counter})
	if err != nil {
		b.Fatal(err)
	}
	const firstPage = `{ contacts(first: 20) { nodes { id name } } }`
	serve := func(key, query string) []byte {
		body, _ := json.Marshal(map[string]any{"query": query})
		req := httptest.NewRequest("POST", "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %.300s", rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	heap := func() int64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	heap0 := heap()
	for _, q := range []string{firstPage, pipelineBoardQuery} {
		serve(ownerKey, q)
	}
	jsonBytes, oneKey := counter.bytes.Load(), replica.Bytes()
	heap1 := heap()
	for _, q := range []string{firstPage, pipelineBoardQuery} {
		serve(adminKey, q)
	}
	secondKey := replica.Bytes() - oneKey
	heap2 := heap()
	b.Logf("%dk contacts: upstream JSON %.1f MB; replica, one key: %.1f MB counted (%.2f× JSON), heap +%.1f MB (%.2f× JSON); a second key: +%.1f MB counted (+%.0f %%), heap +%.1f MB (+%.0f %%)",
		contacts/1000, mb(jsonBytes), mb(oneKey), float64(oneKey)/float64(jsonBytes), mb(heap1-heap0), float64(heap1-heap0)/float64(jsonBytes),
		mb(secondKey), 100*float64(secondKey)/float64(oneKey), mb(heap2-heap1), 100*float64(heap2-heap1)/float64(heap1-heap0))
	for _, q := range []struct{ name, query string }{{"first-page", firstPage}, {"pipeline-board", pipelineBoardQuery}} {
		serve(ownerKey, q.query) // indexes built
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			// CPU as well as wall: on a shared machine wall time includes
			// waiting for a core.
			cpu0 := cpuTime()
			for b.Loop() {
				if out := serve(ownerKey, q.query); !bytes.Contains(out, []byte(`"upstream":{"requests":0,`)) {
					b.Fatalf("a warm operation reached the upstream: %.300s", out)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(oneKey)/float64(jsonBytes), "replica/json")
			b.ReportMetric(float64(secondKey)/float64(oneKey), "second-key/first")
		})
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
