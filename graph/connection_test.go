package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

const contactPage = `query($first: Int, $after: String, $last: Int, $before: String, $order: ContactOrder, $filter: ContactFilter) {
	contacts(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
		totalCount
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { id lastName firstName } }
		nodes { id }
	} }`

func ids(conn any) []string {
	var out []string
	for _, e := range list(conn, "edges") {
		out = append(out, str(e, "node", "id"))
	}
	return out
}

func TestConnections_PagingBothWays(t *testing.T) {
	t.Parallel()
	h := setup(t)
	order := map[string]any{"field": "LAST_NAME", "direction": "ASC"}
	all := h.ok("", contactPage, map[string]any{"first": 1000, "order": order}).Data["contacts"]
	want := ids(all)
	total := int(get(all, "totalCount").(float64))
	if total != len(want) || total < 20 {
		t.Fatalf("totalCount %d, %d edges", total, len(want))
	}
	// The order is by last name, then first name, then id.
	names := list(all, "edges")
	for i := 1; i < len(names); i++ {
		a := strings.ToLower(str(names[i-1], "node", "lastName") + "\x00" + str(names[i-1], "node", "firstName"))
		b := strings.ToLower(str(names[i], "node", "lastName") + "\x00" + str(names[i], "node", "firstName"))
		if a > b {
			t.Fatalf("not ordered by last name at %d: %q then %q", i, a, b)
		}
	}

	// Forward, 7 at a time.
	var got []string
	var after any
	for pages := 0; ; pages++ {
		c := h.ok("", contactPage, map[string]any{"first": 7, "after": after, "order": order}).Data["contacts"]
		if int(get(c, "totalCount").(float64)) != total {
			t.Fatal("totalCount changes between pages")
		}
		if (pages > 0) != get(c, "pageInfo", "hasPreviousPage") {
			t.Errorf("page %d: hasPreviousPage = %v", pages, get(c, "pageInfo", "hasPreviousPage"))
		}
		if len(list(c, "nodes")) != len(list(c, "edges")) {
			t.Error("nodes and edges differ")
		}
		got = append(got, ids(c)...)
		if get(c, "pageInfo", "hasNextPage") != true {
			break
		}
		after = get(c, "pageInfo", "endCursor")
	}
	if !slices.Equal(got, want) {
		t.Errorf("forward paging gave %v, want %v", got, want)
	}

	// Backward, 5 at a time.
	got = nil
	var before any
	for {
		c := h.ok("", contactPage, map[string]any{"last": 5, "before": before, "order": order}).Data["contacts"]
		got = append(ids(c), got...)
		if get(c, "pageInfo", "hasPreviousPage") != true {
			break
		}
		before = get(c, "pageInfo", "startCursor")
	}
	if !slices.Equal(got, want) {
		t.Errorf("backward paging gave %v, want %v", got, want)
	}

	// A window between two cursors.
	edges := list(all, "edges")
	c := h.ok("", contactPage, map[string]any{"after": str(edges[2], "cursor"), "before": str(edges[6], "cursor"), "order": order}).Data["contacts"]
	if !slices.Equal(ids(c), want[3:6]) || get(c, "pageInfo", "hasNextPage") != true || get(c, "pageInfo", "hasPreviousPage") != true {
		t.Errorf("window: %v %v", ids(c), get(c, "pageInfo"))
	}
}

// A cursor stays valid when records are added before it: it names a place
// in the order, not an offset.
func TestConnections_CursorsSurviveInserts(t *testing.T) {
	t.Parallel()
	h := setup(t)
	first := h.ok("", contactPage, map[string]any{"first": 10}).Data["contacts"]
	cursor := get(first, "pageInfo", "endCursor")
	next := ids(h.ok("", contactPage, map[string]any{"first": 5, "after": cursor}).Data["contacts"])
	h.ok("", `mutation { createContact(input: {firstName: "Aaron", lastName: "Aardvark"}) { id } }`, nil)
	again := ids(h.ok("", contactPage, map[string]any{"first": 5, "after": cursor}).Data["contacts"])
	if !slices.Equal(next, again) {
		t.Errorf("after an insert the page after the cursor changed: %v, then %v", next, again)
	}
}

