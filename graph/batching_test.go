package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
)

// These tests count the requests the emulator received for one GraphQL
// operation, and check them against extensions.upstream.
//
// Counts depend on each level's resolvers landing in one batch, and rounds
// on the requests of one round overlapping. Both are races with a clock:
// the loaders collect ids for countingWait, and the emulator answers after
// roundLatency. Under -race beside a CPU-bound process a goroutine can be
// kept waiting for tens of milliseconds, so both are set well above that,
// long enough to be certain at the cost of a few seconds per test. The
// latency is also well above the wait: planning's requests leave at once,
// a loader's a wait later, and both must still be in flight together to be
// one round.
const (
	countingWait = 200 * time.Millisecond
	roundLatency = 600 * time.Millisecond
)

// counting is the facade with loaders that wait countingWait.
func counting(t *testing.T, cfg graph.HandlerConfig, opts ...emulator.Option) *harness {
	t.Helper()
	cfg.Loaders = testLoaderOptions()
	cfg.Loaders.Wait = countingWait
	return newHarness(t, cfg, opts...)
}

// levelByLevel is the facade without query planning: what the loaders do
// on their own.
func levelByLevel(t *testing.T, opts ...emulator.Option) *harness {
	t.Helper()
	return counting(t, graph.HandlerConfig{NoPlanning: true}, opts...)
}

// wantRoutes checks the requests per route, and that no other route was
// asked.
func wantRoutes(t *testing.T, routes, want map[string]int64) {
	t.Helper()
	for route, n := range want {
		if routes[route] != n {
			t.Errorf("%s: %d requests, want %d (all: %s)", route, routes[route], n, describe(routes))
		}
	}
	for route := range routes {
		if _, ok := want[route]; !ok {
			t.Errorf("%s: %d requests, want none (all: %s)", route, routes[route], describe(routes))
		}
	}
}

func (h *harness) counted(query string, vars map[string]any) (response, map[string]int64) {
	h.t.Helper()
	h.emu.ResetStats()
	r := h.do("", query, vars)
	for _, e := range r.Errors {
		// Some demo records point at customers private to another user:
		// those links are null with NOT_FOUND, which costs no extra request.
		if e.code() != "NOT_FOUND" {
			h.t.Fatalf("query failed: %+v", r.Errors)
		}
	}
	st := h.emu.Stats()
	if int64(r.Extensions.Upstream.Requests) != st.Total {
		h.t.Errorf("extensions.upstream.requests = %d, the emulator received %d", r.Extensions.Upstream.Requests, st.Total)
	}
	return r, st.ByRoute
}

func TestBatching_ListLevelCostsOneBatch(t *testing.T) {
	t.Parallel()
	// A bound of 12 ids fetched one by one, below the demo's 16 customers.
	opts := testLoaderOptions()
	opts.Wait = countingWait
	opts.ListThreshold = 12
	h := newHarness(t, graph.HandlerConfig{NoPlanning: true, Loaders: opts}, emulator.WithLatency(roundLatency))
	opps, _ := h.client(ownerKey).Opportunities.List(context.Background())
	customers := map[clevertim.ID]bool{}
	for _, o := range opps {
		if o.CustomerID != nil {
			customers[*o.CustomerID] = true
		}
	}
	if len(customers) <= opts.ListThreshold {
		t.Fatalf("the demo has %d distinct opportunity customers; this test needs more than the list threshold", len(customers))
	}
	r, routes := h.counted(`{ opportunities(first: 100) { nodes { name
		leadUser { name } createdBy { name }
		customer { ... on Contact { name company { name } } ... on Company { name } } } } }`, nil)
	if n := len(list(r.Data, "opportunities", "nodes")); n != len(opps) {
		t.Fatalf("%d opportunities, want %d", n, len(opps))
	}
	// Level 1: the opportunities. Level 2: users (small, fetched whole) and
	// the customers: more than the threshold, so both collections at once.
	// Level 3: the contacts' companies are already loaded.
	wantRoutes(t, routes, map[string]int64{"GET /opportunity": 1, "GET /user": 1, "GET /contact": 1, "GET /company": 1})
	if r.Extensions.Upstream.Rounds != 2 {
		t.Errorf("rounds = %d, want 2", r.Extensions.Upstream.Rounds)
	}
}

