package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// deferredContacts defers a non-null connection (notes) and, inside it,
// another (comments).
const deferredContacts = `query Board {
  contacts(first: 3, orderBy: {field: ID}) {
    nodes {
      id
      name
      ... @defer(label: "notes") {
        notes(first: 2) { totalCount nodes { id headline ... @defer { comments { totalCount } } } }
      }
    }
  }
}`

// readParts posts a query accepting multipart/mixed as Apollo Client does
// and reads the answer with a real multipart reader.
func readParts(t *testing.T, endpoint string, body map[string]any) (contentType string, parts []map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", endpoint, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "multipart/mixed;deferSpec=20220824,application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	contentType = resp.Header.Get("Content-Type")
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/mixed" {
		raw, _ := io.ReadAll(resp.Body)
		return contentType, []map[string]any{decodeObject(t, raw)}
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return contentType, parts
		}
		if err != nil {
			t.Fatalf("part %d: %v", len(parts), err)
		}
		if ct := p.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("part %d: Content-Type %q", len(parts), ct)
		}
		raw, _ := io.ReadAll(p)
		parts = append(parts, decodeObject(t, raw))
	}
}

func decodeObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	return m
}

func TestDefer_MultipartDeliversDeferredBlocksLater(t *testing.T) {
	t.Parallel()
	h := setup(t)
	contentType, parts := readParts(t, h.endpoint, map[string]any{"query": deferredContacts})
	if !strings.HasPrefix(contentType, "multipart/mixed") || len(parts) < 2 {
		t.Fatalf("want a multipart answer, got %s with %d parts: %v", contentType, len(parts), parts)
	}

	// The first part has the contacts without their deferred notes: absent,
	// not null (notes is non-null).
	first := parts[0]
	nodes := list(first, "data", "contacts", "nodes")
	if len(nodes) != 3 || first["hasNext"] != true {
		t.Fatalf("first part: %v", first)
	}
	for _, n := range nodes {
		if _, ok := n.(map[string]any)["notes"]; ok || str(n, "name") == "" {
			t.Errorf("first part: a contact with notes, or without its name: %v", n)
		}
	}

	// Later parts bring each contact's notes at its path, then each note's
	// comments; the last says there is no more.
	notesAt, commentsAt := map[float64]bool{}, 0
	for i, part := range parts[1:] {
		for _, inc := range list(part, "incremental") {
			path := list(inc, "path")
			data := get(inc, "data").(map[string]any)
			for k, v := range data {
				if v == nil {
					t.Errorf("part %d: %s is null at %v", i+1, k, path)
				}
			}
			switch {
			case len(path) == 3 && get(data, "notes") != nil:
				notesAt[path[2].(float64)] = true
				if str(inc, "label") != "notes" {
					t.Errorf("notes with label %q", str(inc, "label"))
				}
				for _, note := range list(data, "notes", "nodes") {
					if _, ok := note.(map[string]any)["comments"]; ok {
						t.Errorf("a note's deferred comments came with the note: %v", note)
					}
				}
			case len(path) == 6 && get(data, "comments", "totalCount") != nil:
				commentsAt++
			default:
				t.Errorf("unexpected incremental payload: %v", inc)
			}
		}
	}
	if len(notesAt) != 3 {
		t.Errorf("notes delivered for contacts %v, want all 3", notesAt)
	}
	if commentsAt == 0 {
		t.Error("no note's comments were delivered")
	}
	if last := parts[len(parts)-1]; last["hasNext"] != false {
		t.Errorf("last part: %v", last)
	}

	// The body is read once, by the facade: a key gqlgen's multipart
	// transport would read another way (JSON keys match case-insensitively,
	// the last one wins here) does not make it refuse the request.
	contentType, parts = readParts(t, h.endpoint, map[string]any{"Query": 5, "query": deferredContacts})
	if !strings.HasPrefix(contentType, "multipart/mixed") || len(parts) < 2 {
		t.Errorf("a body gqlgen decodes otherwise: %s %v", contentType, parts)
	}
}

// Clients that cannot take multipart get one answer with the deferred
// fragments in place: the same as without @defer.
func TestDefer_JSONClientsGetTheWholeAnswer(t *testing.T) {
	t.Parallel()
	h := setup(t)
	plain := strings.NewReplacer(`... @defer(label: "notes") {`, `... {`, `... @defer {`, `... {`).Replace(deferredContacts)
	want := h.ok("", plain, nil)
	got := h.ok("", deferredContacts, nil)
	if !reflect.DeepEqual(got.Data, want.Data) {
		t.Errorf("merged answer differs:\n got %v\nwant %v", got.Data, want.Data)
	}
	if list(got.Data, "contacts", "nodes", 1, "notes", "nodes") == nil {
		t.Errorf("no notes in the merged answer: %v", got.Data)
	}
	raw := sendRaw(t, "POST", h.endpoint, "application/json", "application/json",
		strings.NewReader(`{"query":`+string(mustJSON(deferredContacts))+`}`))
	if _, ok := raw.body["hasNext"]; ok {
		t.Errorf("a single answer with hasNext: %s", raw.raw)
	}

	// An operation without @defer is one JSON answer even for a client
	// that takes multipart.
	contentType, parts := readParts(t, h.endpoint, map[string]any{"query": plain})
	if !strings.HasPrefix(contentType, "application/json") || len(parts) != 1 || !reflect.DeepEqual(parts[0]["data"], want.Data) {
		t.Errorf("no @defer: %s %v", contentType, parts)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
