package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// countingFacade is the facade with the replica on, over HTTP, reporting
// the places each operation's pages examined.
type countingFacade struct {
	t        *testing.T
	url      string
	examined chan int64 // one per operation, once it is answered
}

func newCountingFacade(t *testing.T, sizes emulator.Sizes) *countingFacade {
	t.Helper()
	emu, err := emulator.New(emulator.WithSizes(sizes))
	if err != nil {
		t.Fatal(err)
	}
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(func() { emuSrv.Close(); emu.Close() })
	h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: emuSrv.URL + "/api", DefaultAPIKey: ownerKey,
		CacheTTL: time.Hour, MaxOperations: -1, MaxOperationsPerKey: -1})
	if err != nil {
		t.Fatal(err)
	}
	f := &countingFacade{t: t, examined: make(chan int64, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, examined := graph.CountPageWork(r.Context())
		h.ServeHTTP(w, r.WithContext(ctx))
		f.examined <- examined()
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// query runs a query that must succeed, and returns its data and the
// places its pages examined.
func (f *countingFacade) query(query string, vars map[string]any) (map[string]any, int64) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := http.Post(f.url, "application/json", bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || len(r.Errors) > 0 {
		f.t.Fatalf("%v %+v\n%s %v", err, r.Errors, query, vars)
	}
	return r.Data, <-f.examined
}

const opportunityPage = `query($first: Int, $after: String, $last: Int, $before: String, $filter: OpportunityFilter, $order: OpportunityOrder) {
	opportunities(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id status } } }`

// A filtered page on an indexed field costs the page and a binary search,
// O(page + log n), whatever the account's size: counted, at 1,000 and at
// 16,000 opportunities. A filter the index cannot answer passes over the
// collection (the counter sees that pass).
func TestIndexes_FilteredPageCostsThePageAndLogN(t *testing.T) {
	t.Parallel()
	const pageSize = 10
	for _, n := range []int{1000, 16_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			f := newCountingFacade(t, emulator.Sizes{Contacts: 50, Companies: 10, Opportunities: n})
			order := map[string]any{"field": "VALUE", "direction": "DESC"}
			open := map[string]any{"status": []string{"open"}}
			vars := map[string]any{"first": pageSize, "filter": open, "order": order}
			first, _ := f.query(opportunityPage, vars) // fills the replica and builds the indexes
			conn := first["opportunities"].(map[string]any)
			matching := int64(conn["totalCount"].(float64))
			if matching < int64(n)/10 || matching == int64(n) {
				t.Fatalf("%d of %d opportunities are open: the test needs a filter that keeps some", matching, n)
			}
			everyone, _ := f.query(`{ opportunities(first: 0) { totalCount } }`, nil)
			visible := int64(get(everyone, "opportunities", "totalCount").(float64))
			// log2(n) probes for a cursor, with room for the search's last step.
			search := int64(bits.Len(uint(n)) + 1)

			_, examined := f.query(opportunityPage, vars)
			if examined > pageSize {
				t.Errorf("first page: %d places examined, want at most the page (%d)", examined, pageSize)
			}
			vars["after"] = get(conn, "pageInfo", "endCursor")
			_, examined = f.query(opportunityPage, vars)
			if examined > pageSize+search {
				t.Errorf("later page: %d places examined, want at most the page and a binary search (%d)", examined, pageSize+search)
			}
			// Another condition besides status: one pass over the open ones.
			vars["filter"] = map[string]any{"status": []string{"OPEN"}, "valueMin": "1"}
			_, examined = f.query(opportunityPage, vars)
			if examined > matching+pageSize+search {
				t.Errorf("status and value: %d places examined, want at most the %d open ones, the page and a search", examined, matching)
			}
			// The same filter under and: the index does not see it.
			vars["filter"] = map[string]any{"and": []any{open}}
			_, examined = f.query(opportunityPage, vars)
			if examined < visible {
				t.Errorf("a filter under and: %d places examined, want the pass over all %d", examined, visible)
			}
		})
	}
}