func TestConnections_BadArguments(t *testing.T) {
	t.Parallel()
	h := setup(t)
	byName := map[string]any{"field": "LAST_NAME", "direction": "ASC"}
	cursor := get(h.ok("", contactPage, map[string]any{"first": 1}).Data["contacts"], "pageInfo", "endCursor")
	cases := []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"first": -1}, "first"},
		{map[string]any{"last": 100000}, "last"},
		{map[string]any{"after": "not-a-cursor"}, "after"},
		{map[string]any{"before": "bm9wZQ"}, "before"},
		{map[string]any{"after": cursor, "order": byName}, "after"}, // a cursor of another order
	}
	for _, c := range cases {
		e := h.fails("", contactPage, c.vars, "BAD_USER_INPUT")
		if e.Extensions["field"] != c.field {
			t.Errorf("%v: field %v, want %s (%s)", c.vars, e.Extensions["field"], c.field, e.Message)
		}
	}
	if h.fails("", contactPage, map[string]any{"order": map[string]any{"field": "SHOE_SIZE"}}, "GRAPHQL_VALIDATION_FAILED").Message == "" {
		t.Error("no message for an unknown order field")
	}
}

func TestConnections_Filters(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	c := h.client(ownerKey)
	contacts, _ := c.Contacts.List(ctx)
	count := func(pred func(*clevertim.Contact) bool) int {
		n := 0
		for _, x := range contacts {
			if pred(x) {
				n++
			}
		}
		return n
	}
	company := *contacts[0].CompanyID
	cases := []struct {
		name   string
		filter map[string]any
		want   int
	}{
		{"search name", map[string]any{"search": "ava"}, count(func(x *clevertim.Contact) bool {
			return strings.Contains(strings.ToLower(x.Name()+" "+x.Title+" "+strings.Join(x.Emails, " ")), "ava")
		})},
		{"tag", map[string]any{"tags": []string{"VIP"}}, count(func(x *clevertim.Contact) bool { return slices.Contains(x.Tags, "vip") })},
		{"two tags", map[string]any{"tags": []string{"vip", "partner"}}, count(func(x *clevertim.Contact) bool {
			return slices.Contains(x.Tags, "vip") && slices.Contains(x.Tags, "partner")
		})},
		{"customer type", map[string]any{"customerType": []string{"LEAD", "CUSTOMER"}}, count(func(x *clevertim.Contact) bool {
			return x.CustomerType != nil && (*x.CustomerType == "L" || *x.CustomerType == "C")
		})},
		{"company", map[string]any{"companyId": company}, count(func(x *clevertim.Contact) bool { return x.CompanyID != nil && *x.CompanyID == company })},
		{"or", map[string]any{"or": []any{map[string]any{"tags": []string{"vip"}}, map[string]any{"companyId": company}}}, count(func(x *clevertim.Contact) bool {
			return slices.Contains(x.Tags, "vip") || (x.CompanyID != nil && *x.CompanyID == company)
		})},
		{"not", map[string]any{"not": map[string]any{"tags": []string{"vip"}}}, count(func(x *clevertim.Contact) bool { return !slices.Contains(x.Tags, "vip") })},
		{"and", map[string]any{"and": []any{map[string]any{"tags": []string{"vip"}}, map[string]any{"not": map[string]any{"companyId": company}}}}, count(func(x *clevertim.Contact) bool {
			return slices.Contains(x.Tags, "vip") && (x.CompanyID == nil || *x.CompanyID != company)
		})},
		{"modified since", map[string]any{"modifiedSince": time.Now().Add(time.Hour).Format(time.RFC3339)}, 0},
	}
	for _, tc := range cases {
		got := int(get(h.ok("", contactPage, map[string]any{"filter": tc.filter}).Data, "contacts", "totalCount").(float64))
		if got != tc.want {
			t.Errorf("%s: %d contacts, want %d", tc.name, got, tc.want)
		}
		if tc.want == 0 && tc.name != "modified since" {
			t.Errorf("%s: the case matches nothing; it proves little", tc.name)
		}
	}

	// Other types' filters and orders.
	r := h.ok("", `{
		open: opportunities(filter: {status: ["open"]}, orderBy: {field: VALUE, direction: DESC}) { totalCount nodes { status value } }
		done: tasks(filter: {completed: true}) { totalCount nodes { isCompleted } }
		calls: tasks(filter: {type: [CALL]}) { nodes { type } }
		sms: notes(filter: {type: [SMS]}) { nodes { type } }
		mine: notes(filter: {createdById: ["1"]}) { nodes { createdBy { clevertimId } } }
		caseSearch: cases(filter: {search: "login"}) { nodes { name } }
		fields: customFields(filter: {scope: CASES}) { nodes { scopes } }
		people: users(filter: {search: "erin"}) { nodes { name } }
		agreed: comments(filter: {search: "agreed"}) { nodes { text } }
	}`, nil)
	open := list(r.Data, "open", "nodes")
	if len(open) == 0 {
		t.Fatal("no open opportunity")
	}
	var prev float64 = 1e18
	for _, o := range open {
		if str(o, "status") != "Open" {
			t.Errorf("status filter let through %v", o)
		}
		var v float64
		for _, ch := range str(o, "value") {
			if ch == '.' {
				break
			}
			v = v*10 + float64(ch-'0')
		}
		if v > prev {
			t.Errorf("not ordered by value, descending: %v", open)
		}
		prev = v
	}
	check := func(name string, path []any, want any) {
		nodes := list(r.Data, name, "nodes")
		if len(nodes) == 0 {
			t.Errorf("%s: nothing matched", name)
		}
		for _, n := range nodes {
			got := get(n, path...)
			if s, ok := want.(string); ok && strings.HasPrefix(s, "~") {
				if !strings.Contains(strings.ToLower(got.(string)), s[1:]) {
					t.Errorf("%s: %v", name, n)
				}
			} else if got != want {
				t.Errorf("%s: %v", name, n)
			}
		}
	}
	check("done", []any{"isCompleted"}, true)
	check("calls", []any{"type"}, "CALL")
	check("sms", []any{"type"}, "SMS")
	check("mine", []any{"createdBy", "clevertimId"}, "1")
	check("caseSearch", []any{"name"}, "~login")
	check("people", []any{"name"}, "Erin Fox")
	check("agreed", []any{"text"}, "Agreed.")
	for _, f := range list(r.Data, "fields", "nodes") {
		if !slices.Contains(list(f, "scopes"), any("CASES")) {
			t.Errorf("custom field scope filter: %v", f)
		}
	}

	// Nested connections filter and order too: a contact's latest note first.
	r = h.ok("", `{ contacts(first: 100) { nodes { notes(first: 1, orderBy: {field: ADDED_ON, direction: DESC}) { totalCount nodes { addedOn } } } } }`, nil)
	checked := 0
	for _, ct := range list(r.Data, "contacts", "nodes") {
		if get(ct, "notes", "totalCount").(float64) > 1 {
			checked++
			if len(list(ct, "notes", "nodes")) != 1 {
				t.Errorf("first: 1 gave %v", get(ct, "notes"))
			}
		}
	}
	if checked == 0 {
		t.Error("no contact with several notes")
	}
}

