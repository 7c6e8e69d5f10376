package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// BenchmarkFrontendWarm measures the facade's own cost: the cross-request
// cache is on and warm, so no operation reaches the upstream, and the
// handler is called in-process, so the figures are the facade's alone:
// parsing, validation, planning, resolvers, paging, JSON encoding.
//
//	go test ./graph -run '^$' -bench FrontendWarm -benchmem
func BenchmarkFrontendWarm(b *testing.B) {
	emu, err := emulator.New(emulator.WithSizes(emulator.BenchmarkSizes()))
	if err != nil {
		b.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)
	b.Cleanup(func() { emuSrv.Close(); emu.Close() })
	h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: emuSrv.URL + "/api", DefaultAPIKey: ownerKey, CacheTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{emu: emu}
	env.client = newHarnessClient(b, emuSrv.URL+"/api")
	env.pickRecords(b)

	queries := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"1-pipeline-board", pipelineBoardQuery, nil},
		{"2-contact-page", contactPageQuery, map[string]any{"id": env.contact}},
		{"3-contact-list", contactListQuery, nil},
		{"4-company-page", companyPageQuery, map[string]any{"id": env.company}},
	}
	for _, q := range queries {
		body, _ := json.Marshal(map[string]any{"query": q.query, "variables": q.vars})
		serve := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", "/query", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		if rec := serve(); rec.Code != http.StatusOK { // warms the cache
			b.Fatalf("%s: %d %s", q.name, rec.Code, rec.Body)
		}
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				rec := serve()
				if !bytes.Contains(rec.Body.Bytes(), []byte(`"upstream":{"requests":0,`)) {
					b.Fatalf("a warm operation reached the upstream: %.300s", rec.Body)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
