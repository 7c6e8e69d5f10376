package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

func TestLimits_RefusedBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	h := setup(t)
	deep := "{ contacts { nodes { company { contacts { nodes { company { contacts { nodes { company { contacts { nodes { company { contacts { nodes { company { contacts { nodes { company { name } } } } } } } } } } } } } } } } } } }"
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 31 {
		fmt.Fprintf(&aliases, " u%d: user(id: \"1\") { name }", i)
	}
	aliases.WriteString(" }")
	cases := []struct {
		name, query, code, words string
	}{
		{"depth", deep, "DEPTH_LIMIT_EXCEEDED", "exceeds the limit of 15 by"},
		{"aliases", aliases.String(), "ALIAS_LIMIT_EXCEEDED", `"user" is asked for 31 times`},
		{"complexity", `{ contacts(first: 1000) { nodes { notes(first: 1000) { nodes { comments(first: 1000) { nodes { text } } } } } } }`,
			"COMPLEXITY_LIMIT_EXCEEDED", "over the limit of 5000000 by"},
	}
	h.emu.ResetStats()
	for _, c := range cases {
		e := h.fails("", c.query, nil, c.code)
		if !strings.Contains(e.Message, c.words) || e.Extensions["limit"] == nil {
			t.Errorf("%s: %+v", c.name, e)
		}
	}
	if n := h.emu.Stats().Total; n != 0 {
		t.Errorf("refused operations sent %d upstream requests", n)
	}
	// GraphiQL's introspection is deep but harmless.
	h.ok("", `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } }`, nil)
	// Batches of operations are not accepted: one operation per request.
	req, _ := http.NewRequest("POST", h.endpoint, strings.NewReader(`[{"query":"{ users { totalCount } }"},{"query":"{ groups { totalCount } }"}]`))
	req.Header.Set("Content-Type", "application/json")
	if r := h.send(req); len(r.Errors) == 0 || r.Errors[0].code() != "BAD_REQUEST" {
		t.Errorf("a batch of operations: %+v", r)
	}
}

// manyContacts builds a query for n contacts by id, each its own field.
func manyContacts(t *testing.T, h *harness, n int) (string, []clevertim.ID) {
	t.Helper()
	all, err := h.client(ownerKey).Contacts.List(context.Background())
	if err != nil || len(all) < n {
		t.Fatalf("%d contacts, %v", len(all), err)
	}
	var q strings.Builder
	var ids []clevertim.ID
	q.WriteString("{")
	for i := range n {
		fmt.Fprintf(&q, " c%d: contact(id: %q) { name }", i, all[i].ID)
		ids = append(ids, all[i].ID)
	}
	q.WriteString(" }")
	return q.String(), ids
}

func TestLimits_UpstreamBudgetStopsFanOut(t *testing.T) {
	t.Parallel()
	// Loaders that ignore the budget when choosing ids over the collection,
	// so that the ten ids fan out and the budget has to stop them.
	opts := testLoaderOptions()
	opts.Budget = -1
	h := newHarness(t, graph.HandlerConfig{UpstreamBudget: 5, Loaders: opts})
	query, _ := manyContacts(t, h, 10) // ten ids: ten GET /contact/{id}
	h.emu.ResetStats()
	r := h.do("", query, nil)
	if got := h.emu.Stats().Total; got > 5 {
		t.Errorf("%d upstream requests went out, budget 5", got)
	}
	answered, stopped := 0, 0
	for k := range r.Data {
		if get(r.Data, k, "name") != nil {
			answered++
		}
	}
	for _, e := range r.Errors {
		if e.code() == "UPSTREAM_BUDGET_EXCEEDED" && e.Extensions["budget"] == 5.0 {
			stopped++
		}
	}
	if answered != 5 || stopped != 5 || len(r.Errors) != 5 {
		t.Errorf("answered %d, stopped %d, errors %+v: want the first five and five clear errors", answered, stopped, r.Errors)
	}
}

func TestLimits_UpstreamConcurrencyPerKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{UpstreamConcurrency: 3}, emulator.WithLatency(20*time.Millisecond))
	query, ids := manyContacts(t, h, 10)
	h.emu.ResetStats()
	r := h.ok("", query, nil)
	st := h.emu.Stats()
	if st.ByRoute["GET /contact/{id}"] != int64(len(ids)) || len(r.Data) != len(ids) {
		t.Fatalf("routes %v", st.ByRoute)
	}
	if st.MaxInFlight > 3 {
		t.Errorf("%d upstream requests in flight at once for one key, limit 3", st.MaxInFlight)
	}
	if st.MaxInFlight < 2 {
		t.Errorf("requests never overlapped (%d): the limit is not what kept them apart", st.MaxInFlight)
	}
}