// An indexed filter answers exactly what the same filter answers without
// the index (nested under and, where the index does not look): the same
// records, totals, page flags and cursors, page after page, both ways, for
// every indexed field, alone and with other conditions.
func TestIndexes_AnswerAsTheFilterDoes(t *testing.T) {
	t.Parallel()
	f := newCountingFacade(t, emulator.Sizes{Contacts: 300, Companies: 60, Opportunities: 300, Cases: 20,
		Tasks: 600, Notes: 400, Comments: 50})
	cases := []struct {
		list, filterType, orderType string
		filter                      map[string]any
		orders                      []string
		none                        bool // the filter keeps no record
	}{
		{"opportunities", "OpportunityFilter", "OpportunityOrder", map[string]any{"status": []string{"Open"}}, []string{"VALUE", "NAME", "STATUS"}, false},
		{"opportunities", "OpportunityFilter", "OpportunityOrder", map[string]any{"status": []string{"won", "LOST", "nothing"}}, []string{"VALUE", "ADDED_ON"}, false},
		{"opportunities", "OpportunityFilter", "OpportunityOrder", map[string]any{"status": []string{"open"}, "search": "a", "not": map[string]any{"valueMax": "100"}}, []string{"VALUE"}, false},
		{"opportunities", "OpportunityFilter", "OpportunityOrder", map[string]any{"status": []string{"none such"}}, []string{"NAME"}, true},
		{"tasks", "TaskFilter", "TaskOrder", map[string]any{"completed": false}, []string{"START", "NAME"}, false},
		{"tasks", "TaskFilter", "TaskOrder", map[string]any{"type": []string{"CALL", "MEETING"}}, []string{"END"}, false},
		{"tasks", "TaskFilter", "TaskOrder", map[string]any{"type": []string{"CALL"}, "completed": true}, []string{"START"}, false},
		{"notes", "NoteFilter", "NoteOrder", map[string]any{"type": []string{"NOTE"}}, []string{"ADDED_ON"}, false},
		{"contacts", "ContactFilter", "ContactOrder", map[string]any{"customerType": []string{"PROSPECT", "CUSTOMER"}}, []string{"LAST_NAME"}, false},
		{"companies", "CompanyFilter", "CompanyOrder", map[string]any{"customerType": []string{"SUPPLIER"}, "search": "e"}, []string{"NAME"}, false},
	}
	for _, c := range cases {
		query := fmt.Sprintf(`query($first: Int, $after: String, $last: Int, $before: String, $filter: %s, $order: %s) {
			%s(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $order) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`,
			c.filterType, c.orderType, c.list)
		for _, field := range c.orders {
			for _, dir := range []string{"ASC", "DESC"} {
				order := map[string]any{"field": field, "direction": dir}
				walk := func(filter map[string]any, forward bool) []string {
					var pages []string
					var cursor any
					for range 100 {
						vars := map[string]any{"filter": filter, "order": order}
						if forward {
							vars["first"], vars["after"] = 23, cursor
						} else {
							vars["last"], vars["before"] = 23, cursor
						}
						data, _ := f.query(query, vars)
						raw, _ := json.Marshal(data)
						pages = append(pages, string(raw))
						conn := data[c.list].(map[string]any)
						next := "hasNextPage"
						cursor = get(conn, "pageInfo", "endCursor")
						if !forward {
							next, cursor = "hasPreviousPage", get(conn, "pageInfo", "startCursor")
						}
						if get(conn, "pageInfo", next) != true {
							return pages
						}
					}
					t.Fatalf("%s %v: more than 100 pages", c.list, c.filter)
					return nil
				}
				for _, forward := range []bool{true, false} {
					indexed := walk(c.filter, forward)
					if kept := !strings.Contains(indexed[0], `"totalCount":0`); kept == c.none {
						t.Fatalf("%s %v: %s", c.list, c.filter, indexed[0])
					}
					passed := walk(map[string]any{"and": []any{c.filter}}, forward)
					if !slices.Equal(indexed, passed) {
						t.Errorf("%s %v by %s %s (forward %v): indexed answer differs\nindexed %.600s\nwithout %.600s",
							c.list, c.filter, field, dir, forward, indexed, passed)
					}
				}
			}
		}
	}
}

// A write through the facade reaches the indexes: the writer's next
// filtered page, answered from the index of its updated copy, has the
// record under its new value and no longer under the old one.
func TestIndexes_FollowWrites(t *testing.T) {
	t.Parallel()
	f := newCountingFacade(t, emulator.Sizes{Contacts: 50, Companies: 10, Opportunities: 200})
	order := map[string]any{"field": "NAME", "direction": "ASC"}
	page := func(status string) (total int, ids []string) {
		data, _ := f.query(opportunityPage, map[string]any{"first": 1000, "filter": map[string]any{"status": []string{status}}, "order": order})
		for _, n := range list(data, "opportunities", "nodes") {
			ids = append(ids, str(n, "id"))
		}
		return int(get(data, "opportunities", "totalCount").(float64)), ids
	}
	open, openIDs := page("Open")
	won, _ := page("Won")
	if open == 0 {
		t.Fatal("no open opportunity to win")
	}
	data, _ := f.query(`mutation($id: ID!) { updateOpportunity(id: $id, input: {status: "Won"}) { id status } }`, map[string]any{"id": openIDs[0]})
	if str(data, "updateOpportunity", "status") != "Won" {
		t.Fatalf("update answered %v", data)
	}
	openAfter, openIDsAfter := page("open")
	wonAfter, wonIDsAfter := page("WON")
	if openAfter != open-1 || slices.Contains(openIDsAfter, openIDs[0]) {
		t.Errorf("open: %d, then %d after the write (still listed: %v)", open, openAfter, slices.Contains(openIDsAfter, openIDs[0]))
	}
	if wonAfter != won+1 || !slices.Contains(wonIDsAfter, openIDs[0]) {
		t.Errorf("won: %d, then %d after the write (listed: %v)", won, wonAfter, slices.Contains(wonIDsAfter, openIDs[0]))
	}
}
