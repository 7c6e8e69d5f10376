package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
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

// roundTripFunc makes a function an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestErrors_Upstream500IsOurs: Clevertim answers 500 when it could not read
// the JSON it was sent. That is the facade's fault, whatever the message
// says, so the caller is not told to fix their input.
func TestErrors_Upstream500IsOurs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost {
			return &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
				Body: io.NopCloser(strings.NewReader(`{"status":"ERROR","error":"the request body is not valid JSON"}`))}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})})
	e := h.fails("", `mutation { createContact(input: {firstName: "Ann"}) { id } }`, nil, graph.CodeInternal)
	if strings.Contains(e.Message, "not valid JSON") {
		t.Errorf("the upstream's message reached the caller: %q", e.Message)
	}
}

// TestUpdate_UntouchedFieldsAsStored: a partial update changes the fields
// its input names and leaves every other field upstream byte for byte as it
// was; a null description stays null.
func TestUpdate_UntouchedFieldsAsStored(t *testing.T) {
	t.Parallel()
	h := setup(t)
	id := string(h.raw("POST", "/contact", `{"fn":"Ada","tags":["x"]}`)[0]["id"])
	before := h.raw("GET", "/contact/"+id, "")[0]
	if string(before["description"]) != "null" || string(before["city"]) != "null" {
		t.Fatalf("the test wants null text fields: %s %s", before["description"], before["city"])
	}
	h.ok("", `mutation($id: ID!) { updateContact(id: $id, input: {title: "Countess", address: {country: "UK"}}) { id } }`,
		map[string]any{"id": id})
	after := h.raw("GET", "/contact/"+id, "")[0]
	var changed []string
	for k, v := range before {
		if k != "lm" && !bytes.Equal(v, after[k]) {
			changed = append(changed, fmt.Sprintf("%s: %s -> %s", k, v, after[k]))
		}
	}
	slices.Sort(changed)
	if len(changed) != 2 || !strings.HasPrefix(changed[0], "country:") || !strings.HasPrefix(changed[1], "title:") {
		t.Errorf("changed upstream: %v; want country and title (and lm)", changed)
	}
}

// holdTheFirstRead is an upstream transport whose first GET /user waits
// until let is called, holding one of its key's connections meanwhile. It
// notes the deadline of the POSTs it sends.
type holdTheFirstRead struct {
	once, released sync.Once
	held, release  chan struct{}

	mu            sync.Mutex
	postDeadlines []time.Time
}

func newHold() *holdTheFirstRead {
	return &holdTheFirstRead{held: make(chan struct{}), release: make(chan struct{})}
}

func (h *holdTheFirstRead) let() { h.released.Do(func() { close(h.release) }) }

