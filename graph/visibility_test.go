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
		all := nodeIDs(list(r.Data, "notes", "nodes"))
		for _, id := range []string{priv, group, public} {
			if slices.Contains(all, id) != slices.Contains(want, id) {
				t.Errorf("%s: note %s in notes() = %v", key, id, slices.Contains(all, id))
			}
		}
		if slices.Contains(nodeIDs(list(r.Data, "contacts", "nodes")), secret) != (key == salesKey) {
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

// sees is what one user may see, as the upstream tells it.
type sees struct {
	records      map[string]bool     // "note:12", "contact:1030"
	contacts     []string            // ids, sorted
	notes        []string            // ids, sorted
	contactNotes map[string][]string // a contact's notes, sorted
}

func noLeak(t *testing.T, h *harness) {
	ctx := context.Background()
	keys := []string{ownerKey, adminKey, editorKey, readonlyKey, salesKey}
	visible := map[string]sees{}
	for _, k := range keys {
		c := h.client(k)
		v := sees{records: map[string]bool{}, contactNotes: map[string][]string{}}
		notes, err := c.Notes.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range notes {
			v.records["note:"+string(n.ID)] = true
			v.notes = append(v.notes, string(n.ID))
		}
		contacts, err := c.Contacts.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range contacts {
			v.records["contact:"+string(x.ID)] = true
			v.contacts = append(v.contacts, string(x.ID))
			for _, id := range x.NoteIDs {
				v.contactNotes[string(x.ID)] = append(v.contactNotes[string(x.ID)], string(id))
			}
			slices.Sort(v.contactNotes[string(x.ID)])
		}
		slices.Sort(v.contacts)
		slices.Sort(v.notes)
		visible[k] = v
	}
	query := `{ contacts(first: 1000) { nodes { clevertimId notes { nodes { clevertimId customers { ... on Contact { clevertimId } } } } } }
		notes(first: 1000) { nodes { clevertimId customers { ... on Contact { clevertimId } } } } }`
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
			check := func(kind string, id string) {
				if id != "" && !visible[key].records[kind+":"+id] {
					bad = append(bad, fmt.Sprintf("%s got %s %s", key, kind, id))
				}
			}
			// Nothing missing either: an empty answer is no proof.
			same := func(what string, got, want []string) {
				slices.Sort(got)
				if !slices.Equal(got, want) {
					bad = append(bad, fmt.Sprintf("%s: %d %s, want %d", key, len(got), what, len(want)))
				}
			}
			same("contacts", fieldOf("clevertimId", list(r.Data, "contacts", "nodes")), visible[key].contacts)
			same("notes", fieldOf("clevertimId", list(r.Data, "notes", "nodes")), visible[key].notes)
			for _, c := range list(r.Data, "contacts", "nodes") {
				check("contact", str(c, "clevertimId"))
				same("notes of contact "+str(c, "clevertimId"), fieldOf("clevertimId", list(c, "notes", "nodes")), visible[key].contactNotes[str(c, "clevertimId")])
				for _, n := range list(c, "notes", "nodes") {
					check("note", str(n, "clevertimId"))
					for _, cu := range list(n, "customers") {
						check("contact", str(cu, "clevertimId"))
					}
				}
			}
			for _, n := range list(r.Data, "notes", "nodes") {
				check("note", str(n, "clevertimId"))
				for _, cu := range list(n, "customers") {
					check("contact", str(cu, "clevertimId"))
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
	if len(visible[salesKey].records) == len(visible[readonlyKey].records) {
		t.Error("the demo gives the sales rep and the read-only user the same records")
	}
}

// nodeIDs lists the ids of connection nodes.
func nodeIDs(nodes []any) []string { return fieldOf("id", nodes) }

// fieldOf lists one text field of connection nodes.
func fieldOf(field string, nodes []any) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = str(n, field)
	}
	return out
}
