package graph_test

import "testing"

// The planner prefetches what execution will run: a field or fragment left
// out by @skip or @include fetches nothing.
func TestPlanning_FollowsSkipAndInclude(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const q = `query($skip: Boolean!, $include: Boolean!) {
		contact(id: "1031") { name }
		companies(first: 5) @skip(if: $skip) { nodes { name } }
		... @include(if: $include) { tasks(first: 5) { nodes { name } } }
		...Notes @include(if: $include)
	}
	fragment Notes on Query { notes(first: 5) { nodes { id } } }`
	for _, tc := range []struct {
		skip, include bool
		want          map[string]int64
	}{
		{true, false, map[string]int64{"GET /company": 0, "GET /task": 0, "GET /note": 0}},
		{false, true, map[string]int64{"GET /company": 1, "GET /task": 1, "GET /note": 1}},
	} {
		_, routes := h.counted(q, map[string]any{"skip": tc.skip, "include": tc.include})
		for route, n := range tc.want {
			if routes[route] != n {
				t.Errorf("skip %v, include %v: %s sent %d times, want %d (all: %v)", tc.skip, tc.include, route, routes[route], n, routes)
			}
		}
		if routes["GET /contact/{id}"] != 1 {
			t.Errorf("the contact: %v", routes)
		}
	}
}
