package graph_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// TestNode_EveryRecordType: each record type's id is a global id of its
// type, in the id alphabet, that node(id:) refetches, with Clevertim's id
// in clevertimId.
func TestNode_EveryRecordType(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.ok("", `{
		contacts(first: 1) { nodes { id clevertimId } } companies(first: 1) { nodes { id clevertimId } }
		opportunities(first: 1) { nodes { id clevertimId } } cases(first: 1) { nodes { id clevertimId } }
		tasks(first: 1) { nodes { id clevertimId } } notes(first: 1) { nodes { id clevertimId comments(first: 1) { nodes { id clevertimId } } } }
		users(first: 1) { nodes { id clevertimId } } groups(first: 1) { nodes { id clevertimId } }
		customFields(first: 1) { nodes { id clevertimId } } folders(first: 1) { nodes { id clevertimId } }
		files(first: 1) { nodes { id clevertimId } } }`, nil)
	idAlphabet := func(s string) bool {
		return len(s) >= 1 && len(s) <= 64 && !strings.ContainsAny(s[:1], "_-") &&
			strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == ""
	}
	for typ, path := range map[string][]any{
		"Contact": {"contacts"}, "Company": {"companies"}, "Opportunity": {"opportunities"}, "Case": {"cases"},
		"Task": {"tasks"}, "Note": {"notes"}, "Comment": {"notes", "nodes", 0, "comments"}, "User": {"users"},
		"Group": {"groups"}, "CustomField": {"customFields"}, "Folder": {"folders"}, "File": {"files"},
	} {
		nodes := list(r.Data, append(path, "nodes")...)
		if len(nodes) == 0 {
			t.Errorf("%s: none in the demo account", typ)
			continue
		}
		id, clevertimID := str(nodes[0], "id"), str(nodes[0], "clevertimId")
		gotType, gotLocal, ok := model.DecodeGlobalID(clevertim.ID(id))
		if !ok || gotType != typ || gotLocal != clevertimID || !idAlphabet(id) {
			t.Errorf("%s: id %q decodes to %q %q, clevertimId %q", typ, id, gotType, gotLocal, clevertimID)
		}
		again := h.ok("", `query($id: ID!) { node(id: $id) { __typename id ... on `+typ+` { clevertimId } } }`, map[string]any{"id": id})
		if n := again.Data["node"]; str(n, "__typename") != typ || str(n, "id") != id || str(n, "clevertimId") != clevertimID {
			t.Errorf("%s: node(%s) = %v", typ, id, n)
		}
	}
}

// TestNode_NodesBatchedThroughLoaders: 12 ids of 3 types cost one request
// per contact and note (the loaders' by-id fetches, 4 each) and one for all
// users, which always come whole; the answer keeps the order of the ids.
func TestNode_NodesBatchedThroughLoaders(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.ok("", `{ contacts(first: 4) { nodes { id } } notes(first: 4) { nodes { id } } users(first: 4) { nodes { id } } }`, nil)
	var ids []string
	for i := range 4 {
		for _, l := range []string{"contacts", "notes", "users"} {
			ids = append(ids, str(list(r.Data, l, "nodes")[i], "id"))
		}
	}
	r, routes := h.counted(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids})
	got := list(r.Data, "nodes")
	if len(got) != len(ids) {
		t.Fatalf("%d nodes for %d ids", len(got), len(ids))
	}
	for i, n := range got {
		if str(n, "id") != ids[i] || str(n, "__typename") != []string{"Contact", "Note", "User"}[i%3] {
			t.Errorf("nodes[%d] = %v, want id %s", i, n, ids[i])
		}
	}
	want := map[string]int64{"GET /contact/{id}": 4, "GET /note/{id}": 4, "GET /user": 1}
	if !maps.Equal(routes, want) || r.Extensions.Upstream.Requests != 9 {
		t.Errorf("upstream: %s (%d requests), want %v", describe(routes), r.Extensions.Upstream.Requests, want)
	}

	// A missing record is null with NOT_FOUND at its index; the rest answer.
	gone := string(model.GlobalID("Contact", "999999"))
	r = h.do("", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{ids[0], gone, ids[1]}})
	got = list(r.Data, "nodes")
	if len(got) != 3 || got[1] != nil || str(got[0], "id") != ids[0] || str(got[2], "id") != ids[1] ||
		len(r.Errors) != 1 || r.Errors[0].code() != "NOT_FOUND" || fmt.Sprint(r.Errors[0].Path) != "[nodes 1]" {
		t.Errorf("with a missing id: %v %+v", got, r.Errors)
	}
}