// TestCancellation: a client that gives up cancels the upstream requests
// it started.
func TestCancellation_ReachesTheUpstream(t *testing.T) {
	t.Parallel()
	h := setup(t, emulator.WithLatency(3*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.endpoint, strings.NewReader(`{"query":"{ users { totalCount } groups { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the request did not time out")
	}
	// The emulator notices the cancelled requests while they wait out its
	// latency; poll for it rather than assume a duration.
	deadline := time.Now().Add(10 * time.Second)
	for h.emu.Stats().Cancelled < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := h.emu.Stats().Cancelled; got < 2 {
		t.Errorf("%d upstream requests cancelled, want both", got)
	}
}

// TestReliability_FaultSoak runs a few hundred mixed operations while 10 % of
// upstream requests fail (503, cut before, or answer lost after doing the
// work) and each takes a few milliseconds: every read succeeds, every
// create happens exactly once, and no update loses a field.
func TestReliability_FaultSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	t.Parallel()
	h := setup(t)
	const workers, perWorker = 6, 50 // 300 operations
	// Each worker owns a contact and updates its own field of it.
	contacts := make([]string, workers)
	for i := range contacts {
		contacts[i] = str(h.ok("", `mutation { createContact(input: {firstName: "Soak"}) { id } }`, nil).Data, "createContact", "id")
	}
	h.emu.SetLatency(3 * time.Millisecond)
	h.emu.SetFaultRate(0.10)
	h.emu.ResetStats()
	run := fmt.Sprintf("soak-%d", time.Now().UnixNano())
	var reads, creates, updates atomic.Int64
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				switch i % 3 {
				case 0:
					r := h.do("", `{ opportunities(first: 10) { nodes { name customer { __typename } leadUser { name } notes { nodes { text } } } } }`, nil)
					for _, e := range r.Errors {
						if e.code() != "NOT_FOUND" {
							fail("read: %+v", e)
						}
					}
					if len(list(r.Data, "opportunities", "nodes")) != 10 {
						fail("read: %v", r.Data)
					}
					reads.Add(1)
				case 1:
					text := fmt.Sprintf("%s-%d-%d", run, w, i)
					r := h.do("", `mutation($t: String!, $c: ID!) { createNote(input: {text: $t, customerIds: [$c]}) { id } }`,
						map[string]any{"t": text, "c": contacts[w]})
					if len(r.Errors) > 0 {
						fail("create %s: %+v", text, r.Errors)
					}
					creates.Add(1)
				case 2:
					// Worker w keeps rewriting the title; the tags it set in
					// earlier rounds must survive.
					r := h.do("", `mutation($id: ID!, $t: String, $tags: [String!]) { updateContact(id: $id, input: {title: $t, tags: $tags}) { id } }`,
						map[string]any{"id": contacts[w], "t": fmt.Sprintf("title-%d", i), "tags": []string{fmt.Sprintf("w%d", w)}})
					if len(r.Errors) > 0 {
						fail("update: %+v", r.Errors)
					}
					r = h.do("", `mutation($id: ID!, $d: String) { updateContact(id: $id, input: {description: $d}) { id } }`,
						map[string]any{"id": contacts[w], "d": fmt.Sprintf("desc-%d", i)})
					if len(r.Errors) > 0 {
						fail("update: %+v", r.Errors)
					}
					updates.Add(2)
				}
			}
		})
	}
	wg.Wait()
	st := h.emu.Stats()
	h.emu.SetFaultRate(0)
	h.emu.SetLatency(0)
	t.Logf("%d reads, %d creates, %d updates; %d upstream requests, %d faults injected", reads.Load(), creates.Load(), updates.Load(), st.Total, st.Faults)
	if len(failures) > 0 {
		t.Fatalf("%d failures, first: %v", len(failures), failures[:min(5, len(failures))])
	}
	if st.Faults < 50 {
		t.Errorf("only %d faults: the test did not test much", st.Faults)
	}
	ctx := context.Background()
	c := h.client(ownerKey)
	notes, err := c.Notes.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	made := map[string]int{}
	for _, n := range notes {
		if strings.HasPrefix(n.Text, run) {
			made[n.Text]++
		}
	}
	if len(made) != int(creates.Load()) {
		t.Errorf("%d distinct notes for %d creates", len(made), creates.Load())
	}
	for text, n := range made {
		if n != 1 {
			t.Errorf("note %s created %d times", text, n)
		}
	}
	for w, id := range contacts {
		x, err := c.Contacts.Get(ctx, local(id))
		if err != nil {
			t.Fatal(err)
		}
		last := perWorker - 1 - (perWorker-1-2)%3 // the last i with i%3 == 2
		if x.FirstName != "Soak" || x.Title != fmt.Sprintf("title-%d", last) || x.Description != fmt.Sprintf("desc-%d", last) ||
			len(x.Tags) != 1 || x.Tags[0] != fmt.Sprintf("w%d", w) {
			t.Errorf("contact %s after the updates: %q %q %q %v", id, x.FirstName, x.Title, x.Description, x.Tags)
		}
	}
}

// Ten ids with a budget of five: the loaders read the collection instead,
// so the whole query is answered within the budget.
func TestLimits_BudgetChoosesTheCollection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{UpstreamBudget: 5})
	query, _ := manyContacts(t, h, 10)
	h.emu.ResetStats()
	r := h.ok("", query, nil)
	if st := h.emu.Stats(); st.Total != 1 || st.ByRoute["GET /contact"] != 1 {
		t.Errorf("routes %s, want one GET /contact", describe(st.ByRoute))
	}
	for k := range r.Data {
		if get(r.Data, k, "name") == nil {
			t.Errorf("%s not answered", k)
		}
	}
}
