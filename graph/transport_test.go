package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// exchange is one HTTP request and its answer, kept raw: which keys the
// JSON has matters as much as their values.
type exchange struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (x exchange) code() string { return str(x.body, "errors", 0, "extensions", "code") }

func (x exchange) message() string { return str(x.body, "errors", 0, "message") }

func sendRaw(t *testing.T, method, target, contentType, accept string, body io.Reader) exchange {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	x := exchange{status: resp.StatusCode, header: resp.Header}
	x.raw, _ = io.ReadAll(resp.Body)
	if len(x.raw) > 0 {
		if err := json.Unmarshal(x.raw, &x.body); err != nil {
			t.Fatalf("%s %s: the answer is not JSON (%d %s): %.300s", method, target, x.status, resp.Header.Get("Content-Type"), x.raw)
		}
	}
	return x
}

const (
	acceptJSON     = "application/json"
	acceptResponse = "application/graphql-response+json"
)

// Every refusal, whatever the client did wrong, is JSON with a code, and a
// request error (nothing ran) has no data entry.
func TestTransport_SpecStatusesAndCodes(t *testing.T) {
	t.Parallel()
	h := setup(t)
	q := func(query string) io.Reader {
		b, _ := json.Marshal(map[string]any{"query": query})
		return bytes.NewReader(b)
	}
	body := func(s string) io.Reader { return strings.NewReader(s) }
	cases := []struct {
		name, method, contentType, accept string
		body                              io.Reader
		status                            int
		code, mediaType                   string
		allow                             string
	}{
		{"parse error, application/json", "POST", acceptJSON, acceptJSON, q("{"), 200, "GRAPHQL_PARSE_FAILED", acceptJSON, ""},
		{"parse error, graphql-response+json", "POST", acceptJSON, acceptResponse, q("{"), 400, "GRAPHQL_PARSE_FAILED", acceptResponse, ""},
		{"validation error, application/json", "POST", acceptJSON, acceptJSON, q("{ nope }"), 200, "GRAPHQL_VALIDATION_FAILED", acceptJSON, ""},
		{"validation error, graphql-response+json", "POST", acceptJSON, acceptResponse, q("{ nope }"), 400, "GRAPHQL_VALIDATION_FAILED", acceptResponse, ""},
		{"validation error, preferred by q", "POST", acceptJSON, "application/json;q=0.5, application/graphql-response+json", q("{ nope }"), 400, "GRAPHQL_VALIDATION_FAILED", acceptResponse, ""},
		{"validation error, no Accept", "POST", acceptJSON, "", q("{ nope }"), 200, "GRAPHQL_VALIDATION_FAILED", acceptJSON, ""},
		{"variable coercion, application/json", "POST", acceptJSON, acceptJSON,
			body(`{"query":"query ($id: ID!) { contact(id: $id) { id } }","variables":{"id":null}}`), 200, "GRAPHQL_VALIDATION_FAILED", acceptJSON, ""},
		{"limit exceeded, graphql-response+json", "POST", acceptJSON, acceptResponse,
			q(`{ contacts(first: 1000) { nodes { notes(first: 1000) { nodes { comments(first: 1000) { nodes { id } } } } } } }`), 400, "COMPLEXITY_LIMIT_EXCEEDED", acceptResponse, ""},
		{"mutation over GET", "GET", "", acceptJSON, nil, 405, graph.CodeMethodNotAllowed, acceptJSON, "POST"},
		{"PUT", "PUT", acceptJSON, "", q("{ __typename }"), 405, graph.CodeMethodNotAllowed, acceptJSON, "GET, POST, OPTIONS"},
		{"DELETE", "DELETE", "", "", nil, 405, graph.CodeMethodNotAllowed, acceptJSON, "GET, POST, OPTIONS"},
		{"text/plain body", "POST", "text/plain", "", q("{ __typename }"), 415, graph.CodeUnsupportedMediaType, acceptJSON, ""},
		{"application/graphql body", "POST", "application/graphql", "", body("{ __typename }"), 415, graph.CodeUnsupportedMediaType, acceptJSON, ""},
		{"no Content-Type", "POST", "", "", q("{ __typename }"), 415, graph.CodeUnsupportedMediaType, acceptJSON, ""},
		{"latin-1 body", "POST", "application/json; charset=iso-8859-1", "", q("{ __typename }"), 415, graph.CodeUnsupportedMediaType, acceptJSON, ""},
		{"empty body", "POST", acceptJSON, "", nil, 400, graph.CodeBadRequest, acceptJSON, ""},
		{"body not JSON", "POST", acceptJSON, acceptJSON, body(`{ "not a JSON`), 400, graph.CodeBadRequest, acceptJSON, ""},
		{"no query", "POST", acceptJSON, acceptJSON, body(`{"qeury":"{ __typename }"}`), 400, graph.CodeBadRequest, acceptJSON, ""},
		{"query not a string", "POST", acceptJSON, acceptResponse, body(`{"query":{"obj":"ect"}}`), 400, graph.CodeBadRequest, acceptResponse, ""},
		{"variables not an object", "POST", acceptJSON, acceptJSON, body(`{"query":"{ __typename }","variables":"x"}`), 400, graph.CodeBadRequest, acceptJSON, ""},
		{"extensions not an object", "POST", acceptJSON, acceptJSON, body(`{"query":"{ __typename }","extensions":[1]}`), 400, graph.CodeBadRequest, acceptJSON, ""},
		{"batch", "POST", acceptJSON, acceptJSON, body(`[{"query":"{ __typename }"},{"query":"{ __typename }"}]`), 400, graph.CodeBadRequest, acceptJSON, ""},
		{"body over 1 MiB", "POST", acceptJSON, acceptJSON,
			io.MultiReader(body(`{"query":"{ __typename }","x":"`), bytes.NewReader(bytes.Repeat([]byte("a"), graph.DefaultMaxBodyBytes)), body(`"}`)),
			413, graph.CodeRequestTooLarge, acceptJSON, ""},
	}
	for _, tc := range cases {
		target := h.endpoint
		if tc.method == "GET" {
			target += "?query=" + url.QueryEscape("mutation { deleteNote(id: \"1156\") }")
		}
		x := sendRaw(t, tc.method, target, tc.contentType, tc.accept, tc.body)
		if x.status != tc.status || x.code() != tc.code || x.message() == "" {
			t.Errorf("%s: %d %s, want %d %s", tc.name, x.status, x.raw, tc.status, tc.code)
		}
		if ct := x.header.Get("Content-Type"); !strings.HasPrefix(ct, tc.mediaType) {
			t.Errorf("%s: Content-Type %q, want %s", tc.name, ct, tc.mediaType)
		}
		if _, ok := x.body["data"]; ok {
			t.Errorf("%s: a request error with a data entry: %s", tc.name, x.raw)
		}
		if tc.allow != "" && x.header.Get("Allow") != tc.allow {
			t.Errorf("%s: Allow %q, want %q", tc.name, x.header.Get("Allow"), tc.allow)
		}
	}
	// The mutation over GET was refused before it ran.
	if r := h.ok("", `{ note(id: "1156") { clevertimId } }`, nil); str(r.Data, "note", "clevertimId") != "1156" {
		t.Errorf("note 1156 is gone after a GET mutation: %v", r.Data)
	}
}

