package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// The frontend benchmark: five queries a CRM frontend sends, answered by
// the facade and by the naive client walk, against the emulator over real
// HTTP with 20 ms added to every upstream request and a larger account.
//
//	go test ./graph -run '^$' -bench Frontend -benchtime 3x
const benchLatency = 20 * time.Millisecond

const (
	pipelineBoardQuery = `{ opportunities(first: 50, filter: {status: ["Open"]}) { nodes { id name value
		customer { __typename ... on Contact { name company { name } } ... on Company { name } }
		leadUser { name }
		notes { nodes { text comments { nodes { text author { name } } } } } } } }`
	contactPageQuery = `query($id: ID!) { contact(id: $id) { name title emails company { name }
		notes { nodes { text } } tasks { nodes { name } } cases { nodes { name } } opportunities { nodes { name status } }
		customFields { field { name type } value linkedRecord { __typename
			... on User { name } ... on Contact { name } ... on Company { name } ... on Case { name } ... on Opportunity { name } } } } }`
	contactListQuery = `{ contacts(first: 100, orderBy: {field: LAST_NAME}) { nodes { firstName lastName tags company { name } } } }`
	companyPageQuery = `query($id: ID!) { company(id: $id) { name contacts { nodes { name
		tasks(filter: {completed: false}) { nodes { name assignee { name } } } } } } }`
	writeMutation  = `mutation($c: ID!) { createNote(input: {text: "Called about the renewal", customerIds: [$c]}) { id } }`
	writeReadQuery = `query($c: ID!) { contact(id: $c) { notes { nodes { text } } } }`
)

type benchEnv struct {
	emu      *emulator.Emulator
	endpoint string
	client   *clevertim.Client // the owner's, over a tracked transport
	contact  clevertim.ID      // the contact page's contact
	company  clevertim.ID      // the company page's company
	writeTo  clevertim.ID      // the contact the write benchmark adds notes to, fresh for each run
}

func newBenchEnv(b *testing.B, latency time.Duration, cfg graph.HandlerConfig) *benchEnv {
	b.Helper()
	emu, err := emulator.New(emulator.WithSizes(emulator.BenchmarkSizes()))
	if err != nil {
		b.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)
	b.Cleanup(func() { emuSrv.Close(); emu.Close() })
	cfg.UpstreamURL, cfg.DefaultAPIKey = emuSrv.URL+"/api", ownerKey
	h, err := graph.NewHandler(cfg)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	env := &benchEnv{emu: emu, endpoint: srv.URL, client: newHarnessClient(b, emuSrv.URL+"/api")}
	env.pickRecords(b)
	emu.SetLatency(latency)
	return env
}

