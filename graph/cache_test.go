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
	// A write through the facade empties the cache for everyone.
	h.ok("", `mutation { createContact(input: {firstName: "Fresh"}) { id } }`, nil)
	r := h.ok("", `{ contacts(first: 1000, filter: {search: "Fresh"}) { totalCount } }`, nil)
	if get(r.Data, "contacts", "totalCount") != 1.0 || r.Extensions.Upstream.Requests == 0 {
		t.Errorf("after a write: %v, %d requests", r.Data, r.Extensions.Upstream.Requests)
	}
	if r := h.ok(readonlyKey, q, nil); r.Extensions.Upstream.Requests == 0 {
		t.Error("another key's entries survived a write")
	}
}