func TestBatching_FewKeysAreFetchedByIDOncePerLevel(t *testing.T) {
	t.Parallel()
	h := levelByLevel(t)
	ctx := context.Background()
	c := h.client(ownerKey)
	contacts, _ := c.Contacts.List(ctx)
	// A contact whose notes carry comments, with few enough notes and
	// comments to be fetched one by one.
	var pick *clevertim.Contact
	var comments map[clevertim.ID]bool
	for _, x := range contacts {
		if len(x.NoteIDs) < 2 || len(x.NoteIDs) > loaders.DefaultOptions().ListThreshold {
			continue
		}
		cm := map[clevertim.ID]bool{}
		for _, nid := range x.NoteIDs {
			n, _ := c.Notes.Get(ctx, nid)
			for _, id := range n.CommentIDs {
				cm[id] = true
			}
		}
		if len(cm) > 0 && len(cm) <= loaders.DefaultOptions().ListThreshold {
			pick, comments = x, cm
			break
		}
	}
	if pick == nil {
		t.Fatal("no suitable contact in the demo account")
	}
	h.emu.SetLatency(roundLatency)
	// The notes are asked for twice (aliases): the second costs nothing.
	r, routes := h.counted(`query($id: ID!) { contact(id: $id) {
		a: notes { nodes { text comments { nodes { text author { name } } } } }
		b: notes { nodes { id } } } }`, map[string]any{"id": pick.ID})
	want := map[string]int64{
		"GET /contact/{id}": 1,
		"GET /note/{id}":    int64(len(pick.NoteIDs)),
		"GET /comment/{id}": int64(len(comments)),
		"GET /user":         1,
	}
	wantRoutes(t, routes, want)
	if r.Extensions.Upstream.Rounds != 4 {
		t.Errorf("rounds = %d, want 4: contact, notes, comments, authors (%s)", r.Extensions.Upstream.Rounds, describe(routes))
	}
}

func TestBatching_ManyKeysFetchTheCollection(t *testing.T) {
	t.Parallel()
	h := levelByLevel(t)
	r, routes := h.counted(`{ notes(first: 100) { nodes { comments { nodes { id author { name } } } } }
		users { totalCount } }`, nil)
	total := 0
	for _, n := range list(r.Data, "notes", "nodes") {
		total += len(list(n, "comments", "nodes"))
	}
	if total <= loaders.DefaultOptions().ListThreshold {
		t.Fatalf("only %d comments in the demo", total)
	}
	// Users are asked for at two levels: one request.
	want := map[string]int64{"GET /note": 1, "GET /comment": 1, "GET /user": 1}
	wantRoutes(t, routes, want)
}

func TestBatching_ReverseLinkFetchesContactsOnce(t *testing.T) {
	t.Parallel()
	h := counting(t, graph.HandlerConfig{})
	r, routes := h.counted(`{ companies(first: 100) { nodes { name contacts { totalCount nodes { name } } } } }`, nil)
	sum := 0
	for _, c := range list(r.Data, "companies", "nodes") {
		sum += int(get(c, "contacts", "totalCount").(float64))
	}
	if sum == 0 {
		t.Fatal("no company has contacts")
	}
	wantRoutes(t, routes, map[string]int64{"GET /company": 1, "GET /contact": 1})
}

// With planning, a query's collections are fetched together in the first
// round, and deeper levels find their records loaded.
func TestPlanning_PipelineBoardInOneRound(t *testing.T) {
	t.Parallel()
	h := counting(t, graph.HandlerConfig{}, emulator.WithLatency(roundLatency))
	r, routes := h.counted(`{ opportunities(first: 50) { nodes { name
		customer { ... on Contact { name company { name } } ... on Company { name } }
		leadUser { name }
		notes { nodes { text comments { nodes { text author { name } } } } } } } }`, nil)
	if len(list(r.Data, "opportunities", "nodes")) == 0 {
		t.Fatal("no data")
	}
	want := map[string]int64{"GET /opportunity": 1, "GET /contact": 1, "GET /company": 1, "GET /user": 1, "GET /note": 1, "GET /comment": 1}
	wantRoutes(t, routes, want)
	if r.Extensions.Upstream.Rounds != 1 {
		t.Errorf("rounds = %d, want 1", r.Extensions.Upstream.Rounds)
	}
}

// A single record's short lists are not worth whole collections: they are
// fetched by id once the record is known.
func TestPlanning_SingleRecordKeepsGetsByID(t *testing.T) {
	t.Parallel()
	h := counting(t, graph.HandlerConfig{}, emulator.WithLatency(roundLatency))
	contacts, _ := h.client(ownerKey).Contacts.List(context.Background())
	var pick *clevertim.Contact
	for _, c := range contacts {
		if len(c.NoteIDs) >= 2 && len(c.NoteIDs) <= 3 && c.CompanyID != nil {
			pick = c
			break
		}
	}
	if pick == nil {
		t.Fatal("no suitable contact")
	}
	r, routes := h.counted(`query($id: ID!) { contact(id: $id) { company { name } notes { nodes { text createdBy { name } } }
		customFields { field { name } value } } }`, map[string]any{"id": pick.ID})
	want := map[string]int64{"GET /contact/{id}": 1, "GET /company/{id}": 1, "GET /note/{id}": int64(len(pick.NoteIDs)),
		"GET /user": 1, "GET /customfield": 1}
	wantRoutes(t, routes, want)
	// Users and custom fields come with the contact; company and notes next.
	if r.Extensions.Upstream.Rounds != 2 {
		t.Errorf("rounds = %d, want 2", r.Extensions.Upstream.Rounds)
	}
}
