package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// FuzzCursor decodes arbitrary cursors: no panic, a clear input error for
// what is not a cursor, and every cursor the facade makes decodes to the
// place it was made for.
func FuzzCursor(f *testing.F) {
	ord := contacts.ordering(&model.ContactOrder{Field: model.ContactOrderFieldLastName})
	coll := newCollator()
	at := func(last, first, id string) place {
		return place{key: []sortKey{coll.text(last), coll.text(first)}, id: clevertim.ID(id)}
	}
	for _, seed := range []string{"", "bm9wZQ", encodeCursor(ord, at("smith", "ann", "1042")),
		encodeCursor(ord, place{key: []sortKey{{null: true}, coll.text("")}, id: "f12"}), "YzEBSUQ6YXNjAQEx", "%%%",
		"eyJ2IjoyLCJvIjoiTEFTVF9OQU1FOmFzYyIsImsiOltudWxsXSwiaWQiOiIxIn0"} {
		f.Add(seed, "k", "7")
	}
	f.Fuzz(func(t *testing.T, cursor, key, id string) {
		if _, err := decodeCursor(cursor, ord, coll, "after"); err != nil {
			if _, ok := err.(*InputError); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
		}
		if id == "" || !utf8.ValidString(key) || !utf8.ValidString(id) {
			return // ids are never empty; Clevertim's JSON is UTF-8
		}
		pl := at(key, key, id)
		got, err := decodeCursor(encodeCursor(ord, pl), ord, coll, "after")
		if err != nil || ord.compare(got, pl) != 0 || got.id != pl.id || got.key[0].text != pl.key[0].text {
			t.Fatalf("cursor of %+v decoded as %+v, %v", pl, got, err)
		}
	})
}

// FuzzID reads GraphQL ID inputs: strings and integers that look like a
// Clevertim id, never anything that could change the URL path it goes into.
func FuzzID(f *testing.F) {
	f.Add("12", int64(12))
	f.Add("", int64(-1))
	f.Add("f1001", int64(0))
	f.Add("../x", int64(1))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		id, err := model.UnmarshalID(s)
		if err == nil && (string(id) != s || len(s) > model.MaxIDLength || strings.IndexFunc(s, func(r rune) bool {
			return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r == '_' || r == '-')
		}) >= 0) {
			t.Fatalf("UnmarshalID(%q) = %q", s, id)
		}
		if _, err := strconv.ParseUint(s, 10, 63); err == nil && s[0] != '+' {
			if _, err := model.UnmarshalID(s); err != nil {
				t.Fatalf("UnmarshalID(%q): %v", s, err)
			}
		}
		if id, err := model.UnmarshalID(n); (err == nil) != (n >= 0) || (err == nil && id != clevertim.IDFromInt(n)) {
			t.Fatalf("UnmarshalID(%d) = %q, %v", n, id, err)
		}
	})
}

// FuzzOperation sends arbitrary GraphQL documents and variables through the
// whole handler, in front of the emulator: whatever comes in, the answer is
// JSON, never a 5xx, and every error carries an extensions.code.
func FuzzOperation(f *testing.F) {
	emu, err := emulator.New()
	if err != nil {
		f.Fatal(err)
	}
	upstreamSrv := httptest.NewServer(emu)
	f.Cleanup(upstreamSrv.Close)
	h, err := NewHandler(HandlerConfig{UpstreamURL: upstreamSrv.URL + "/api", DefaultAPIKey: emulator.OwnerKey,
		Retry: clevertim.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][2]string{
		{`{ contacts(first: 2) { nodes { name company { name } } } }`, `{}`},
		{`query($f: ContactFilter) { contacts(filter: $f) { totalCount } }`, `{"f": {"search": "a", "customerType": ["LEAD"], "or": [{"tags": ["vip"]}]}}`},
		{`query($a: String) { notes(after: $a, first: 1) { edges { cursor } } }`, `{"a": "YzEBSUQBAQE"}`},
		{`mutation($i: CreateContactInput!) { createContact(input: $i) { id } }`, `{"i": {"firstName": "F", "phones": [{"type": "WORK", "number": "1"}]}}`},
		{`mutation($i: UpdateTaskInput!) { updateTask(id: "1", input: $i) { id } }`, `{"i": {"start": {"date": "2026-13-01"}}}`},
		{`{ contact(id: 1) { customFields { field { name } linkedRecord { __typename } } } }`, `null`},
		{`{ __schema { types { name } } }`, `{}`},
		{`{ a: users { totalCount } a: groups { totalCount } }`, `{}`},
		{`mutation { createNote(input: {text: "x", customerIds: ["x", "1"], visibility: {groupIds: ["101"]}}) { id } }`, `{}`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, query, vars string) {
		body, err := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(vars)})
		if err != nil {
			body, _ = json.Marshal(map[string]any{"query": query})
		}
		req := httptest.NewRequest("POST", "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= http.StatusInternalServerError {
			t.Fatalf("HTTP %d for %q %s: %s", rec.Code, query, vars, rec.Body)
		}
		var resp struct {
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not JSON: %s", rec.Body)
		}
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" || code == CodeInternal {
				t.Fatalf("error without a client code for %q %s: %+v", query, vars, e)
			}
		}
	})
}
