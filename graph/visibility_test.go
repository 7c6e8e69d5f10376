package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

func TestVisibility_UsersSeeTheirOwnGraph(t *testing.T) {
	t.Parallel()
	h := setup(t)
	// Erin files a private note and a private contact; the owner files a
	// note for the Sales group.
	r := h.ok(salesKey, `mutation { c: createContact(input: {firstName: "Secret", lastName: "Lead", visibility: {privateTo: "5"}}) { id visibility privateTo { name } } }`, nil)
	secret := str(r.Data, "c", "id")
	if str(r.Data, "c", "visibility") != "PRIVATE" || str(r.Data, "c", "privateTo", "name") != "Erin Fox" {
		t.Fatalf("private contact: %v", r.Data)
	}
	company := str(h.ok("", `mutation { createCompany(input: {name: "Shared Co"}) { id } }`, nil).Data, "createCompany", "id")
	priv := str(h.ok(salesKey, `mutation($c: ID!) { createNote(input: {text: "private thoughts", customerIds: [$c], visibility: {privateTo: "5"}}) { id } }`,
		map[string]any{"c": company}).Data, "createNote", "id")
	group := str(h.ok("", `mutation($c: ID!) { createNote(input: {text: "for sales", customerIds: [$c], visibility: {groupIds: ["101"]}}) { id } }`,
		map[string]any{"c": company}).Data, "createNote", "id")
	public := str(h.ok("", `mutation($c: ID!) { createNote(input: {text: "for all", customerIds: [$c]}) { id } }`,
		map[string]any{"c": company}).Data, "createNote", "id")

	query := `query($c: ID!) { company(id: $c) { notes { nodes { id text } } } notes(first: 1000) { nodes { id } } contacts(first: 1000) { nodes { id } } }`
	sees := map[string][]string{
		salesKey:    {priv, group, public},
		editorKey:   {group, public},
		ownerKey:    {group, public},
		readonlyKey: {public},
	}
	for key, want := range sees {
		r := h.ok(key, query, map[string]any{"c": company})
		var got []string
		for _, n := range list(r.Data, "company", "notes", "nodes") {
			got = append(got, str(n, "id"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s sees company notes %v, want %v", key, got, want)
		}
		all := ids2(list(r.Data, "notes", "nodes"))
		for _, id := range []string{priv, group, public} {
			if slices.Contains(all, id) != slices.Contains(want, id) {
				t.Errorf("%s: note %s in notes() = %v", key, id, slices.Contains(all, id))
			}
		}
		if slices.Contains(ids2(list(r.Data, "contacts", "nodes")), secret) != (key == salesKey) {
			t.Errorf("%s: the private contact's presence is wrong", key)
		}
	}
	// Asked for directly, the private note is NOT_FOUND for others, and the
	// error says nothing of its content.
	for _, key := range []string{ownerKey, editorKey, readonlyKey} {
		e := h.fails(key, `query($id: ID!) { note(id: $id) { text } }`, map[string]any{"id": priv}, "NOT_FOUND")
		if strings.Contains(e.Message, "private thoughts") {
			t.Errorf("%s: error leaks the note: %q", key, e.Message)
		}
	}
}

// TestVisibility_NoLeakUnderConcurrency runs the same queries as several
// users at once, the private records' owner among them, with and without the
// cross-request cache, and checks every record each gets back against what
// the upstream lets that user see.
func TestVisibility_NoLeakUnderConcurrency(t *testing.T) {
	t.Parallel()
	for _, ttl := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("cache=%v", ttl), func(t *testing.T) {
			t.Parallel()
			noLeak(t, newHarness(t, graph.HandlerConfig{CacheTTL: ttl}))
		})
	}
}

func noLeak(t *testing.T, h *harness) {
	ctx := context.Background()
	keys := []string{ownerKey, adminKey, editorKey, readonlyKey, salesKey}
	visible := map[string]map[string]bool{}
	for _, k := range keys {
		c := h.client(k)
		set := map[string]bool{}
		notes, err := c.Notes.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			set["note:"+string(n.ID)] = true
		}
		contacts, _ := c.Contacts.List(ctx)
		for _, x := range contacts {
			set["contact:"+string(x.ID)] = true
		}
		visible[k] = set
	}
	query := `{ contacts(first: 1000) { nodes { id notes { nodes { id customers { ... on Contact { id } } } } } }
		notes(first: 1000) { nodes { id customers { ... on Contact { id } } } } }`
	const rounds = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	queries := 0
	for i := range rounds * len(keys) {
		key := keys[i%len(keys)]
		wg.Go(func() {
			r := h.do(key, query, nil)
			var bad []string
			check := func(kind string, global string) {
				id := string(local(global))
				if id != "" && !visible[key][kind+":"+id] {
					bad = append(bad, fmt.Sprintf("%s got %s %s", key, kind, id))
				}
			}
			for _, c := range list(r.Data, "contacts", "nodes") {
				check("contact", str(c, "id"))
				for _, n := range list(c, "notes", "nodes") {
					check("note", str(n, "id"))
					for _, cu := range list(n, "customers") {
						check("contact", str(cu, "id"))
					}
				}
			}
			for _, n := range list(r.Data, "notes", "nodes") {
				check("note", str(n, "id"))
				for _, cu := range list(n, "customers") {
					check("contact", str(cu, "id"))
				}
			}
			for _, e := range r.Errors {
				if e.code() != "NOT_FOUND" {
					bad = append(bad, fmt.Sprintf("%s: error %+v", key, e))
				}
			}
			mu.Lock()
			failures = append(failures, bad...)
			queries++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("%d leaks or failures, first: %v", len(failures), failures[:min(5, len(failures))])
	}
	if queries != rounds*len(keys) {
		t.Errorf("ran %d queries", queries)
	}
	t.Logf("%d queries by %d users, every record checked", queries, len(keys))
	// Different users really got different graphs.
	if len(visible[salesKey]) == len(visible[readonlyKey]) {
		t.Error("the demo gives the sales rep and the read-only user the same records")
	}
}

func ids2(nodes []any) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = str(n, "id")
	}
	return out
}
