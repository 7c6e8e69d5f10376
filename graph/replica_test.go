package graph_test

import (
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// Warm, the replica answers the README's pages without Clevertim: a first
// page, a later page (by cursor, in another order), a filtered page, the
// contact page and the pipeline board.
func TestReplica_WarmPagesSendNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{CacheTTL: time.Hour})
	first := `{ contacts(first: 10, orderBy: {field: LAST_NAME}) { pageInfo { endCursor } nodes { id lastName } } }`
	r := h.ok("", first, nil)
	after := str(r.Data, "contacts", "pageInfo", "endCursor")
	later := `query($after: String) { contacts(first: 10, after: $after, orderBy: {field: LAST_NAME}) { nodes { id } } }`
	filtered := `{ contacts(first: 10, filter: {tags: ["vip"]}, orderBy: {field: ADDED_ON, direction: DESC}) { totalCount nodes { id } } }`
	queries := []struct {
		name, query string
		vars        map[string]any
	}{
		{"first page", first, nil},
		{"later page", later, map[string]any{"after": after}},
		{"filtered page", filtered, nil},
		{"contact page", contactPageQuery, map[string]any{"id": "1031"}},
		{"pipeline board", pipelineBoardQuery, nil},
	}
	// A customer that is a company, read by id: asking /contact for it first
	// is a 404 the replica must not pay again when warm.
	all := h.ok("", `{ opportunities(first: 100) { nodes { clevertimId customer { __typename } } } }`, nil)
	for _, o := range list(all.Data, "opportunities", "nodes") {
		if str(o, "customer", "__typename") == "Company" {
			queries = append(queries, struct {
				name, query string
				vars        map[string]any
			}{"a company customer by id", `query($id: ID!) { opportunity(id: $id) { id customer { ... on Company { id name } } } }`,
				map[string]any{"id": str(o, "clevertimId")}})
			break
		}
	}
	if len(queries) != 6 {
		t.Fatal("the demo account has no opportunity with a company for customer")
	}
	h2 := newHarness(t, graph.HandlerConfig{CacheTTL: time.Hour}) // nothing read whole yet
	h2.ok("", queries[5].query, queries[5].vars)
	if r := h2.ok("", queries[5].query, queries[5].vars); r.Extensions.Upstream.Requests != 0 {
		t.Errorf("a company customer by id, warm: %d upstream requests", r.Extensions.Upstream.Requests)
	}
	for _, q := range queries {
		h.ok("", q.query, q.vars) // cold
	}
	for _, q := range queries {
		if r := h.ok("", q.query, q.vars); r.Extensions.Upstream.Requests != 0 {
			t.Errorf("%s, warm: %d upstream requests", q.name, r.Extensions.Upstream.Requests)
		}
	}
	// The later page is the one after the first, from the index.
	r2 := h.ok("", later, map[string]any{"after": after})
	if n := list(r2.Data, "contacts", "nodes"); len(n) != 10 || str(n[0], "id") == str(list(r.Data, "contacts", "nodes")[0], "id") {
		t.Errorf("later page: %v", r2.Data)
	}
}

// A writer reads its update back from its own copy; another key that sees
// the record is answered from what Clevertim sends it, not the writer's copy.
func TestReplica_WriteReadBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{CacheTTL: time.Hour})
	const q = `{ contact(id: "1031") { id title } contacts(first: 1000) { totalCount } }`
	h.ok("", q, nil)
	h.ok(adminKey, q, nil)
	h.ok("", `mutation { updateContact(id: "1031", input: {title: "Chief Replica Officer"}) { id } }`, nil)
	r := h.ok("", q, nil)
	if str(r.Data, "contact", "title") != "Chief Replica Officer" || r.Extensions.Upstream.Requests != 0 {
		t.Errorf("the writer read %v with %d requests; want its write from its copy", r.Data, r.Extensions.Upstream.Requests)
	}
	r = h.ok(adminKey, q, nil)
	if str(r.Data, "contact", "title") != "Chief Replica Officer" || r.Extensions.Upstream.Requests != 1 {
		t.Errorf("another key read %v with %d requests; want the record from Clevertim (1 GET by id)", r.Data, r.Extensions.Upstream.Requests)
	}
}

// A note filed by the writer shows in its contact's notes at once: the
// contact is read again by id into the writer's copy, the note is kept as
// Clevertim returned it; nothing is read whole.
func TestReplica_WriterReadsItsNewNote(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{CacheTTL: time.Hour})
	const q = `{ contacts(first: 5) { totalCount } contact(id: "1031") { notes { totalCount nodes { id text } } } }`
	before := get(h.ok("", q, nil).Data, "contact", "notes", "totalCount").(float64)
	h.emu.ResetStats()
	h.ok("", `mutation { createNote(input: {text: "kept in place", customerIds: ["1031"]}) { id } }`, nil)
	if st := h.emu.Stats(); st.ByRoute["GET /contact"] != 0 || st.ByRoute["GET /note"] != 0 || st.ByRoute["GET /contact/{id}"] != 1 {
		t.Errorf("the write read %s; want the contact again by id, no collection", describe(st.ByRoute))
	}
	r := h.ok("", q, nil)
	if get(r.Data, "contact", "notes", "totalCount") != before+1 || r.Extensions.Upstream.Requests != 0 {
		t.Errorf("after the write: %v notes (before %v), %d requests; want the new note from the writer's copy", get(r.Data, "contact", "notes", "totalCount"), before, r.Extensions.Upstream.Requests)
	}
}
