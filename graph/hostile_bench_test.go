package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

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
