package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// hostileDoc is an attacker's document and what must become of it.
type hostileDoc struct {
	name, query string
	code        string // the error it must get; "" for an answer
	// validated: whether it may reach gqlgen's validator (refusals by the
	// guard must not).
	validated bool
}

// fragmentChain is a document where each fragment spreads the next twice,
// depth deep, ending in __typename: 2^depth fields in 30 bytes per level.
func fragmentChain(depth int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range depth {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", depth)
	return b.String()
}

// repeat writes "{ prefix item(0) item(1) ... suffix }".
func repeat(prefix string, n int, item func(i int) string, suffix string) string {
	var b strings.Builder
	b.WriteString("{ " + prefix)
	for i := range n {
		b.WriteString(item(i))
		b.WriteByte(' ')
	}
	b.WriteString(suffix + " }")
	return b.String()
}

// hostileDocs are the documents of issue 12 at their size (most now stop at
// the token limit) and at sizes just past each other cap.
func hostileDocs() []hostileDoc {
	nested := `{ company(id: "1001") ` + strings.Repeat("{ contacts { nodes { company ", 4) + "{ name }" + strings.Repeat(" } } }", 4) + " }"
	schema := func(i int) string { return fmt.Sprintf("s%d: __schema { types { name fields { name } } }", i) }
	docs := []hostileDoc{
		// The table of the issue, at its sizes.
		{"same alias, 3000 arguments", repeat("", 3000, func(i int) string { return fmt.Sprintf(`c: contact(id: "%d") { name }`, i) }, ""), graph.CodeTokenLimit, false},
		{"introspection aliased 1500 times", repeat("", 1500, schema, ""), graph.CodeTokenLimit, false},
		{"__typename 40000 times in a page", "{ contacts(first: 50) { nodes " + repeat("", 40000, func(i int) string { return fmt.Sprintf("t%d: __typename", i) }, "") + " } }", graph.CodeTokenLimit, false},
		{"30000 unknown fields", repeat("", 30000, func(i int) string { return fmt.Sprintf("f%d", i) }, ""), graph.CodeTokenLimit, false},
		{"20000 unused fragments", "{ __typename }" + strings.Repeat("fragment X on Query { __typename } ", 1) + fragmentsN(20000), graph.CodeTokenLimit, false},
		{"30000 @include", repeat("", 30000, func(int) string { return "__typename @include(if: true)" }, ""), graph.CodeTokenLimit, false},
		{"totalCount 90000 times", "{ contacts " + repeat("", 90000, func(int) string { return "totalCount" }, "") + " }", graph.CodeTokenLimit, false},
		{"four levels of 100 contacts", nested, "COMPLEXITY_LIMIT_EXCEEDED", true},
		// Just past each cap, under the token limit.
		{"same alias, 40 arguments", repeat("", 40, func(i int) string { return fmt.Sprintf(`c: contact(id: "%d") { name }`, i) }, ""), graph.CodeAliasLimit, false},
		{"introspection twice", repeat("", 2, schema, ""), graph.CodeIntrospectionLimit, false},
		{"__typename 31 times", "{ contacts(first: 50) { nodes " + repeat("", 31, func(i int) string { return fmt.Sprintf("t%d: __typename", i) }, "") + " } }", graph.CodeAliasLimit, false},
		{"2001 unknown fields", repeat("", 2001, func(i int) string { return fmt.Sprintf("f%d", i) }, ""), graph.CodeFieldLimit, false},
		{"201 unused fragments", "{ __typename }" + fragmentsN(201), graph.CodeFragmentLimit, false},
		{"101 @include", repeat("", 101, func(i int) string { return fmt.Sprintf("f%d @include(if: true)", i) }, ""), graph.CodeDirectiveLimit, false},
		{"totalCount 31 times", "{ contacts " + repeat("", 31, func(int) string { return "totalCount" }, "") + " }", graph.CodeAliasLimit, false},
		{"depth 16", "{ contacts(first: 1) " + strings.Repeat("{ nodes { company { contacts(first: 1) ", 5) + "{ totalCount }" + strings.Repeat(" } } }", 5) + " }", graph.CodeDepthLimit, false},
		{"unused fragment chain, depth 64", "{ __typename }\n" + fragmentChain(64)[len("{ ...F0 }\n"):], graph.CodeFragmentLimit, false},
		{"fragment spreading itself", "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }", graph.CodeValidationFailed, false},
		// The most a quadratic validation rule gets: 30 fields of one name
		// (a field name is capped as well as a response name), 435
		// conflicting pairs, 20 errors reported.
		{"30 conflicting fields under one name", repeat("", 30, func(i int) string { return fmt.Sprintf(`c: contact(id: "%d") { name }`, i) }, ""), graph.CodeValidationFailed, true},
		// Within every cap: answered.
		{"fragment chain, depth 3", fragmentChain(3), "", true},
		{"40 unknown fields", repeat("", 40, func(i int) string { return fmt.Sprintf("f%d", i) }, ""), graph.CodeValidationFailed, true},
		{"GraphiQL's introspection", `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } }`, "", true},
	}
	for _, d := range []int{5, 8, 16, 32, 64} {
		code := graph.CodeFragmentLimit // 2^8 spreads, before 2^11 fields
		if d == 5 {
			code = graph.CodeAliasLimit // 32 __typename in one selection set
		}
		docs = append(docs, hostileDoc{fmt.Sprintf("fragment chain, depth %d", d), fragmentChain(d), code, false})
	}
	return docs
}

func fragmentsN(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " fragment U%d on Query { __typename }", i)
	}
	return b.String()
}

