package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
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

// post sends a query and waits for its answer; the answer must be JSON.
func post(t *testing.T, url, auth, query string) (int, map[string]any) {
	t.Helper()
	r := <-postAsync(url, auth, query)
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.status, r.body
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

type result struct {
	status int
	body   map[string]any
	err    error
}

// postAsync sends a query from another goroutine; the test reads the result
// from the channel, so nothing calls t.Fatal off the test's goroutine.
func postAsync(url, auth, query string) <-chan result {
	out := make(chan result, 1)
	go func() {
		body, _ := json.Marshal(map[string]string{"query": query})
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var r result
		r.status, r.err = resp.StatusCode, json.NewDecoder(resp.Body).Decode(&r.body)
		out <- r
	}()
	return out
}

// waitFor polls a condition another goroutine will make true; it fails the
// test if that takes a minute and asserts nothing about the time it took.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// emulatorRequests is how many API requests the embedded emulator received.
func emulatorRequests(base string) int64 {
	resp, err := http.Get(base + "/_emulator/stats")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var s emulator.Stats
	_ = json.NewDecoder(resp.Body).Decode(&s)
	return s.Total
}

// 16 operations are in flight, each waiting on its first upstream request,
// when the server is told to stop; each needs a second round after that
// (the contact's company). All 16 complete: the embedded emulator keeps
// serving the facade until they are done. The operations read 16 different
// contacts: identical reads in flight would be sent once. They carry the
// owner's key: keyless, one client address would have 8 at once.
func TestRun_GracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	base, _, stop := start(t, nil, "-emulator-latency", "200ms")
	const n = 16
	owner, err := clevertim.NewClient(clevertim.WithBaseURL(base+"/api"), clevertim.WithAPIKey(emulator.OwnerKey))
	if err != nil {
		t.Fatal(err)
	}
	contacts, err := owner.Contacts.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var results []<-chan result
	before := emulatorRequests(base)
	for _, c := range contacts {
		if c.CompanyID != nil && len(results) < n {
			results = append(results, postAsync(base+"/query", "Bearer "+emulator.OwnerKey, `{ contact(id: "`+string(c.ID)+`") { name company { name } } }`))
		}
	}
	if len(results) < n {
		t.Fatalf("the demo account has %d contacts with a company, want %d", len(results), n)
	}
	waitFor(t, "16 operations in flight", func() bool { return emulatorRequests(base) >= before+n })
	stop()
	done := 0
	for _, ch := range results {
		r := <-ch
		if r.err != nil || r.status != 200 || r.body["errors"] != nil || jsonAt(r.body, "data", "contact", "company", "name") == nil {
			t.Errorf("in flight during shutdown: %d %v %v", r.status, r.err, r.body)
			continue
		}
		done++
	}
	t.Logf("%d of %d in-flight operations completed", done, n)
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still accepts after shutdown")
	}
}

// jsonAt walks a decoded JSON value by keys.
func jsonAt(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// A server with a real default key that listens beyond loopback refuses
// requests without a key, unless -allow-anonymous, which warns.
func TestRun_SecureDefaults(t *testing.T) {
	t.Parallel()
	emu, err := emulator.New()
	if err != nil {
		t.Fatal(err)
	}
	upstream := httptest.NewServer(emu)
	t.Cleanup(upstream.Close)
	env := map[string]string{"CLEVERTIM_URL": upstream.URL + "/api", "CLEVERTIM_API_KEY": emulator.OwnerKey}
	q := `{ users { totalCount } }`

	local, out, _ := start(t, env)
	if status, body := post(t, local+"/query", "", q); status != 200 || body["errors"] != nil {
		t.Errorf("on loopback, without a key: %d %v\n%s", status, body, out)
	}

	wide, out, _ := start(t, env, "-addr", ":0")
	if status, _ := post(t, wide+"/query", "", q); status != 401 {
		t.Errorf("beyond loopback, without a key: %d\n%s", status, out)
	}
	if status, _ := post(t, wide+"/query", "Bearer "+emulator.OwnerKey, q); status != 200 {
		t.Errorf("beyond loopback, with a key: %d", status)
	}

	open, out, _ := start(t, env, "-addr", ":0", "-allow-anonymous")
	if !strings.Contains(out.String(), `"level":"WARN","msg":"-allow-anonymous`) {
		t.Errorf("no warning:\n%s", out)
	}
	if status, _ := post(t, open+"/query", "", q); status != 200 {
		t.Errorf("-allow-anonymous, without a key: %d", status)
	}

	var buf bytes.Buffer
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-require-auth", "-allow-anonymous"},
		func(string) string { return "" }, &buf, nil); err == nil {
		t.Error("-require-auth with -allow-anonymous was accepted")
	}
}