func TestTransport_Successes(t *testing.T) {
	t.Parallel()
	h := setup(t)
	for _, tc := range []struct {
		name, accept, mediaType string
	}{
		{"application/json", acceptJSON, acceptJSON},
		{"graphql-response+json", acceptResponse, acceptResponse},
		{"Apollo's Accept", "application/graphql-response+json,application/json;q=0.9", acceptResponse},
		{"wildcard", "*/*", acceptJSON},
		{"nothing served", "text/html", acceptJSON},
		{"none", "", acceptJSON},
	} {
		x := sendRaw(t, "POST", h.endpoint, "application/json; charset=utf-8", tc.accept, strings.NewReader(`{"query":"{ users { totalCount } }"}`))
		if x.status != 200 || get(x.body, "data", "users", "totalCount") != 6.0 || x.body["errors"] != nil {
			t.Errorf("%s: %d %s", tc.name, x.status, x.raw)
		}
		if ct := x.header.Get("Content-Type"); ct != tc.mediaType+"; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
	}
	// GET with variables, as a URL-encoded JSON string.
	x := sendRaw(t, "GET", h.endpoint+"?query="+url.QueryEscape(`query ($id: ID!) { contact(id: $id) { clevertimId } }`)+
		"&variables="+url.QueryEscape(`{"id":"1031"}`), "", acceptResponse, nil)
	if x.status != 200 || str(x.body, "data", "contact", "clevertimId") != "1031" {
		t.Errorf("GET with variables: %d %s", x.status, x.raw)
	}
	// A field error still runs the rest, with data and 200, whatever is accepted.
	x = sendRaw(t, "POST", h.endpoint, acceptJSON, acceptResponse, strings.NewReader(`{"query":"{ contact(id: \"999999\") { id } users { totalCount } }"}`))
	if _, ok := x.body["data"]; x.status != 200 || !ok || x.code() != "NOT_FOUND" {
		t.Errorf("field error: %d %s", x.status, x.raw)
	}
	// OPTIONS without CORS says what the endpoint takes.
	x = sendRaw(t, "OPTIONS", h.endpoint, "", "", nil)
	if x.status != 204 || x.header.Get("Allow") != "GET, POST, OPTIONS" {
		t.Errorf("OPTIONS: %d %v", x.status, x.header)
	}
}

func TestTransport_OperationName(t *testing.T) {
	t.Parallel()
	h := setup(t)
	doc := `query Users { users { totalCount } } query Groups { groups { totalCount } }`
	send := func(name string) exchange {
		b, _ := json.Marshal(map[string]any{"query": doc, "operationName": name})
		return sendRaw(t, "POST", h.endpoint, acceptJSON, acceptJSON, bytes.NewReader(b))
	}
	x := send("")
	if x.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(x.message(), "operationName") ||
		!strings.Contains(x.message(), `"Users", "Groups"`) {
		t.Errorf("two operations without a name: %s", x.raw)
	}
	x = send("Nope")
	if x.code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(x.message(), `"Nope"`) || !strings.Contains(x.message(), `"Groups"`) {
		t.Errorf("an unknown name: %s", x.raw)
	}
	if x = send("Groups"); get(x.body, "data", "groups", "totalCount") != 3.0 {
		t.Errorf("a named operation: %s", x.raw)
	}
}

// A batch body is refused without being echoed: its contents are the
// caller's, possibly large, and nothing the answer needs.
func TestTransport_BatchNotEchoed(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const marker = "secret-marker-4711"
	x := sendRaw(t, "POST", h.endpoint, acceptJSON, acceptJSON,
		strings.NewReader(` [{"query":"{ __typename }"},{"query":"{ `+marker+` }"}]`))
	if x.status != 400 || x.code() != graph.CodeBadRequest || bytes.Contains(x.raw, []byte(marker)) {
		t.Errorf("batch: %d %s", x.status, x.raw)
	}
	x = sendRaw(t, "POST", h.endpoint, acceptJSON, acceptJSON, strings.NewReader(`{"query": "`+marker))
	if x.status != 400 || bytes.Contains(x.raw, []byte(marker)) {
		t.Errorf("malformed body echoed: %d %s", x.status, x.raw)
	}
}
