package graph_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

func TestErrors_RequestLevel(t *testing.T) {
	t.Parallel()
	h := setup(t)
	cases := []struct {
		name, body, code string
	}{
		{"malformed GraphQL", `{"query":"{ contacts(first: 2 { totalCount } }"}`, "GRAPHQL_PARSE_FAILED"},
		{"unknown field", `{"query":"{ contacts { shoeSize } }"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"wrong enum literal", `{"query":"{ contacts(filter: {customerType: [NOPE]}) { totalCount } }"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"wrong enum variable", `{"query":"query($t: [CustomerType!]) { contacts(filter: {customerType: $t}) { totalCount } }","variables":{"t":["NOPE"]}}`, "GRAPHQL_VALIDATION_FAILED"},
		{"body not JSON", `not json`, "BAD_REQUEST"},
		{"no query", `{}`, "BAD_REQUEST"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("POST", h.endpoint, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		r := h.send(req)
		if len(r.Errors) == 0 || r.Errors[0].code() != tc.code || r.Errors[0].Message == "" {
			t.Errorf("%s: %d %+v, want %s", tc.name, r.Status, r.Errors, tc.code)
		}
		if r.Status >= 500 {
			t.Errorf("%s: HTTP %d", tc.name, r.Status)
		}
	}
	// GET works too, for cacheable queries.
	resp, err := http.Get(h.endpoint + "?query=" + "%7B%20users%20%7B%20totalCount%20%7D%20%7D")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"totalCount":6`) {
		t.Errorf("GET: %d %s", resp.StatusCode, body)
	}
	// A body over the limit is refused, not read whole.
	big := bytes.Repeat([]byte(" "), graph.DefaultMaxBodyBytes+10)
	req, _ := http.NewRequest("POST", h.endpoint, io.MultiReader(strings.NewReader(`{"query":"{ users { totalCount } }"`), bytes.NewReader(big), strings.NewReader("}")))
	req.Header.Set("Content-Type", "application/json")
	if r := h.send(req); len(r.Errors) == 0 || r.Data != nil {
		t.Errorf("oversized body: %d %+v", r.Status, r.Errors)
	}
}

func TestErrors_Auth(t *testing.T) {
	t.Parallel()
	h := setup(t)
	if e := h.fails("no-such-key", `{ users { totalCount } }`, nil, "UNAUTHENTICATED"); strings.Contains(e.Message, "no-such-key") {
		t.Errorf("the message echoes the key: %q", e.Message)
	}
	// Basic with the key as user name, as Clevertim takes it.
	req, _ := http.NewRequest("POST", h.endpoint, strings.NewReader(`{"query":"{ users { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(readonlyKey, "X")
	if r := h.send(req); len(r.Errors) != 0 || get(r.Data, "users", "totalCount") != 6.0 {
		t.Errorf("Basic auth: %+v", r)
	}
	req, _ = http.NewRequest("POST", h.endpoint, strings.NewReader(`{"query":"{ users { totalCount } }"}`))
	req.Header.Set("Authorization", "Digest whatever")
	if r := h.send(req); r.Status != 401 || len(r.Errors) != 1 || r.Errors[0].code() != "UNAUTHENTICATED" {
		t.Errorf("unknown scheme: %+v", r)
	}

	strict := newHarness(t, graph.HandlerConfig{RequireAuth: true, DefaultAPIKey: ownerKey})
	r := strict.do("", `{ users { totalCount } }`, nil)
	if r.Status != 401 || len(r.Errors) != 1 || r.Errors[0].code() != "UNAUTHENTICATED" {
		t.Errorf("require-auth without a key: %+v", r)
	}
	strict.ok(salesKey, `{ users { totalCount } }`, nil)

	noDefault := newHarness(t, graph.HandlerConfig{RequireAuth: true})
	if r := noDefault.do("", `{ users { totalCount } }`, nil); r.Status != 401 {
		t.Errorf("no default key: %+v", r)
	}
}

func TestErrors_Permissions(t *testing.T) {
	t.Parallel()
	h := setup(t)
	id := str(h.ok("", `mutation { createContact(input: {firstName: "Kept"}) { id } }`, nil).Data, "createContact", "id")
	h.emu.ResetStats()
	h.fails(readonlyKey, `mutation { createContact(input: {firstName: "x"}) { id } }`, nil, "FORBIDDEN")
	h.fails(readonlyKey, `mutation($id: ID!) { updateContact(id: $id, input: {title: "x"}) { id } }`, map[string]any{"id": id}, "FORBIDDEN")
	h.fails(editorKey, `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id}, "FORBIDDEN")
	r := h.ok("", `query($id: ID!) { contact(id: $id) { name title } }`, map[string]any{"id": id})
	if str(r.Data, "contact", "name") != "Kept" || get(r.Data, "contact", "title") != "" {
		t.Errorf("a refused write changed the record: %v", r.Data)
	}
}

// upstreamAnswering serves the same answer to every upstream request, for
// failures the emulator does not produce.
func upstreamAnswering(t *testing.T, status int, header map[string]string, body string) *harness {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	// One attempt: these tests are about how each answer is reported.
	return newHarness(t, graph.HandlerConfig{UpstreamURL: srv.URL + "/api", Retry: clevertim.RetryPolicy{MaxAttempts: 1}})
}

func TestErrors_Upstream(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		header map[string]string
		body   string
		code   string
		extra  string
	}{
		{"rate limited", 429, map[string]string{"Retry-After": "30"}, `{"status":"ERROR","error":"slow down"}`, "RATE_LIMITED", "retryAfterSeconds"},
		{"not supported", 501, nil, `{"status":"ERROR","error":"not supported"}`, "NOT_SUPPORTED", ""},
		{"unavailable", 503, nil, `{"status":"ERROR","error":"maintenance"}`, "UPSTREAM_UNAVAILABLE", ""},
		{"html error page", 502, nil, `<html><body>Bad Gateway</body></html>`, "UPSTREAM_UNAVAILABLE", ""},
		{"html with 200", 200, nil, `<html>hello</html>`, "UPSTREAM_INVALID", ""},
		{"truncated JSON", 200, nil, `{"status":"OK","content":[{"id":1,"user":`, "UPSTREAM_INVALID", ""},
		{"content missing", 200, nil, `{"status":"OK"}`, "UPSTREAM_INVALID", ""},
		{"id of the wrong type", 200, nil, `{"status":"OK","content":[{"id":[1]}]}`, "UPSTREAM_INVALID", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := upstreamAnswering(t, tc.status, tc.header, tc.body)
			r := h.do("", `{ users { totalCount } groups { totalCount } }`, nil)
			if len(r.Errors) != 2 {
				t.Fatalf("errors %+v", r.Errors)
			}
			for _, e := range r.Errors {
				if e.code() != tc.code || len(e.Path) != 1 {
					t.Errorf("error %+v, want %s at its field", e, tc.code)
				}
				if tc.extra != "" && e.Extensions[tc.extra] == nil {
					t.Errorf("error %+v lacks %s", e, tc.extra)
				}
				if strings.Contains(e.Message, "127.0.0.1") {
					t.Errorf("message exposes the upstream address: %q", e.Message)
				}
			}
		})
	}
	// An upstream that is gone.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	h := newHarness(t, graph.HandlerConfig{UpstreamURL: srv.URL + "/api", Retry: clevertim.RetryPolicy{MaxAttempts: 2}})
	h.fails("", `{ users { totalCount } }`, nil, "UPSTREAM_UNAVAILABLE")
}

// A code Clevertim sends that the facade does not know is not passed off as
// an empty enum value: the field is null with UPSTREAM_INVALID at its path.
func TestErrors_UnknownCodes(t *testing.T) {
	t.Parallel()
	h := upstreamAnswering(t, 200, nil, `{"status":"OK","content":[{"id":7,"fn":"Ann","ctype":"Z",
		"phones":[{"type":"Satellite","no":"1"}],"tags":["a"]}]}`)
	r := h.do("", `{ contact(id: 7) { name customerType tags } }`, nil)
	if str(r.Data, "contact", "name") != "Ann" || get(r.Data, "contact", "customerType") != nil {
		t.Errorf("data %v", r.Data)
	}
	if len(r.Errors) != 1 || r.Errors[0].code() != "UPSTREAM_INVALID" || !strings.Contains(r.Errors[0].Message, `"Z"`) ||
		len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "customerType" {
		t.Errorf("errors %+v", r.Errors)
	}
	// A non-null enum: the error is reported and null goes up to the
	// nearest nullable field, as GraphQL requires.
	r = h.do("", `{ contact(id: 7) { name phones { type number } } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].code() != "UPSTREAM_INVALID" || get(r.Data, "contact") != nil {
		t.Errorf("non-null enum: %+v %v", r.Errors, r.Data)
	}
}