func (h *holdTheFirstRead) RoundTrip(r *http.Request) (*http.Response, error) {
	first := false
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/user") {
		h.once.Do(func() { first = true })
	}
	if first {
		close(h.held)
		<-h.release
	}
	if d, ok := r.Context().Deadline(); ok && r.Method == http.MethodPost {
		h.mu.Lock()
		h.postDeadlines = append(h.postDeadlines, d)
		h.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestLimits_WaitingForAConnectionIsNotSending: a write that waits for one
// of its key's connections has not been sent. If the operation's deadline
// passes meanwhile, it is reported as not sent, with no reconciliation read;
// and the wait does not use up the upstream timeout, which starts when the
// request leaves.
func TestLimits_WaitingForAConnectionIsNotSending(t *testing.T) {
	t.Parallel()
	// A create that reads nothing first: its POST is what waits.
	const create = `mutation { createContact(input: {firstName: "Queued"}) { id } }`
	run := func(t *testing.T, cfg graph.HandlerConfig, hold *holdTheFirstRead, whileHeld func(h *harness) response) (*harness, response) {
		cfg.UpstreamConcurrency, cfg.Transport = 1, hold
		h := newHarness(t, cfg)
		h.emu.ResetStats()
		read := make(chan struct{})
		go func() { defer close(read); h.do("", `{ users { totalCount } }`, nil) }()
		<-hold.held
		r := whileHeld(h)
		hold.let()
		<-read
		return h, r
	}
	t.Run("deadline while waiting", func(t *testing.T) {
		t.Parallel()
		h, r := run(t, graph.HandlerConfig{OperationTimeout: 300 * time.Millisecond}, newHold(), func(h *harness) response {
			return h.do("", create, nil)
		})
		if len(r.Errors) != 1 || r.Errors[0].code() != "UPSTREAM_UNAVAILABLE" || !strings.Contains(r.Errors[0].Message, "not sent") {
			t.Errorf("want a not-sent error: %+v", r.Errors)
		}
		if st := h.emu.Stats(); st.ByRoute["POST /contact"] != 0 || st.ByRoute["GET /contact"] != 0 {
			t.Errorf("upstream requests: %s; want no POST and no reconciliation read", describe(st.ByRoute))
		}
	})
	t.Run("the timeout starts when the request leaves", func(t *testing.T) {
		t.Parallel()
		hold := newHold()
		var released time.Time
		h, r := run(t, graph.HandlerConfig{}, hold, func(h *harness) response {
			done := make(chan response)
			go func() { done <- h.do("", create, nil) }()
			// Time for the write to queue; if it is slower, the test is only
			// weaker.
			time.Sleep(100 * time.Millisecond)
			released = time.Now()
			hold.let()
			return <-done
		})
		if len(r.Errors) != 0 || str(r.Data, "createContact", "id") == "" {
			t.Errorf("the queued write failed: %+v", r.Errors)
		}
		if st := h.emu.Stats(); st.ByRoute["POST /contact"] != 1 || st.ByRoute["GET /contact"] != 0 {
			t.Errorf("upstream requests: %s; want one POST and no reconciliation read", describe(st.ByRoute))
		}
		// Its full timeout counts from when it got the connection, which
		// was after the held read let go of it.
		hold.mu.Lock()
		defer hold.mu.Unlock()
		if len(hold.postDeadlines) != 1 || hold.postDeadlines[0].Before(released.Add(graph.DefaultUpstreamTimeout)) {
			t.Errorf("the POST's deadline %v is before %v: its timeout ran while it waited", hold.postDeadlines, released.Add(graph.DefaultUpstreamTimeout))
		}
	})
}

// TestReliability_IdenticalCreatesUnderFaults: identical creates (same text,
// same customer) while upstream requests fail before reaching Clevertim
// (cut, 503) or after it did the work (answer lost). Every success names a
// record of its own, and every record stored is a success's.
func TestReliability_IdenticalCreatesUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	t.Parallel()
	h := setup(t)
	text := fmt.Sprintf("same-%d", time.Now().UnixNano())
	h.emu.SetFaultRate(0.15)
	h.emu.ResetStats()
	const workers, perWorker = 8, 30 // 240 creates
	var mu sync.Mutex
	ids := map[string]int{}
	unknown, failed := 0, []string{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range perWorker {
				r := h.do("", `mutation($t: String!) { createNote(input: {text: $t, customerIds: ["1030"]}) { clevertimId } }`, map[string]any{"t": text})
				mu.Lock()
				switch {
				case len(r.Errors) == 0:
					ids[str(r.Data, "createNote", "clevertimId")]++
				case r.Errors[0].code() == "UPSTREAM_OUTCOME_UNKNOWN":
					unknown++
				default:
					failed = append(failed, r.Errors[0].Message)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := h.emu.Stats()
	h.emu.SetFaultRate(0)
	notes, err := h.client(ownerKey).Notes.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, n := range notes {
		if n.Text == text {
			stored[string(n.ID)] = true
		}
	}
	successes := 0
	for id, n := range ids {
		successes += n
		if n != 1 {
			t.Errorf("record %s was answered to %d creates", id, n)
		}
		if !stored[id] {
			t.Errorf("record %s was answered but is not stored", id)
		}
	}
	t.Logf("%d creates: %d successes, %d unknown, %d failed; %d stored; %d faults, %d reconciliation reads",
		workers*perWorker, successes, unknown, len(failed), len(stored), st.Faults, st.ByRoute["GET /note"])
	if len(stored) < successes || len(stored) > successes+unknown {
		t.Errorf("%d records stored for %d successes and %d unknown outcomes", len(stored), successes, unknown)
	}
	if len(failed) > 0 {
		t.Errorf("%d creates failed, first: %s", len(failed), failed[0])
	}
	if st.Faults < 40 || st.ByRoute["GET /note"] == 0 {
		t.Errorf("%d faults, %d reconciliation reads: the test did not test much", st.Faults, st.ByRoute["GET /note"])
	}
}
