package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
)

// hostileShape builds a document from a few numbers: a path of nested
// connections depth deep, width copies of a leaf at its end (aliased,
// with directives), a fragment chain spreading each next fragment twice,
// and some __schema fields.
func hostileShape(depth, width, chain, schemas uint16, leaf string, alias, directive bool) string {
	depth, width, chain, schemas = depth%40, width%4000, chain%80, schemas%4
	var b strings.Builder
	b.WriteString("{ ")
	if chain > 0 {
		b.WriteString("...F0 ")
	}
	for i := range schemas {
		fmt.Fprintf(&b, "s%d: __schema { types { name fields { name } } } ", i)
	}
	path := []string{"companies", "nodes", "contacts", "nodes", "company"}
	for i := range depth {
		b.WriteString(path[int(i)%len(path)] + " { ")
	}
	for i := range width {
		if alias {
			fmt.Fprintf(&b, "a%d: ", i)
		}
		b.WriteString(leaf)
		if directive {
			b.WriteString(" @include(if: true)")
		}
		b.WriteByte(' ')
	}
	b.WriteString("__typename")
	b.WriteString(strings.Repeat(" }", int(depth)))
	b.WriteString(" }\n")
	for i := range chain {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	if chain > 0 {
		fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", chain)
	}
	return b.String()
}

// FuzzHostileShape sends documents of hostile shapes through the handler,
// in front of the emulator: each is answered, every error is coded, at most
// MaxErrors validation errors and a summary come back, and the answer stays
// under the response size cap.
func FuzzHostileShape(f *testing.F) {
	emu, err := emulator.New()
	if err != nil {
		f.Fatal(err)
	}
	upstreamSrv := httptest.NewServer(emu)
	f.Cleanup(upstreamSrv.Close)
	const maxAnswer = 64 << 10
	h, err := NewHandler(HandlerConfig{UpstreamURL: upstreamSrv.URL + "/api", DefaultAPIKey: emulator.OwnerKey,
		Retry: clevertim.RetryPolicy{MaxAttempts: 1}, MaxResponseBytes: maxAnswer, MaxBodyBytes: 4 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint16(4), uint16(3000), uint16(0), uint16(0), "name", true, false)
	f.Add(uint16(0), uint16(0), uint16(64), uint16(0), "", false, false)
	f.Add(uint16(0), uint16(0), uint16(0), uint16(3), "", false, false)
	f.Add(uint16(2), uint16(40), uint16(0), uint16(0), "__typename", true, true)
	f.Add(uint16(3), uint16(900), uint16(0), uint16(0), "totalCount", false, false)
	f.Add(uint16(12), uint16(1), uint16(3), uint16(1), "name", false, true)
	f.Add(uint16(1), uint16(50), uint16(0), uint16(0), "nosuchfield", true, false)
	f.Fuzz(func(t *testing.T, depth, width, chain, schemas uint16, leaf string, alias, directive bool) {
		if len(leaf) > 40 {
			leaf = leaf[:40]
		}
		query := hostileShape(depth, width, chain, schemas, leaf, alias, directive)
		body, _ := json.Marshal(map[string]any{"query": query})
		req := httptest.NewRequest("POST", "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= http.StatusInternalServerError {
			t.Fatalf("HTTP %d: %.300s", rec.Code, rec.Body)
		}
		if rec.Body.Len() > maxAnswer+1024 {
			t.Fatalf("answer of %d bytes over the cap of %d", rec.Body.Len(), maxAnswer)
		}
		var resp struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatalf("answer is not JSON: %.300s", rec.Body)
		}
		if len(resp.Errors) > DefaultMaxErrors+1 && resp.Errors[0].Extensions["code"] == CodeValidationFailed {
			t.Fatalf("%d validation errors", len(resp.Errors))
		}
		for _, e := range resp.Errors {
			if code, _ := e.Extensions["code"].(string); code == "" || code == CodeInternal {
				t.Fatalf("error without a client code: %+v\n%.500s", e, query)
			}
		}
	})
}