// newHarnessClient is the owner's REST client, over a transport that
// counts requests for the tracker in the context.
func newHarnessClient(b *testing.B, base string) *clevertim.Client {
	b.Helper()
	c, err := clevertim.NewClient(clevertim.WithBaseURL(base), clevertim.WithAPIKey(ownerKey),
		clevertim.WithHTTPClient(&http.Client{Transport: &upstream.Transport{}}))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// pickRecords chooses the busiest contact and company, deterministically.
func (e *benchEnv) pickRecords(b *testing.B) {
	ctx := context.Background()
	contacts, err := e.client.Contacts.List(ctx)
	if err != nil {
		b.Fatal(err)
	}
	best, perCompany := -1, map[clevertim.ID]int{}
	for _, c := range contacts {
		score := len(c.NoteIDs) + len(c.TaskIDs) + len(c.CaseIDs) + len(c.OpportunityIDs) + len(c.CustomFields)
		if c.CompanyID != nil {
			perCompany[*c.CompanyID]++
		}
		if score > best {
			best, e.contact = score, c.ID
		}
	}
	most := 0
	for id, n := range perCompany {
		if n > most || (n == most && id < e.company) {
			most, e.company = n, id
		}
	}
}

// freshContact gives the write benchmark a contact with no notes, so that
// every run (and every -count) starts alike rather than reading the notes
// earlier runs added.
func (e *benchEnv) freshContact(b *testing.B) {
	b.Helper()
	c, err := e.client.Contacts.Create(context.Background(), &clevertim.Contact{FirstName: "Bench", LastName: "Write"})
	if err != nil {
		b.Fatal(err)
	}
	e.writeTo = c.ID
}

// gql runs one operation through the facade and returns its upstream figures.
func (e *benchEnv) gql(b *testing.B, query string, vars map[string]any) (upstream.Summary, map[string]any) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(e.endpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data       map[string]any `json:"data"`
		Errors     []gqlError     `json:"errors"`
		Extensions struct {
			Upstream upstream.Summary `json:"upstream"`
		} `json:"extensions"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.Fatal(err)
	}
	for _, er := range out.Errors {
		if er.code() != "NOT_FOUND" { // links to records the owner may not see
			b.Fatalf("%+v", out.Errors)
		}
	}
	return out.Extensions.Upstream, out.Data
}

type frontendQuery struct {
	name   string
	facade func(b *testing.B, e *benchEnv) (upstream.Summary, int)
	naive  func(ctx context.Context, n *naive, e *benchEnv) (int, error)
	// prepare, if set, runs before each run of either walk, untimed.
	prepare func(e *benchEnv, b *testing.B)
}

func countComments(data map[string]any) int {
	n := 0
	for _, o := range list(data, "opportunities", "nodes") {
		for _, note := range list(o, "notes", "nodes") {
			n += len(list(note, "comments", "nodes"))
		}
	}
	return n
}

var frontendQueries = []frontendQuery{
	{name: "1-pipeline-board", facade: func(b *testing.B, e *benchEnv) (upstream.Summary, int) {
		s, d := e.gql(b, pipelineBoardQuery, nil)
		return s, countComments(d)
	}, naive: func(ctx context.Context, n *naive, e *benchEnv) (int, error) { return n.pipelineBoard(ctx) }},
	{name: "2-contact-page", facade: func(b *testing.B, e *benchEnv) (upstream.Summary, int) {
		s, d := e.gql(b, contactPageQuery, map[string]any{"id": e.contact})
		c := d["contact"]
		reached := len(list(c, "notes", "nodes")) + len(list(c, "tasks", "nodes")) + len(list(c, "cases", "nodes")) + len(list(c, "opportunities", "nodes"))
		for _, v := range list(c, "customFields") {
			if get(v, "linkedRecord") != nil {
				reached++
			}
		}
		return s, reached
	}, naive: func(ctx context.Context, n *naive, e *benchEnv) (int, error) { return n.contactPage(ctx, e.contact) }},
	{name: "3-contact-list", facade: func(b *testing.B, e *benchEnv) (upstream.Summary, int) {
		s, d := e.gql(b, contactListQuery, nil)
		return s, len(list(d, "contacts", "nodes"))
	}, naive: func(ctx context.Context, n *naive, e *benchEnv) (int, error) { return n.contactList(ctx) }},
	{name: "4-company-page", facade: func(b *testing.B, e *benchEnv) (upstream.Summary, int) {
		s, d := e.gql(b, companyPageQuery, map[string]any{"id": e.company})
		open := 0
		for _, c := range list(d, "company", "contacts", "nodes") {
			open += len(list(c, "tasks", "nodes"))
		}
		return s, open
	}, naive: func(ctx context.Context, n *naive, e *benchEnv) (int, error) { return n.companyPage(ctx, e.company) }},
	{name: "5-write", facade: func(b *testing.B, e *benchEnv) (upstream.Summary, int) {
		w, _ := e.gql(b, writeMutation, map[string]any{"c": e.writeTo})
		r, d := e.gql(b, writeReadQuery, map[string]any{"c": e.writeTo})
		return upstream.Summary{Requests: w.Requests + r.Requests, Rounds: w.Rounds + r.Rounds}, len(list(d, "contact", "notes", "nodes"))
	}, naive: func(ctx context.Context, n *naive, e *benchEnv) (int, error) { return n.write(ctx, e.writeTo) }, prepare: (*benchEnv).freshContact},
}

type benchFigures struct {
	requests, rounds, msPerOp float64
}

func BenchmarkFrontend(b *testing.B) {
	env := newBenchEnv(b, benchLatency, graph.HandlerConfig{})
	results := map[string]*[2]benchFigures{}
	var mu sync.Mutex
	record := func(name string, which int, f benchFigures) {
		mu.Lock()
		defer mu.Unlock()
		if results[name] == nil {
			results[name] = &[2]benchFigures{}
		}
		results[name][which] = f
	}
	for _, q := range frontendQueries {
		var facadeReached, naiveReached int
		b.Run(q.name+"/facade", func(b *testing.B) {
			if q.prepare != nil {
				q.prepare(env, b)
			}
			var req, rounds int
			start := time.Now()
			for b.Loop() {
				s, reached := q.facade(b, env)
				req, rounds, facadeReached = req+s.Requests, rounds+s.Rounds, reached
			}
			n := float64(b.N)
			b.ReportMetric(float64(req)/n, "upstream-req/op")
			b.ReportMetric(float64(rounds)/n, "rounds/op")
			record(q.name, 0, benchFigures{float64(req) / n, float64(rounds) / n, float64(time.Since(start).Milliseconds()) / n})
		})
		b.Run(q.name+"/naive", func(b *testing.B) {
			if q.prepare != nil {
				q.prepare(env, b)
			}
			var req, rounds int
			start := time.Now()
			for b.Loop() {
				tr := upstream.NewTracker(0)
				ctx := upstream.WithTracker(context.Background(), tr)
				reached, err := q.naive(ctx, newNaive(env.client), env)
				if err != nil {
					b.Fatal(err)
				}
				s := tr.Summary()
				req, rounds, naiveReached = req+s.Requests, rounds+s.Rounds, reached
			}
			n := float64(b.N)
			b.ReportMetric(float64(req)/n, "upstream-req/op")
			b.ReportMetric(float64(rounds)/n, "rounds/op")
			record(q.name, 1, benchFigures{float64(req) / n, float64(rounds) / n, float64(time.Since(start).Milliseconds()) / n})
		})
		// Both walks must reach the same data, or the comparison means nothing.
		if facadeReached != naiveReached && q.name != "5-write" {
			b.Errorf("%s: the facade reached %d records, the naive walk %d", q.name, facadeReached, naiveReached)
		}
	}
	printTable(results)
}

func printTable(results map[string]*[2]benchFigures) {
	names := make([]string, 0, len(results))
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| query | facade requests | naive requests | ratio | facade rounds | naive rounds | facade ms/op | naive ms/op | ratio |\n")
	fmt.Fprintf(&sb, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, n := range names {
		f, v := results[n][0], results[n][1]
		fmt.Fprintf(&sb, "| %s | %.0f | %.0f | 1/%.1f | %.1f | %.0f | %.0f | %.0f | 1/%.1f |\n",
			n, f.requests, v.requests, v.requests/max(f.requests, 1), f.rounds, v.rounds, f.msPerOp, v.msPerOp, v.msPerOp/max(f.msPerOp, 1))
	}
	fmt.Fprint(os.Stdout, sb.String())
}
