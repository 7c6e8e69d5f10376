package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// fromOrigin sends what a browser on origin sends: a preflight (OPTIONS,
// asking for POST with the headers) or the POST itself.
func fromOrigin(t *testing.T, method, endpoint, origin, headers string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
	req.Header.Set("Origin", origin)
	if method == "OPTIONS" {
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", headers)
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func preflight(t *testing.T, endpoint, origin, headers string) *http.Response {
	t.Helper()
	return fromOrigin(t, "OPTIONS", endpoint, origin, headers)
}

func postFrom(t *testing.T, endpoint, origin string) *http.Response {
	t.Helper()
	return fromOrigin(t, "POST", endpoint, origin, "")
}

func varyOrigin(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, item := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(item), "Origin") {
				return true
			}
		}
	}
	return false
}

// What Apollo Client, OpenTelemetry and Sentry add to a request.
const clientHeaders = "apollographql-client-name,apollographql-client-version,authorization,baggage,content-type,sentry-trace,traceparent,tracestate,x-request-id"

func TestCORS_ListedOrigins(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, map[string]string{"CORS_ORIGINS": "https://app.example, https://admin.example/"})
	endpoint := base + "/query"

	resp := preflight(t, endpoint, "https://admin.example", clientHeaders)
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "https://admin.example" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Max-Age") != "600" || !varyOrigin(h) {
		t.Errorf("preflight from a listed origin: %d %v", resp.StatusCode, h)
	}
	for _, header := range strings.Split(clientHeaders, ",") {
		if !strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), header) {
			t.Errorf("%s is not allowed: %v", header, h)
		}
	}
	for name, resp := range map[string]*http.Response{
		"an unlisted header":  preflight(t, endpoint, "https://app.example", "authorization,x-not-allowed"),
		"an unlisted origin":  preflight(t, endpoint, "https://evil.example", "content-type"),
		"the null origin":     preflight(t, endpoint, "null", "content-type"),
		"a look-alike origin": preflight(t, endpoint, "https://app.example.evil.example", "content-type"),
	} {
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || !varyOrigin(resp.Header) {
			t.Errorf("preflight with %s: %v", name, resp.Header)
		}
	}

	if resp := postFrom(t, endpoint, "https://app.example"); resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || !varyOrigin(resp.Header) {
		t.Errorf("request from a listed origin: %v", resp.Header)
	}
	for _, origin := range []string{"https://evil.example", "null"} {
		if resp := postFrom(t, endpoint, origin); resp.Header.Get("Access-Control-Allow-Origin") != "" || !varyOrigin(resp.Header) {
			t.Errorf("request from %s: %v", origin, resp.Header)
		}
	}
}

func TestCORS_AnyOriginHasNoCredentials(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, nil, "-cors-origins", "*", "-cors-headers", "Content-Type, X-Custom", "-cors-max-age", "1h")
	endpoint := base + "/query"
	resp := preflight(t, endpoint, "https://anyone.example", "content-type,x-custom")
	if h := resp.Header; h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" ||
		h.Get("Access-Control-Max-Age") != "3600" {
		t.Errorf("preflight with *: %v", h)
	}
	if resp := preflight(t, endpoint, "https://anyone.example", "traceparent"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a header left out of -cors-headers is allowed: %v", resp.Header)
	}
	for _, origin := range []string{"https://anyone.example", "null"} {
		if resp := postFrom(t, endpoint, origin); resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
			resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("request from %s with *: %v", origin, resp.Header)
		}
	}
}

func TestCORS_NoOriginsAndBadConfiguration(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, nil)
	resp := postFrom(t, base+"/query", "https://app.example")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || !varyOrigin(resp.Header) {
		t.Errorf("same-origin only: %v", resp.Header)
	}
	for _, origins := range []string{"null", "https://app.example/path", "app.example", "ftp://app.example", "https://user@app.example"} {
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-cors-origins", origins}, func(string) string { return "" }, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "CORS origin") {
			t.Errorf("-cors-origins %q: %v", origins, err)
		}
	}
}

// browserPage serves a page that runs script (with API set to the GraphQL
// endpoint under apiBase) in a real browser and reports what it found. The
// page's HTML is held open until the report arrives, so that the browser's
// --dump-dom, which waits for the load event, returns once the page is done.
type browserPage struct {
	srv     *httptest.Server
	origin  string
	apiBase string
	report  chan string
}

