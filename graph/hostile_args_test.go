package graph_test

import (
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// Paging arguments that paging would refuse are refused before the query
// planner prefetches anything: the operation sends no upstream request.
func TestHostile_RefusedPagingSendsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{})
	long := strings.Repeat("A", graph.MaxCursorLen+1)
	for _, c := range []struct {
		query string
		vars  map[string]any
		field string
		path  string
	}{
		{`{ contacts(first: -5) { nodes { id } } }`, nil, "first", "contacts"},
		{`query($n: Int) { people: contacts(last: $n) { nodes { id } } }`, map[string]any{"n": 100000}, "last", "people"},
		{`{ contact(id: "1031") { name notes(first: 1001) { nodes { id } } } }`, nil, "first", "contact.notes"},
		{`query($c: String) { companies { nodes { ...C } } } fragment C on Company { contacts(after: $c) { totalCount } }`,
			map[string]any{"c": long}, "after", "companies.nodes.contacts"},
		{`{ opportunities(before: "` + long + `") { totalCount } users { totalCount } }`, nil, "before", "opportunities"},
	} {
		h.emu.ResetStats()
		r := h.do("", c.query, c.vars)
		if len(r.Errors) != 1 || r.Errors[0].code() != graph.CodeBadUserInput || r.Errors[0].Extensions["field"] != c.field || r.Data != nil {
			t.Errorf("%s: %+v %v", c.query, r.Errors, r.Data)
			continue
		}
		if got := pathString(r.Errors[0].Path); got != c.path {
			t.Errorf("%s: path %s, want %s", c.query, got, c.path)
		}
		if n := h.emu.Stats().Total; n != 0 {
			t.Errorf("%s: %d upstream requests (%v)", c.query, n, h.emu.Stats().ByRoute)
		}
	}
	// Within the bounds, and skipped, nothing is refused.
	h.ok("", `query($skip: Boolean!) { contacts(first: 0) { totalCount } c: contacts(first: -1) @skip(if: $skip) { totalCount } }`,
		map[string]any{"skip": true})
}

func pathString(path []any) string {
	var parts []string
	for _, p := range path {
		if s, ok := p.(string); ok {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ".")
}
