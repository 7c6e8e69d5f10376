package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// Demo keys.
const (
	ownerKey    = emulator.OwnerKey
	adminKey    = "demo-admin-key"
	editorKey   = "demo-editor-key"
	readonlyKey = "demo-readonly-key"
	salesKey    = "demo-sales-key"
)

// harness is the facade served over HTTP in front of the emulator, as in
// production: GraphQL request -> handler -> HTTP -> emulator.
type harness struct {
	t        *testing.T
	emu      *emulator.Emulator
	upstream string // the emulator's API root
	endpoint string // the GraphQL endpoint
}

// testLoaderOptions use a batch wait long enough that a level's resolvers
// always land in one batch, even under -race on a loaded machine, so that
// request counts are exact, and a fixed link model, so that the choice
// between ids and collections does not follow the machine's load.
func testLoaderOptions() loaders.Options {
	o := loaders.DefaultOptions()
	o.Wait = 15 * time.Millisecond
	o.Link = upstream.FixedLink(upstream.DefaultLinkModel())
	return o
}

func newHarness(t *testing.T, cfg graph.HandlerConfig, opts ...emulator.Option) *harness {
	t.Helper()
	emu, err := emulator.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	return serveHarness(t, cfg, emu, emuSrv.URL+"/api")
}

// serveHarness serves a facade over the emulator emu at upstream (another
// harness's, for replicas of one facade).
func serveHarness(t *testing.T, cfg graph.HandlerConfig, emu *emulator.Emulator, upstream string) *harness {
	t.Helper()
	if cfg.UpstreamURL == "" {
		cfg.UpstreamURL = upstream
	}
	if cfg.DefaultAPIKey == "" && !cfg.RequireAuth {
		cfg.DefaultAPIKey = ownerKey
	}
	// Tests fire many operations at once to look for races; load shedding
	// is tested on its own (hostile_test.go).
	if cfg.MaxOperations == 0 && cfg.MaxOperationsPerKey == 0 {
		cfg.MaxOperations, cfg.MaxOperationsPerKey = -1, -1
	}
	if cfg.Loaders == (loaders.Options{}) {
		cfg.Loaders = testLoaderOptions()
	}
	h, err := graph.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{t: t, emu: emu, upstream: upstream, endpoint: srv.URL}
}

func setup(t *testing.T, opts ...emulator.Option) *harness {
	t.Helper()
	return newHarness(t, graph.HandlerConfig{}, opts...)
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

type response struct {
	Status     int
	Data       map[string]any `json:"data"`
	Errors     []gqlError     `json:"errors"`
	Extensions struct {
		Upstream struct {
			Requests int `json:"requests"`
			Rounds   int `json:"rounds"`
		} `json:"upstream"`
	} `json:"extensions"`
}

// do sends a GraphQL request over HTTP as the given key ("" for none).
func (h *harness) do(key, query string, vars map[string]any) response {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", h.endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		h.t.Fatalf("answer is not JSON (%d): %s", resp.StatusCode, raw)
	}
	r.Status = resp.StatusCode
	return r
}

// ok runs a query that must succeed without errors.
func (h *harness) ok(key, query string, vars map[string]any) response {
	h.t.Helper()
	r := h.do(key, query, vars)
	if len(r.Errors) > 0 {
		h.t.Fatalf("query failed: %+v\n%s", r.Errors, query)
	}
	return r
}

// fails runs a query that must fail, and returns its first error with the
// code.
func (h *harness) fails(key, query string, vars map[string]any, code string) gqlError {
	h.t.Helper()
	r := h.do(key, query, vars)
	for _, e := range r.Errors {
		if e.code() == code {
			return e
		}
	}
	h.t.Fatalf("want a %s error, got %+v (data %v)", code, r.Errors, r.Data)
	return gqlError{}
}

// client is the REST client for checking what the upstream holds.
func (h *harness) client(key string) *clevertim.Client {
	h.t.Helper()
	c, err := clevertim.NewClient(clevertim.WithBaseURL(h.upstream), clevertim.WithAPIKey(key))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// get walks a decoded JSON value: get(data, "contact", "notes", "nodes", 0, "text").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func describe(m map[string]int64) string {
	var b strings.Builder
	for k, v := range m {
		fmt.Fprintf(&b, "%s=%d ", k, v)
	}
	return b.String()
}

// raw sends a request straight to the emulator as the owner, and returns the
// records of its answer as raw JSON, field by field.
func (h *harness) raw(method, path, body string) []map[string]json.RawMessage {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.upstream+path, strings.NewReader(body))
	req.SetBasicAuth(ownerKey, "X")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Content []map[string]json.RawMessage `json:"content"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, err)
	}
	return env.Content
}
