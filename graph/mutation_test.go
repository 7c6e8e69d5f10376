package graph_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// unchanged fails unless before and after are equal once the named changes
// are applied to before; LastModified is ignored.
func unchanged[T any](t *testing.T, what string, before, after *T, change func(*T)) {
	t.Helper()
	b, a := *before, *after
	change(&b)
	clearLM := func(v *T) {
		rv := reflect.ValueOf(v).Elem()
		if f := rv.FieldByName("LastModified"); f.IsValid() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	clearLM(&b)
	clearLM(&a)
	if !reflect.DeepEqual(b, a) {
		bj, _ := json.Marshal(b)
		aj, _ := json.Marshal(a)
		t.Errorf("%s: a partial update changed other fields:\nwant %s\ngot  %s", what, bj, aj)
	}
}

func TestMutations_ContactLifecycle(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	c := h.client(ownerKey)
	fields, _ := c.CustomFields.List(ctx)
	field := func(name string) clevertim.ID {
		i := slices.IndexFunc(fields, func(f *clevertim.CustomField) bool { return f.Name == name })
		return fields[i].ID
	}
	companies, _ := c.Companies.List(ctx)

	r := h.ok("", `mutation($in: CreateContactInput!) { createContact(input: $in) {
		id name title company { id } emails phones { type number } socialMedia { venue handle } address { city country }
		customerType tags visibility groups { name }
		customFields { field { name } value values linkedRecord { ... on User { name } } } } }`,
		map[string]any{"in": map[string]any{
			"firstName": "Grace", "lastName": "Hopper", "title": "Rear Admiral", "description": "COBOL",
			"companyId": companies[0].ID, "emails": []string{"grace@navy.example"},
			"phones":       []any{map[string]any{"type": "MOBILE", "number": "+1 555 0100"}},
			"socialMedia":  []any{map[string]any{"venue": "GOOGLE_PLUS", "handle": "grace"}},
			"address":      map[string]any{"street": "1 Navy Yard", "city": "Arlington", "region": "US-VA", "country": "US"},
			"customerType": "INFLUENCER", "tags": []string{"pioneer"},
			"customFields": []any{
				map[string]any{"fieldId": field("Industry"), "value": "Software"},
				map[string]any{"fieldId": field("Interests"), "values": []string{"Events", "Beta"}},
				map[string]any{"fieldId": field("Account manager"), "value": "2"},
			},
			"visibility": map[string]any{"groupIds": []string{"101"}},
		}})
	got := r.Data["createContact"]
	id := string(local(str(got, "id")))
	if str(got, "name") != "Grace Hopper" || local(str(got, "company", "id")) != companies[0].ID ||
		str(got, "phones", 0, "type") != "MOBILE" || str(got, "socialMedia", 0, "venue") != "GOOGLE_PLUS" ||
		str(got, "customerType") != "INFLUENCER" || str(got, "address", "city") != "Arlington" ||
		str(got, "visibility") != "GROUPS" || str(got, "groups", 0, "name") != "Sales" {
		t.Errorf("created %v", got)
	}
	cfs := list(got, "customFields")
	if len(cfs) != 3 || str(cfs[1], "value") != "Events, Beta" || str(cfs[2], "linkedRecord", "name") != "Ben Carter" {
		t.Errorf("custom fields %v", cfs)
	}
	stored, err := c.Contacts.Get(ctx, clevertim.ID(id))
	if err != nil || stored.Description != "COBOL" || stored.GroupMask != 2 || *stored.CustomerType != clevertim.CustomerTypeInfluencer {
		t.Fatalf("stored %+v %v", stored, err)
	}

	// A partial update changes what it names, and nothing else.
	h.ok("", `mutation($id: ID!) { updateContact(id: $id, input: {title: "Commodore"}) { title } }`, map[string]any{"id": id})
	after, _ := c.Contacts.Get(ctx, clevertim.ID(id))
	unchanged(t, "title", stored, after, func(x *clevertim.Contact) { x.Title = "Commodore" })

	// Null clears; a custom field value changes alone; another is cleared.
	before := after
	h.ok("", `mutation($id: ID!, $cf: [CustomFieldValueInput!]) { updateContact(id: $id, input: {
		description: null, tags: [], customFields: $cf }) { id } }`,
		map[string]any{"id": id, "cf": []any{
			map[string]any{"fieldId": field("Industry"), "value": "Retail"},
			map[string]any{"fieldId": field("Interests"), "values": nil},
		}})
	after, _ = c.Contacts.Get(ctx, clevertim.ID(id))
	unchanged(t, "clears", before, after, func(x *clevertim.Contact) {
		x.Description, x.Tags = "", clevertim.StringList{}
		x.CustomFields = clevertim.CustomFieldValues{
			field("Industry"):        {Values: []string{"Retail"}},
			field("Account manager"): x.CustomFields[field("Account manager")],
		}
	})

	// Visibility back to public, with a stale expectedLastModified refused.
	r = h.do("", `mutation($id: ID!, $lm: DateTime) { updateContact(id: $id, input: {title: "x", expectedLastModified: $lm}) { id title lastModified } }`,
		map[string]any{"id": id, "lm": stored.LastModified.Add(-time.Hour).Format(time.RFC3339)})
	if len(r.Errors) != 1 || r.Errors[0].code() != "CONFLICT" || r.Errors[0].Extensions["lastModified"] == nil {
		t.Errorf("stale expectedLastModified: %+v", r.Errors)
	}
	// The answer is the record as it is, unchanged.
	if str(r.Data, "updateContact", "title") != "Commodore" || str(r.Data, "updateContact", "lastModified") != after.LastModified.Format(time.RFC3339) {
		t.Errorf("conflict answered %v, want the current record", r.Data)
	}
	if now, _ := c.Contacts.Get(ctx, clevertim.ID(id)); now.Title != "Commodore" {
		t.Errorf("a refused update changed the record: %q", now.Title)
	}
	r = h.ok("", `mutation($id: ID!, $lm: DateTime) { updateContact(id: $id, input: {visibility: null, expectedLastModified: $lm}) { visibility title } }`,
		map[string]any{"id": id, "lm": after.LastModified.Format(time.RFC3339)})
	if str(r.Data, "updateContact", "visibility") != "PUBLIC" || str(r.Data, "updateContact", "title") != "Commodore" {
		t.Errorf("visibility update: %v", r.Data)
	}

	r = h.ok("", `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id})
	if typ, l, _ := model.DecodeGlobalID(clevertim.ID(str(r.Data, "deleteContact"))); typ != "Contact" || l != id {
		t.Errorf("delete answered %v", r.Data)
	}
	h.fails("", `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": id}, "NOT_FOUND")
	h.fails("", `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id}, "NOT_FOUND")
}

func TestMutations_EveryResource(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	c := h.client(ownerKey)
	contacts, _ := c.Contacts.List(ctx)
	cust := contacts[0].ID

	// Company.
	r := h.ok("", `mutation { createCompany(input: {name: "Initrode", emails: ["hi@initrode.example"], tags: ["new"], customerType: PROSPECT}) { id name customerType } }`, nil)
	company := local(str(r.Data, "createCompany", "id"))
	before, _ := c.Companies.Get(ctx, company)
	h.ok("", `mutation($id: ID!) { updateCompany(id: $id, input: {address: {city: "Austin"}}) { id } }`, map[string]any{"id": company})
	after, _ := c.Companies.Get(ctx, company)
	unchanged(t, "company", before, after, func(x *clevertim.Company) { x.City = "Austin" })

	// Opportunity.
	r = h.ok("", `mutation($c: ID!) { createOpportunity(input: {name: "Big deal", value: "12000.50", currency: "EUR", customerId: $c, leadUserId: "3"}) {
		id status value customer { ... on Company { name } } leadUser { name } createdBy { name } } }`, map[string]any{"c": company})
	o := r.Data["createOpportunity"]
	if str(o, "status") != "Open" || str(o, "customer", "name") != "Initrode" || str(o, "leadUser", "name") != "Chloe Diaz" || str(o, "createdBy", "name") != "Alice Morgan" {
		t.Errorf("opportunity %v", o)
	}
	opp := local(str(o, "id"))
	beforeO, _ := c.Opportunities.Get(ctx, opp)
	h.ok("", `mutation($id: ID!) { updateOpportunity(id: $id, input: {status: "Won"}) { status } }`, map[string]any{"id": opp})
	afterO, _ := c.Opportunities.Get(ctx, opp)
	unchanged(t, "opportunity", beforeO, afterO, func(x *clevertim.Opportunity) { x.Status = "Won" })

	// Case.
	r = h.ok("", `mutation($c: ID!) { createCase(input: {name: "Printer on fire", customerId: $c, leadUserId: "2", tags: ["urgent"]}) { id } }`, map[string]any{"c": cust})
	cs := local(str(r.Data, "createCase", "id"))
	beforeC, _ := c.Cases.Get(ctx, cs)
	h.ok("", `mutation($id: ID!) { updateCase(id: $id, input: {description: "Still burning"}) { id } }`, map[string]any{"id": cs})
	afterC, _ := c.Cases.Get(ctx, cs)
	unchanged(t, "case", beforeC, afterC, func(x *clevertim.Case) { x.Description = "Still burning" })

	// Task: dates, recurrence, complete and reopen.
	r = h.ok("", `mutation($c: ID!, $o: ID!) { createTask(input: {name: "Call back", type: FOLLOW_UP, customerId: $c, opportunityId: $o,
		assigneeId: "5", start: {date: "2026-03-02", time: "09:30"}, end: {date: "2026-03-02"},
		recurrence: {frequency: WEEKLY, every: 2, skipWeekends: true}}) {
		id type start { date time } end { date time } recurrence { frequency every skipWeekends } assignee { name } isCompleted } }`,
		map[string]any{"c": cust, "o": opp})
	task := r.Data["createTask"]
	if str(task, "type") != "FOLLOW_UP" || str(task, "start", "time") != "09:30" || get(task, "end", "time") != nil ||
		str(task, "recurrence", "frequency") != "WEEKLY" || get(task, "recurrence", "every") != 2.0 || str(task, "assignee", "name") != "Erin Fox" {
		t.Errorf("task %v", task)
	}
	tid := local(str(task, "id"))
	beforeT, _ := c.Tasks.Get(ctx, tid)
	r = h.ok("", `mutation($id: ID!) { completeTask(id: $id) { isCompleted } }`, map[string]any{"id": tid})
	if get(r.Data, "completeTask", "isCompleted") != true {
		t.Errorf("complete: %v", r.Data)
	}
	afterT, _ := c.Tasks.Get(ctx, tid)
	unchanged(t, "completeTask", beforeT, afterT, func(x *clevertim.Task) { x.IsCompleted = true })
	r = h.ok("", `mutation($id: ID!) { reopenTask(id: $id) { isCompleted } }`, map[string]any{"id": tid})
	if get(r.Data, "reopenTask", "isCompleted") != false {
		t.Errorf("reopen: %v", r.Data)
	}
	h.ok("", `mutation($id: ID!) { updateTask(id: $id, input: {end: null, recurrence: null, location: "Zoom"}) { id } }`, map[string]any{"id": tid})
	afterT2, _ := c.Tasks.Get(ctx, tid)
	unchanged(t, "updateTask", afterT, afterT2, func(x *clevertim.Task) {
		none := clevertim.RecurNone
		x.IsCompleted, x.End, x.Location, x.Recurrence, x.RecurEvery, x.RecurOptions = false, nil, "Zoom", &none, 1, clevertim.RecurrenceOptions{}
	})

	// Note and comments.
	r = h.ok("", `mutation($c: ID!, $k: ID!, $o: ID!) { createNote(input: {text: "Kick-off\nAgenda attached", type: EMAIL_SENT, customerIds: [$c, $k], opportunityId: $o}) {
		id headline type customers { __typename } opportunity { id } } }`, map[string]any{"c": cust, "k": company, "o": opp})
	n := r.Data["createNote"]
	if str(n, "headline") != "Kick-off" || str(n, "type") != "EMAIL_SENT" || len(list(n, "customers")) != 2 || local(str(n, "opportunity", "id")) != opp {
		t.Errorf("note %v", n)
	}
	nid := local(str(n, "id"))
	beforeN, _ := c.Notes.Get(ctx, nid)
	h.ok("", `mutation($id: ID!) { updateNote(id: $id, input: {caseId: null}) { id } }`, map[string]any{"id": nid})
	afterN, _ := c.Notes.Get(ctx, nid)
	unchanged(t, "note", beforeN, afterN, func(x *clevertim.Note) {})

	r = h.ok("", `mutation($n: ID!) { createComment(input: {text: "Looks good", noteId: $n}) { id text note { id comments { totalCount } } author { name } } }`, map[string]any{"n": nid})
	cm := r.Data["createComment"]
	if local(str(cm, "note", "id")) != nid || get(cm, "note", "comments", "totalCount") != 1.0 || str(cm, "author", "name") != "Alice Morgan" {
		t.Errorf("comment %v", cm)
	}
	h.ok("", `mutation($id: ID!) { deleteComment(id: $id) }`, map[string]any{"id": str(cm, "id")})
	r = h.ok("", `query($n: ID!) { note(id: $n) { comments { totalCount } } }`, map[string]any{"n": nid})
	if get(r.Data, "note", "comments", "totalCount") != 0.0 {
		t.Errorf("after deleteComment: %v", r.Data)
	}

	// Custom field definitions.
	r = h.ok("", `mutation { createCustomField(input: {name: "Tier", type: SELECT, scopes: [COMPANIES], options: ["Gold", "Silver"]}) { id type scopes options multiple } }`, nil)
	f := r.Data["createCustomField"]
	if str(f, "type") != "SELECT" || len(list(f, "options")) != 2 || get(f, "multiple") != false {
		t.Errorf("custom field %v", f)
	}
	fid := str(f, "id")
	r = h.ok("", `mutation($id: ID!) { updateCustomField(id: $id, input: {multiple: true}) { multiple options scopes } }`, map[string]any{"id": fid})
	if get(r.Data, "updateCustomField", "multiple") != true || len(list(r.Data, "updateCustomField", "options")) != 2 {
		t.Errorf("custom field update %v", r.Data)
	}
	r = h.ok("", `mutation($c: ID!, $f: ID!) { updateCompany(id: $c, input: {customFields: [{fieldId: $f, values: ["Gold", "Silver"]}]}) {
		customFields { field { name } values } } }`, map[string]any{"c": company, "f": fid})
	if !slices.ContainsFunc(list(r.Data, "updateCompany", "customFields"), func(v any) bool { return len(list(v, "values")) == 2 }) {
		t.Errorf("multiple values: %v", r.Data)
	}

	for _, m := range []struct{ mutation, id string }{
		{"deleteNote", string(nid)}, {"deleteTask", string(tid)}, {"deleteCase", string(cs)},
		{"deleteOpportunity", string(opp)}, {"deleteCompany", string(company)}, {"deleteCustomField", fid},
	} {
		r := h.ok("", `mutation($id: ID!) { `+m.mutation+`(id: $id) }`, map[string]any{"id": m.id})
		if local(str(r.Data, m.mutation)) != local(m.id) {
			t.Errorf("%s answered %v", m.mutation, r.Data)
		}
	}
	if _, err := c.Notes.Get(ctx, nid); !clevertim.IsNotFound(err) {
		t.Errorf("note after delete: %v", err)
	}
}

func TestMutations_InputErrors(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	fields, _ := h.client(ownerKey).CustomFields.List(ctx)
	byName := map[string]clevertim.ID{}
	for _, f := range fields {
		byName[f.Name] = f.ID
	}
	plainNote := str(list(h.ok("", `{ notes(first: 1, filter: {type: [NOTE]}) { nodes { id } } }`, nil).Data, "notes", "nodes")[0], "id")
	cases := []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"no name", `mutation { createContact(input: {title: "x"}) { id } }`, nil, "firstName"},
		{"blank phone", `mutation { createContact(input: {firstName: "x", phones: [{type: WORK, number: " "}]}) { id } }`, nil, "phones[0].number"},
		{"unknown company", `mutation { createContact(input: {firstName: "x", companyId: "424242"}) { id } }`, nil, "companyId"},
		{"unknown custom field", `mutation { createContact(input: {firstName: "x", customFields: [{fieldId: "424242", value: "v"}]}) { id } }`, nil, "customFields[0].fieldId"},
		{"select value", `mutation($f: ID!) { createContact(input: {firstName: "x", customFields: [{fieldId: $f, value: "Mining"}]}) { id } }`,
			map[string]any{"f": byName["Industry"]}, "customFields[0].value"},
		{"date value", `mutation($f: ID!) { createContact(input: {firstName: "x", customFields: [{fieldId: $f, value: "12/31/1990"}]}) { id } }`,
			map[string]any{"f": byName["Birthday"]}, "customFields[0].value"},
		{"field of another scope", `mutation($f: ID!) { createContact(input: {firstName: "x", customFields: [{fieldId: $f, value: "Low"}]}) { id } }`,
			map[string]any{"f": byName["Severity"]}, "customFields[0].fieldId"},
		{"value and values", `mutation($f: ID!) { createContact(input: {firstName: "x", customFields: [{fieldId: $f, value: "Beta", values: ["Beta"]}]}) { id } }`,
			map[string]any{"f": byName["Interests"]}, "customFields[0]"},
		{"private and groups", `mutation { createNote(input: {text: "x", visibility: {privateTo: "1", groupIds: ["101"]}}) { id } }`, nil, "visibility"},
		{"unknown group", `mutation { createNote(input: {text: "x", visibility: {groupIds: ["999"]}}) { id } }`, nil, "visibility.groupIds"},
		{"unknown user", `mutation { createCase(input: {name: "x", leadUserId: "999"}) { id } }`, nil, "leadUserId"},
		{"dropped email", `mutation { createNote(input: {text: "x", type: EMAIL_RECEIVED}) { id } }`, nil, "type"},
		{"note made a dropped email", `mutation($n: ID!) { updateNote(id: $n, input: {type: EMAIL_RECEIVED}) { id } }`,
			map[string]any{"n": plainNote}, "type"},
		{"second value", `mutation($f: ID!) { updateContact(id: "1031", input: {customFields: [{fieldId: $f, value: "Retail"}, {fieldId: $f, values: ["Retail", "Finance"]}]}) { id } }`,
			map[string]any{"f": byName["Industry"]}, "customFields[1].value"},
		{"unknown customer", `mutation { createNote(input: {text: "x", customerIds: ["424242"]}) { id } }`, nil, "customerIds"},
		{"comment on nothing", `mutation { createComment(input: {text: "x"}) { id } }`, nil, "noteId"},
		{"bad date", `mutation { createTask(input: {name: "x", start: {date: "2026-02-30"}}) { id } }`, nil, "start.date"},
		{"bad time", `mutation { createTask(input: {name: "x", start: {time: "25:00"}}) { id } }`, nil, "start.time"},
		{"bad recurrence", `mutation { createTask(input: {name: "x", recurrence: {frequency: DAILY, every: 0}}) { id } }`, nil, "recurrence.every"},
		{"bad value", `mutation { createOpportunity(input: {name: "x", value: "lots"}) { id } }`, nil, "value"},
		{"bad currency", `mutation { createOpportunity(input: {name: "x", currency: "euros"}) { id } }`, nil, "currency"},
		{"select without options", `mutation { createCustomField(input: {name: "x", type: SELECT, scopes: [CASES]}) { id } }`, nil, "options"},
		{"no scopes", `mutation { createCustomField(input: {name: "x", type: INPUT, scopes: []}) { id } }`, nil, "scopes"},
	}
	h.emu.ResetStats()
	for _, tc := range cases {
		r := h.do("", tc.query, tc.vars)
		if len(r.Errors) != 1 || r.Errors[0].code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: %+v, want BAD_USER_INPUT on %s", tc.name, r.Errors, tc.field)
		}
	}
	if writes := h.emu.Stats().ByMethod["POST"]; writes != 0 {
		t.Errorf("refused input reached Clevertim: %d POSTs", writes)
	}
}