// newBrowserPage listens without serving yet, so that the API can be
// started with the page's origin before start gives the page the API's.
func newBrowserPage(t *testing.T, script string) *browserPage {
	t.Helper()
	p := &browserPage{report: make(chan string, 1)}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiBase := p.apiBase
		switch r.URL.Path {
		case "/report":
			body, _ := io.ReadAll(r.Body)
			select {
			case p.report <- string(body):
			default:
			}
			w.WriteHeader(http.StatusNoContent)
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8">
<script src="%[1]s/graphiql/react.production.min.js"></script>
<script src="%[1]s/graphiql/react-dom.production.min.js"></script>
<script src="%[1]s/graphiql/graphiql.min.js"></script>
</head><body><script>
// A classic script, not a module: a module waits for the document, which
// waits for this script's report.
(async () => {
const API = %[2]q;
const results = {};
async function check(name, f) {
  try { results[name] = await f(); } catch (e) { results[name] = "failed: " + e.name; }
}
%[3]s
await fetch("/report", {method: "POST", body: JSON.stringify(results)});
})();
</script>
`, apiBase, apiBase+"/query", script)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Minute): // a bound for a broken page, not a measure
			case report := <-p.report:
				p.report <- report
			}
			fmt.Fprint(w, `<p id="done">done</p></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	p.origin = "http://" + p.srv.Listener.Addr().String()
	t.Cleanup(p.srv.Close)
	return p
}

func (p *browserPage) start(apiBase string) {
	p.apiBase = apiBase
	p.srv.Start()
}

// visit opens the page in headless Chromium and returns the page's report.
func (p *browserPage) visit(t *testing.T) map[string]any {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	needTool(t, err != nil, "Chromium", "apt-get install chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--dump-dom", p.srv.URL+"/")
	dom, err := cmd.Output()
	if err != nil || !strings.Contains(string(dom), `id="done"`) {
		t.Fatalf("chromium: %v\n%s", err, dom)
	}
	var report map[string]any
	select {
	case raw := <-p.report:
		if err := json.Unmarshal([]byte(raw), &report); err != nil {
			t.Fatalf("report: %v: %s", err, raw)
		}
	default:
		t.Fatalf("the page did not report:\n%s", dom)
	}
	return report
}

// A page on another origin calls the API from a real browser: with the
// headers frontend clients and tracing add, with credentials, and through
// GraphiQL's own fetcher with @defer (multipart/mixed, read incrementally).
// A page on an origin not listed is blocked by the browser.
func TestCORS_FromABrowserOnAnotherOrigin(t *testing.T) {
	t.Parallel()
	const script = `
const users = '{"query":"{ users { totalCount } }"}';
await check("clientHeaders", async () => {
  const r = await fetch(API, {method: "POST", body: users, headers: {
    "Content-Type": "application/json", "Authorization": "Bearer demo-readonly-key",
    "apollographql-client-name": "web", "apollographql-client-version": "1.2.3",
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "tracestate": "vendor=1",
    "baggage": "user=42", "sentry-trace": "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1", "X-Request-ID": "r-1"}});
  return (await r.json()).data.users.totalCount;
});
await check("credentials", async () => {
  const r = await fetch(API, {method: "POST", body: users, credentials: "include", headers: {"Content-Type": "application/json"}});
  return (await r.json()).data.users.totalCount;
});
await check("unlistedHeader", async () => {
  const r = await fetch(API, {method: "POST", body: users, headers: {"Content-Type": "application/json", "X-Not-Allowed": "1"}});
  return r.status;
});
await check("graphiqlDefer", async () => {
  const fetcher = GraphiQL.createFetcher({url: API});
  const result = await fetcher({query: '{ contact(id: "1031") { clevertimId ... @defer(label: "notes") { notes(first: 2) { totalCount } } } }'});
  const parts = [];
  if (result && typeof result[Symbol.asyncIterator] === "function") {
    // Parts come in batches, as many as arrived in one chunk.
    for await (const batch of result) parts.push(...(Array.isArray(batch) ? batch : [batch]));
  } else {
    parts.push(result);
  }
  return parts;
});
`
	listed, unlisted := newBrowserPage(t, script), newBrowserPage(t, script)
	api, _, _ := start(t, map[string]string{"CORS_ORIGINS": listed.origin})
	listed.start(api)
	unlisted.start(api)

	report := listed.visit(t)
	if report["clientHeaders"] != 6.0 || report["credentials"] != 6.0 {
		t.Errorf("from a listed origin: %v", report)
	}
	if report["unlistedHeader"] != "failed: TypeError" {
		t.Errorf("a header not allowed got through: %v", report["unlistedHeader"])
	}
	parts, _ := report["graphiqlDefer"].([]any)
	if len(parts) < 2 {
		t.Fatalf("GraphiQL's fetcher did not read the answer incrementally: %v", report["graphiqlDefer"])
	}
	first, _ := json.Marshal(parts[0])
	last, _ := json.Marshal(parts[len(parts)-1])
	if !strings.Contains(string(first), `"clevertimId":"1031"`) || strings.Contains(string(first), "notes") ||
		!strings.Contains(string(last), `"notes":{"totalCount"`) || !strings.Contains(string(last), `"hasNext":false`) {
		t.Errorf("GraphiQL's parts: first %s, last %s", first, last)
	}

	report = unlisted.visit(t)
	for _, name := range []string{"clientHeaders", "credentials", "unlistedHeader", "graphiqlDefer"} {
		if report[name] != "failed: TypeError" {
			t.Errorf("from an unlisted origin, %s: %v", name, report[name])
		}
	}
}