// Amounts sort as numbers over HTTP too, page after page: negative, tied,
// absent and very large values.
func TestConnections_OrderByAmount(t *testing.T) {
	t.Parallel()
	h := setup(t)
	values := []any{"-5", "-5.5", "-60", "-100", nil, "0", "5", "5.00", "100000000000000000000.01", "99999999999999999999.99"}
	byValue := map[string]int{}
	for i, v := range values {
		r := h.ok("", `mutation($in: CreateOpportunityInput!) { createOpportunity(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"name": "amount-order " + strings.Repeat("x", i), "value": v}})
		byValue[str(r.Data, "createOpportunity", "id")] = i
	}
	const q = `query($after: String) { opportunities(first: 3, after: $after, orderBy: {field: VALUE},
		filter: {search: "amount-order"}) { pageInfo { hasNextPage endCursor } nodes { id } } }`
	var got []int
	var after any
	for {
		c := h.ok("", q, map[string]any{"after": after}).Data["opportunities"]
		for _, n := range list(c, "nodes") {
			got = append(got, byValue[str(n, "id")])
		}
		if get(c, "pageInfo", "hasNextPage") != true {
			break
		}
		after = get(c, "pageInfo", "endCursor")
	}
	// nil, -100, -60, -5.5, -5, 0, 5 and 5.00 (a tie: creation order), then the large ones.
	if want := []int{4, 3, 2, 1, 0, 5, 6, 7, 9, 8}; !slices.Equal(got, want) {
		t.Fatalf("by value: %v, want %v (indexes into %v)", got, want, values)
	}
}