// When requests without a key are served, a Host the server does not go by
// is refused: a web page cannot reach it through DNS rebinding.
func TestRun_HostChecked(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, nil, "-allowed-hosts", "crm.internal")
	port := base[strings.LastIndex(base, ":")+1:]
	for host, want := range map[string]int{
		"127.0.0.1:" + port: 200, "localhost:" + port: 200, "crm.internal:" + port: 200, "crm.internal": 200,
		"attacker.example:" + port: 421, "attacker.example": 421, "10.1.2.3:" + port: 421,
	} {
		for _, path := range []string{"/query", "/"} {
			req, _ := http.NewRequest("POST", base+path, strings.NewReader(`{"query":"{ users { totalCount } }"}`))
			if path == "/" {
				req.Method = "GET"
			}
			req.Host = host
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want || want == 421 && !strings.Contains(string(b), "HOST_NOT_ALLOWED") {
				t.Errorf("Host %s %s: %d %s", host, path, resp.StatusCode, b)
			}
		}
	}
	// With every caller sending a key, the Host does not matter.
	keyed, _, _ := start(t, nil, "-require-auth")
	req, _ := http.NewRequest("GET", keyed+"/healthz", nil)
	req.Host = "attacker.example"
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("-require-auth, any Host: %v %v", resp, err)
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

// -trusted-proxies takes addresses and prefixes; anything else is refused
// at startup, never read as "trust nobody" or "trust everybody".
func TestFlags_TrustedProxies(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-trusted-proxies", "10.1.2.3/8, 192.168.1.1,::1"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var cfg graph.HandlerConfig
	o.guard.apply(&cfg)
	if got := fmt.Sprint(cfg.TrustedProxies); got != "[10.0.0.0/8 192.168.1.1/32 ::1/128]" {
		t.Errorf("trusted proxies %s", got)
	}
	if _, err := parseFlags([]string{"-trusted-proxies", "10.0.0.0/8,proxy.local"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("a host name was accepted")
	}
}

// Every path the server serves answers errors in JSON with an
// extensions.code, those net/http's own handlers write included; the
// emulator's API answers as Clevertim does. What net/http answers before
// any handler runs (headers past the hard cap, a malformed request line)
// stays plain text, and is documented.
func TestRun_ErrorsOutsideQueryAreCoded(t *testing.T) {
	t.Parallel()
	base, out, _ := start(t, nil, "-max-header-bytes", "8192", "-metrics-addr", "127.0.0.1:0", "-log-format", "json")
	do := func(method, url string, header map[string]string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp, body
	}
	code := func(body map[string]any) any {
		errs, _ := body["errors"].([]any)
		if len(errs) != 1 {
			return nil
		}
		return jsonAt(errs[0], "extensions", "code")
	}
	for _, c := range []struct {
		method, path string
		header       map[string]string
		status       int
		code         string
	}{
		{"GET", "/nope", nil, 404, "NOT_FOUND"},
		{"GET", "/graphiql/nope.js", nil, 404, "NOT_FOUND"},
		{"POST", "/healthz", nil, 405, "METHOD_NOT_ALLOWED"},
		{"DELETE", "/schema.graphql", nil, 405, "METHOD_NOT_ALLOWED"},
		{"PUT", "/_emulator/stats", nil, 405, "METHOD_NOT_ALLOWED"},
		{"GET", "/healthz", map[string]string{"X-Big": strings.Repeat("a", 10_000)}, 431, "HEADERS_TOO_LARGE"},
		{"GET", "/query", map[string]string{"X-Big": strings.Repeat("a", 10_000)}, 431, "HEADERS_TOO_LARGE"},
	} {
		resp, body := do(c.method, base+c.path, c.header)
		if resp.StatusCode != c.status || code(body) != c.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s %s: %d %s %v, want %d %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, c.status, c.code)
		}
		if c.status == 405 && resp.Header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.path)
		}
	}
	// The emulator answers its unknown paths as Clevertim would.
	if resp, body := do("GET", base+"/api/nope", nil); resp.StatusCode != 404 || body["status"] != "ERROR" {
		t.Errorf("the emulator's answer was rewritten: %d %v", resp.StatusCode, body)
	}
	// Past twice -max-header-bytes net/http answers before any handler.
	if resp, _ := do("GET", base+"/healthz", map[string]string{"X-Big": strings.Repeat("a", 40_000)}); resp.StatusCode != 431 {
		t.Errorf("past the hard cap: %d", resp.StatusCode)
	}
	// The metrics listener too.
	var started struct{ Metrics string }
	for line := range strings.Lines(out.String()) {
		if strings.Contains(line, `"msg":"listening"`) {
			_ = json.Unmarshal([]byte(line), &started)
		}
	}
	metricsRoot, _ := strings.CutSuffix(started.Metrics, "/metrics")
	if resp, body := do("GET", metricsRoot+"/nope", nil); resp.StatusCode != 404 || code(body) != "NOT_FOUND" {
		t.Errorf("metrics listener, unknown path: %d %v", resp.StatusCode, body)
	}
}