// TestNode_IDArguments: every id argument and input reference takes the
// global id of its type or Clevertim's id; another type's global id, a
// Clevertim id given to node, or too many ids are BAD_USER_INPUT naming the
// field.
func TestNode_IDArguments(t *testing.T) {
	t.Parallel()
	h := setup(t)
	contact, note, user := model.GlobalID("Contact", "1031"), model.GlobalID("Note", "1156"), model.GlobalID("User", "3")
	r := h.ok("", `query($c: ID!, $u: ID!) { contact(id: $c) { clevertimId } customer(id: $c) { ... on Contact { clevertimId } }
		tasks(filter: {customerId: $c}) { nodes { customer { ... on Contact { clevertimId } } } }
		opportunities(filter: {leadUserId: [$u]}) { totalCount } byPlain: opportunities(filter: {leadUserId: ["3"]}) { totalCount } }`,
		map[string]any{"c": contact, "u": user})
	if str(r.Data, "contact", "clevertimId") != "1031" || str(r.Data, "customer", "clevertimId") != "1031" {
		t.Errorf("by global id: %v", r.Data)
	}
	tasks := list(r.Data, "tasks", "nodes")
	if len(tasks) == 0 || slices.ContainsFunc(tasks, func(x any) bool { return str(x, "customer", "clevertimId") != "1031" }) {
		t.Errorf("tasks filtered by a global customerId: %v", tasks)
	}
	if a, b := get(r.Data, "opportunities", "totalCount"), get(r.Data, "byPlain", "totalCount"); a != b || a == 0.0 {
		t.Errorf("leadUserId filter: %v by global id, %v by Clevertim's", a, b)
	}
	r = h.ok("", `mutation($c: ID!, $u: ID!) { createOpportunity(input: {name: "Global", customerId: $c, leadUserId: $u}) {
		id customer { ... on Contact { clevertimId } } leadUser { clevertimId } } }`, map[string]any{"c": contact, "u": user})
	o := r.Data["createOpportunity"]
	if str(o, "customer", "clevertimId") != "1031" || str(o, "leadUser", "clevertimId") != "3" {
		t.Errorf("references by global id: %v", o)
	}
	// A reference custom field's value, given as the global id of its record.
	r = h.ok("", `mutation($f: ID!, $u: String!) { updateContact(id: "1031", input: {customFields: [{fieldId: $f, value: $u}]}) {
		customFields { field { name } value linkedRecord { ... on User { clevertimId } } } } }`,
		map[string]any{"f": model.GlobalID("CustomField", "1004"), "u": model.GlobalID("User", "4")})
	for _, v := range list(r.Data, "updateContact", "customFields") {
		if str(v, "field", "name") == "Account manager" && (str(v, "value") != "4" || str(v, "linkedRecord", "clevertimId") != "4") {
			t.Errorf("USER field set by global id: %v", v)
		}
	}
	r = h.ok("", `mutation($id: ID!) { updateOpportunity(id: $id, input: {status: "Won"}) { id status } }`, map[string]any{"id": str(o, "id")})
	if str(r.Data, "updateOpportunity", "id") != str(o, "id") {
		t.Errorf("update by global id: %v", r.Data)
	}
	r = h.ok("", `mutation($id: ID!) { deleteOpportunity(id: $id) }`, map[string]any{"id": str(o, "id")})
	if str(r.Data, "deleteOpportunity") != str(o, "id") {
		t.Errorf("delete answers %v, want the global id %s", r.Data, str(o, "id"))
	}

	h.emu.ResetStats()
	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = string(contact)
	}
	for _, c := range []struct {
		doc   string
		vars  map[string]any
		field string
	}{
		{`query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": note}, "id"},
		{`query($id: ID!) { customer(id: $id) { __typename } }`, map[string]any{"id": note}, "id"},
		{`query { node(id: "1031") { id } }`, nil, "id"},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{string(contact), "1031"}}, "ids[1]"},
		{`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": tooMany}, "ids"},
		{`mutation($id: ID!) { updateContact(id: $id, input: {title: "x"}) { id } }`, map[string]any{"id": note}, "id"},
		{`query($c: ID!) { tasks(filter: {customerId: $c}) { totalCount } }`, map[string]any{"c": note}, "filter.customerId"},
		{`query($u: ID!) { contact(id: "1031") { notes(filter: {or: [{}, {not: {createdById: ["1", $u]}}]}) { totalCount } } }`,
			map[string]any{"u": contact}, "filter.or[1].not.createdById[1]"},
		{`query($c: ID!) { company(id: "1023") { contacts(filter: {companyId: $c}) { totalCount } } }`, map[string]any{"c": contact}, "filter.companyId"},
		{`mutation($id: ID!) { deleteNote(id: $id) }`, map[string]any{"id": contact}, "id"},
		{`mutation($c: ID!) { createTask(input: {name: "x", customerId: $c}) { id } }`, map[string]any{"c": note}, "customerId"},
		{`mutation($u: ID!) { createCase(input: {name: "x", leadUserId: $u}) { id } }`, map[string]any{"u": contact}, "leadUserId"},
		{`mutation($n: ID!) { createComment(input: {text: "x", noteId: $n}) { id } }`, map[string]any{"n": contact}, "noteId"},
		{`mutation($c: ID!) { createNote(input: {text: "x", customerIds: ["1031", $c]}) { id } }`, map[string]any{"c": user}, "customerIds[1]"},
		{`mutation($u: ID!) { createNote(input: {text: "x", visibility: {privateTo: $u}}) { id } }`, map[string]any{"u": contact}, "visibility.privateTo"},
		{`mutation($f: ID!) { updateContact(id: "1031", input: {customFields: [{fieldId: $f, value: "x"}]}) { id } }`,
			map[string]any{"f": user}, "customFields[0].fieldId"},
		{`mutation($u: String!) { updateContact(id: "1031", input: {customFields: [{fieldId: "1004", value: $u}]}) { id } }`,
			map[string]any{"u": contact}, "customFields[0].value"},
	} {
		e := h.fails("", c.doc, c.vars, "BAD_USER_INPUT")
		if e.Extensions["field"] != c.field {
			t.Errorf("%s %v: %q on %v, want field %s", c.doc, c.vars, e.Message, e.Extensions["field"], c.field)
		}
	}
	if st := h.emu.Stats(); st.ByMethod["POST"]+st.ByMethod["PUT"]+st.ByMethod["DELETE"] > 0 {
		t.Errorf("a refused input reached Clevertim: %v", st.ByMethod)
	}
}
