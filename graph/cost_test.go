package graph_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// A contact with 15 notes on an account with thousands costs 15 small GETs,
// not the notes collection: before the collection's size is known, and
// after a full read has shown what it costs.
func TestCost_FewLinksOfALargeCollectionAreFetchedByID(t *testing.T) {
	t.Parallel()
	counter := &countingTransport{base: sizeBenchTransport()}
	h := newHarness(t, graph.HandlerConfig{Transport: counter}, emulator.WithSizes(emulator.BenchmarkSizes()))
	ctx := context.Background()
	c := h.client(ownerKey)
	all, err := c.Notes.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	collectionBytes := int64(0)
	req, _ := http.NewRequest(http.MethodGet, h.upstream+"/note", nil)
	req.SetBasicAuth(ownerKey, "X")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		collectionBytes, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	people, err := c.Contacts.List(ctx)
	if err != nil || len(people) == 0 {
		t.Fatal(err)
	}
	contact := people[0].ID
	for i := range 15 {
		if _, err := c.Notes.Create(ctx, &clevertim.Note{Text: fmt.Sprintf("note %d", i), CustomerIDs: clevertim.IDList{contact}}); err != nil {
			t.Fatal(err)
		}
	}
	x, err := c.Contacts.Get(ctx, contact)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.NoteIDs) < 15 || len(x.NoteIDs) > 24 || len(all) < 2000 {
		t.Fatalf("contact has %d notes of %d: not the case this test is for", len(x.NoteIDs), len(all))
	}
	const q = `query($id: ID!) { contact(id: $id) { id notes { totalCount nodes { id text } } } }`
	check := func(when string) {
		t.Helper()
		counter.bytes.Store(0)
		r, routes := h.counted(q, map[string]any{"id": contact})
		if n := get(r.Data, "contact", "notes", "totalCount"); n != float64(len(x.NoteIDs)) {
			t.Fatalf("%s: %v notes, want %d", when, n, len(x.NoteIDs))
		}
		if routes["GET /note"] != 0 || routes["GET /note/{id}"] != int64(len(x.NoteIDs)) {
			t.Errorf("%s: routes %s, want %d GET /note/{id} and no GET /note", when, describe(routes), len(x.NoteIDs))
		}
		got := counter.bytes.Load()
		if got*10 > collectionBytes {
			t.Errorf("%s: %d bytes upstream, the notes collection is %d", when, got, collectionBytes)
		}
		t.Logf("%s: %d notes by id, %d bytes upstream; the collection is %d bytes", when, len(x.NoteIDs), got, collectionBytes)
	}
	check("size unknown")
	h.ok("", `{ notes(first: 1) { totalCount } }`, nil) // the key's full read of the notes
	check("size known")
}
