package graph_test

import (
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

func TestCache_AcrossRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{CacheTTL: time.Hour})
	const q = `{ contacts(first: 5) { nodes { name company { name } notes { totalCount } } } }`
	first := h.ok("", q, nil)
	if first.Extensions.Upstream.Requests == 0 {
		t.Fatal("the first read cost nothing")
	}
	again := h.ok("", q, nil)
	if again.Extensions.Upstream.Requests != 0 {
		t.Errorf("a repeat read within the TTL sent %d requests", again.Extensions.Upstream.Requests)
	}
	// Another key does not get the owner's entries.
	other := h.ok(readonlyKey, q, nil)
	if other.Extensions.Upstream.Requests == 0 {
		t.Error("another key was answered from the owner's cache")
	}
	// The writer reads its write from its own copy, updated in place.
	h.ok("", `mutation { createContact(input: {firstName: "Fresh"}) { id } }`, nil)
	const fresh = `{ contacts(first: 1000, filter: {search: "Fresh"}) { totalCount } }`
	r := h.ok("", fresh, nil)
	if get(r.Data, "contacts", "totalCount") != 1.0 || r.Extensions.Upstream.Requests != 0 {
		t.Errorf("after a write: %v, %d requests; want the new contact from the writer's copy", r.Data, r.Extensions.Upstream.Requests)
	}
	// Another key's copy survives the write, without the writer's record:
	// it sees the contact only once Clevertim has sent it to that key.
	if r := h.ok(readonlyKey, q, nil); r.Extensions.Upstream.Requests != 0 {
		t.Errorf("another key's copy was emptied by a write: %d requests", r.Extensions.Upstream.Requests)
	}
	if r := h.ok(readonlyKey, fresh, nil); get(r.Data, "contacts", "totalCount") != 0.0 {
		t.Errorf("another key was served the writer's record: %v", r.Data)
	}
}
