package graph_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// manifest is what GraphQL Code Generator's client preset or Relay's
// compiler writes: id → document. The ids are not hashes of the documents,
// as Relay's need not be.
const manifest = `{
  "users-count": "query UsersCount { users { totalCount } }",
  "contact-by-id": "query ContactById($id: ID!) { contact(id: $id) { id name } }",
  "contact-then-notes": "query ContactThenNotes { contact(id: \"1031\") { id ... @defer { notes { totalCount } } } }"
}`

func persistedHarness(t *testing.T, only bool) *harness {
	t.Helper()
	docs, err := graph.ParsePersistedDocuments([]byte(manifest), graph.Schema())
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, graph.HandlerConfig{HTTPOptions: graph.HTTPOptions{PersistedDocuments: docs, OnlyPersisted: only}})
}

func postJSON(t *testing.T, h *harness, accept string, body map[string]any) exchange {
	t.Helper()
	b, _ := json.Marshal(body)
	return sendRaw(t, "POST", h.endpoint, "application/json", accept, strings.NewReader(string(b)))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestPersisted_ServedByID(t *testing.T) {
	t.Parallel()
	for _, only := range []bool{false, true} {
		h := persistedHarness(t, only)
		vars := map[string]any{"id": "1031"}
		for name, body := range map[string]map[string]any{
			"documentId (GraphQL Code Generator)": {"documentId": "contact-by-id", "variables": vars},
			"id (Relay)":                          {"id": "contact-by-id", "variables": vars},
			"APQ hash (Apollo)": {"variables": vars, "extensions": map[string]any{
				"persistedQuery": map[string]any{"version": 1, "sha256Hash": "contact-by-id"}}},
			"the same text with its id": {"documentId": "contact-by-id", "variables": vars,
				"query": "query ContactById($id: ID!) { contact(id: $id) { id name } }"},
		} {
			x := postJSON(t, h, acceptJSON, body)
			if x.status != 200 || local(str(x.body, "data", "contact", "id")) != "1031" || x.body["errors"] != nil {
				t.Errorf("only=%v %s: %d %s", only, name, x.status, x.raw)
			}
		}
		for _, query := range []string{"documentId=users-count", "id=users-count",
			"extensions=" + url.QueryEscape(`{"persistedQuery":{"version":1,"sha256Hash":"users-count"}}`)} {
			x := sendRaw(t, "GET", h.endpoint+"?"+query, "", acceptJSON, nil)
			if x.status != 200 || get(x.body, "data", "users", "totalCount") != 6.0 {
				t.Errorf("only=%v GET ?%s: %d %s", only, query, x.status, x.raw)
			}
		}
		var x exchange

		// A persisted document with @defer is delivered incrementally too.
		if ct, parts := readParts(t, h.endpoint, map[string]any{"documentId": "contact-then-notes"}); !strings.HasPrefix(ct, "multipart/mixed") ||
			len(parts) != 2 || get(parts[1], "incremental", 0, "data", "notes", "totalCount") != 1.0 {
			t.Errorf("only=%v deferred: %s %v", only, ct, parts)
		}

		// An unknown id is a request error with the code Apollo reacts to.
		for accept, status := range map[string]int{acceptJSON: 200, acceptResponse: 400} {
			x = postJSON(t, h, accept, map[string]any{"documentId": "no-such-id"})
			if x.status != status || x.code() != graph.CodePersistedQueryNotFound || x.body["data"] != nil {
				t.Errorf("only=%v unknown id (%s): %d %s", only, accept, x.status, x.raw)
			}
		}
		// A different text under a registered id is not run.
		x = postJSON(t, h, acceptJSON, map[string]any{"documentId": "users-count", "query": "{ groups { totalCount } }"})
		if x.status != 400 || x.code() != graph.CodeBadRequest {
			t.Errorf("only=%v mismatched text: %d %s", only, x.status, x.raw)
		}
	}
}

func TestPersisted_OnlyPersistedRefusesOtherDocuments(t *testing.T) {
	t.Parallel()
	const query = "{ groups { totalCount } }"
	apqFirst := map[string]any{"query": query, "extensions": map[string]any{
		"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(query)}}}
	apqThen := map[string]any{"extensions": apqFirst["extensions"]}

	open := persistedHarness(t, false)
	if x := postJSON(t, open, acceptJSON, map[string]any{"query": query}); get(x.body, "data", "groups", "totalCount") != 3.0 {
		t.Errorf("a document of its own without -only-persisted: %s", x.raw)
	}
	// Automatic persisted queries stay for development.
	if x := postJSON(t, open, acceptJSON, apqThen); x.code() != graph.CodePersistedQueryNotFound {
		t.Errorf("APQ hash before registration: %s", x.raw)
	}
	postJSON(t, open, acceptJSON, apqFirst)
	if x := postJSON(t, open, acceptJSON, apqThen); get(x.body, "data", "groups", "totalCount") != 3.0 {
		t.Errorf("APQ hash after registration: %s", x.raw)
	}

	only := persistedHarness(t, true)
	for name, body := range map[string]map[string]any{
		"a document of its own":            {"query": query},
		"APQ registration":                 apqFirst,
		"APQ hash after registration":      apqThen,
		"GET of its own":                   nil,
		"an introspection of its own":      {"query": "{ __schema { types { name } } }"},
		"a registered document's text":     {"query": "query UsersCount { users { totalCount } }"},
		"a registered document's text, id": {"query": "{ users { totalCount } }", "documentId": "users-count"},
	} {
		var x exchange
		if body == nil {
			x = sendRaw(t, "GET", only.endpoint+"?query="+url.QueryEscape(query), "", acceptJSON, nil)
		} else {
			x = postJSON(t, only, acceptJSON, body)
		}
		if x.body["data"] != nil || (x.code() != graph.CodePersistedQueryNotFound && x.code() != graph.CodeBadRequest) {
			t.Errorf("-only-persisted, %s: %d %s", name, x.status, x.raw)
		}
	}
}

func TestPersisted_Manifests(t *testing.T) {
	t.Parallel()
	schema := graph.Schema()
	apollo := `{"format":"apollo-persisted-query-manifest","version":1,"operations":[
		{"id":"5f1a","name":"UsersCount","type":"query","body":"query UsersCount { users { totalCount } }"}]}`
	if docs, err := graph.ParsePersistedDocuments([]byte(apollo), schema); err != nil || docs.Len() != 1 {
		t.Errorf("Apollo's manifest: %v", err)
	}
	if docs, err := graph.ParsePersistedDocuments([]byte(manifest), schema); err != nil || docs.Len() != 3 {
		t.Errorf("id → document: %v", err)
	}
	for name, raw := range map[string]string{
		"not JSON":          `{`,
		"a list":            `["query { users { totalCount } }"]`,
		"empty":             `{}`,
		"not a document":    `{"a": "query {"}`,
		"not in the schema": `{"a": "{ users { shoeSize } }"}`,
	} {
		if _, err := graph.ParsePersistedDocuments([]byte(raw), schema); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := graph.ParsePersistedDocuments([]byte(`{"stale-one": "{ users { shoeSize } }"}`), schema)
	if err == nil || !strings.Contains(err.Error(), "stale-one") || !strings.Contains(err.Error(), "shoeSize") {
		t.Errorf("the error does not name the document and the problem: %v", err)
	}
}