// Each hostile document gets a coded error or a bounded answer; those the
// guard refuses never reach validation (the validation counter does not
// move) and none sends an upstream request; the server answers normally
// afterwards.
func TestHostile_DocumentsBoundedBeforeValidation(t *testing.T) {
	t.Parallel()
	metrics := &graph.Metrics{}
	h := newHarness(t, graph.HandlerConfig{Metrics: metrics, MaxBodyBytes: 2 << 20})
	for _, d := range hostileDocs() {
		h.emu.ResetStats()
		before := metrics.Validations.Load()
		r := h.do("", d.query, nil)
		validated := metrics.Validations.Load() > before
		switch {
		case d.code == "" && len(r.Errors) > 0:
			t.Errorf("%s: errors %+v", d.name, r.Errors)
		case d.code != "" && (len(r.Errors) == 0 || r.Errors[0].code() != d.code):
			t.Errorf("%s: want %s, got %.300v", d.name, d.code, r.Errors)
		case validated != d.validated:
			t.Errorf("%s: validated %v, want %v", d.name, validated, d.validated)
		case len(r.Errors) > graph.DefaultMaxErrors+1:
			t.Errorf("%s: %d errors", d.name, len(r.Errors))
		}
		if n := h.emu.Stats().Total; n != 0 && d.code != "" {
			t.Errorf("%s: refused, yet %d upstream requests", d.name, n)
		}
	}
	h.ok("", `{ contacts(first: 2) { nodes { name } } }`, nil)
}

// Validation stops reporting after 20 errors and says how many it cut.
func TestHostile_ValidationErrorsCapped(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.do("", repeat("", 45, func(i int) string { return fmt.Sprintf("f%d", i) }, ""), nil)
	if len(r.Errors) != graph.DefaultMaxErrors+1 {
		t.Fatalf("%d errors, want %d and a summary", len(r.Errors), graph.DefaultMaxErrors)
	}
	last := r.Errors[len(r.Errors)-1]
	if last.code() != graph.CodeValidationFailed || last.Extensions["cut"] != float64(25) || !strings.Contains(last.Message, "25 more") {
		t.Errorf("summary: %+v", last)
	}
}

// The nested list without first counts as the page it returns (100): a
// company's contacts' company's contacts is 100×100 values per field, and
// three such levels are refused where 10 per level would have passed.
func TestHostile_NestedPagesCountAsReturned(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{ComplexityLimit: 100_000})
	three := `{ companies(first: 1) { nodes { contacts { nodes { company { contacts { nodes { company { contacts { nodes { name } } } } } } } } } } }`
	e := h.fails("", three, nil, "COMPLEXITY_LIMIT_EXCEEDED")
	if got := e.Extensions["complexity"].(float64); got < 1_000_000 {
		t.Errorf("estimated %v, want at least 100^3", got)
	}
	h.ok("", `{ companies(first: 1) { nodes { contacts(first: 5) { nodes { company { contacts(first: 5) { nodes { name } } } } } } } }`, nil)
}

// @skip and @include with the request's variables decide what the estimate
// counts, as they decide what runs.
func TestHostile_ComplexityHonoursSkipInclude(t *testing.T) {
	t.Parallel()
	h := newHarness(t, graph.HandlerConfig{ComplexityLimit: 5_000})
	q := `query($big: Boolean!) { contacts(first: 2) { nodes { name } }
		all: contacts(first: 1000) @include(if: $big) { nodes { name notes { nodes { text } } } } }`
	h.fails("", q, map[string]any{"big": true}, "COMPLEXITY_LIMIT_EXCEEDED")
	h.ok("", q, map[string]any{"big": false})
	h.ok("", strings.Replace(q, "@include(if: $big)", "@skip(if: $big)", 1), map[string]any{"big": true})
}

// An id that is not a Clevertim id is refused before any request: it would
// otherwise become a path ("GET /contact/..").
func TestHostile_IDsAreIDs(t *testing.T) {
	t.Parallel()
	h := setup(t)
	for _, id := range []string{".", "..", "a/b", "%2F", "../user", "1 ", strings.Repeat("1", 100_000), "-1"} {
		h.emu.ResetStats()
		e := h.fails("", `query($id: ID!) { contact(id: $id) { name } }`, map[string]any{"id": id}, graph.CodeBadUserInput)
		if len(e.Message) > 200 {
			t.Errorf("the message repeats the input: %d bytes", len(e.Message))
		}
		h.fails("", fmt.Sprintf(`{ contact(id: %q) { name } }`, id), nil, graph.CodeBadUserInput)
		if n := h.emu.Stats().Total; n != 0 {
			t.Errorf("id %.20q: %d upstream requests", id, n)
		}
		// In a filter, an id never reaches a path; planning may have read
		// the collection already.
		h.fails("", fmt.Sprintf(`{ contacts(filter: {companyId: %q}) { totalCount } }`, id), nil, graph.CodeBadUserInput)
		for route := range h.emu.Stats().ByRoute {
			if route != "GET /contact" {
				t.Errorf("id %.20q: upstream %s", id, route)
			}
		}
	}
	h.ok("", `{ contact(id: 1030) { name } }`, nil)
}
