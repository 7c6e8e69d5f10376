package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
)

// syncBuffer collects the server's output while it runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the binary's run() on a free port and stops it at the end of
// the test, checking that it shut down cleanly.
func start(t *testing.T, env map[string]string, args ...string) (base string, out *syncBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, out,
			func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("server did not start: %v\n%s", err, out)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return base, out, stop
}

func post(t *testing.T, url, auth, query string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestRun_ZeroConfigurationDemo(t *testing.T) {
	t.Parallel()
	base, out, _ := start(t, nil, "-log-format", "text") // the banner is for people: text only
	for _, want := range []string{"GraphiQL:", base + "/query", emulator.OwnerKey, "demo-readonly-key"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "graphiql") || !strings.Contains(string(page), "/query") {
		t.Errorf("GraphiQL page: %d %.200s", resp.StatusCode, page)
	}
	resp, err = http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	// The default key is the owner's: a nested query over the demo account.
	status, body := post(t, base+"/query", "", `{ opportunities(first: 3) { nodes { name customer { __typename } leadUser { name } } } }`)
	nodes, _ := body["data"].(map[string]any)["opportunities"].(map[string]any)["nodes"].([]any)
	if status != 200 || len(nodes) != 3 {
		t.Fatalf("query: %d %v", status, body)
	}
	if ext, _ := body["extensions"].(map[string]any)["upstream"].(map[string]any); ext["requests"] == nil {
		t.Errorf("no extensions.upstream: %v", body)
	}
	// The emulator's REST API answers on the same port, as Clevertim would.
	req, _ := http.NewRequest("GET", base+"/api/contact", nil)
	req.SetBasicAuth(emulator.OwnerKey, "X")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("REST: %v %v", resp, err)
	}
	resp.Body.Close()
	// Another demo user's key applies when sent.
	_, body = post(t, base+"/query", "Bearer demo-readonly-key", `mutation { createContact(input: {firstName: "x"}) { id } }`)
	if code := body["errors"].([]any)[0].(map[string]any)["extensions"].(map[string]any)["code"]; code != "FORBIDDEN" {
		t.Errorf("read-only mutation: %v", body)
	}
}

func TestRun_RequireAuthAndCORS(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, map[string]string{"CORS_ORIGINS": "https://app.example"}, "-require-auth")
	status, body := post(t, base+"/query", "", `{ users { totalCount } }`)
	if status != 401 {
		t.Errorf("without a key: %d %v", status, body)
	}
	if status, _ := post(t, base+"/query", "Bearer "+emulator.OwnerKey, `{ users { totalCount } }`); status != 200 {
		t.Errorf("with a key: %d", status)
	}
	pre := func(origin string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+"/query", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := pre("https://app.example"); resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := pre("https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("other origin allowed: %v", resp.Header)
	}
}

func TestRun_GracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	base, _, stop := start(t, nil, "-emulator-latency", "300ms")
	type result struct {
		status int
		body   map[string]any
	}
	res := make(chan result, 1)
	go func() {
		status, body := post(t, base+"/query", "", `{ users { totalCount } }`)
		res <- result{status, body}
	}()
	time.Sleep(100 * time.Millisecond) // the request is in flight, waiting on the upstream
	stop()
	r := <-res
	if r.status != 200 || r.body["errors"] != nil {
		t.Errorf("in-flight request during shutdown: %d %v", r.status, r.body)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still accepts after shutdown")
	}
}

func TestRun_BadFlags(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-no-such-flag"}, func(string) string { return "" }, &out, nil); err == nil {
		t.Error("an unknown flag was accepted")
	}
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-emulator-fault-rate", "3"}, func(string) string { return "" }, &out, nil); err == nil {
		t.Error("a fault rate of 3 was accepted")
	}
}
