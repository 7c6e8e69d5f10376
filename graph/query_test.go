package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// TestEveryLink walks every link of the schema once and checks each against
// what the upstream holds.
func TestEveryLink(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	c := h.client(ownerKey)

	// Contact: company, lists, custom fields with linked records, photo.
	contacts, _ := c.Contacts.List(ctx)
	var rich *clevertim.Contact
	for _, x := range contacts {
		if x.CompanyID != nil && len(x.NoteIDs) > 0 && len(x.TaskIDs) > 0 && x.PhotoFile != "" {
			rich = x
			break
		}
	}
	if rich == nil {
		t.Fatal("the demo account has no contact with a company, notes, tasks and a photo")
	}
	r := h.ok("", `query($id: ID!) { contact(id: $id) {
		id name firstName lastName title emails phones { type number } socialMedia { venue handle }
		address { street city postcode region country } customerType tags photoUrl lastContacted addedOn lastModified
		company { id name contacts(first: 1000) { nodes { id } } }
		notes { totalCount nodes { id customers { __typename ... on Contact { id } ... on Company { id } } } }
		tasks { totalCount nodes { id customer { ... on Contact { id } } } }
		cases { totalCount } opportunities { totalCount }
		customFields { field { id name type } value values linkedRecord { __typename ... on User { id name } ... on Contact { id } } }
		visibility privateTo { id } groups { id }
	} }`, map[string]any{"id": rich.ID})
	got := r.Data["contact"]
	if local(str(got, "id")) != rich.ID || str(got, "name") != rich.Name() || local(str(got, "company", "id")) != *rich.CompanyID {
		t.Errorf("contact: %v", got)
	}
	if str(got, "photoUrl") == "" || str(got, "address", "city") != rich.City {
		t.Errorf("photo and address: %v", got)
	}
	if n := int(get(got, "notes", "totalCount").(float64)); n != len(rich.NoteIDs) {
		t.Errorf("notes: %d, want %d", n, len(rich.NoteIDs))
	}
	for _, n := range list(got, "notes", "nodes") {
		found := slices.ContainsFunc(list(n, "customers"), func(c any) bool { return local(str(c, "id")) == rich.ID })
		if !found {
			t.Errorf("note %s is listed under the contact but does not name it", str(n, "id"))
		}
	}
	if !slices.ContainsFunc(list(got, "company", "contacts", "nodes"), func(x any) bool { return local(str(x, "id")) == rich.ID }) {
		t.Error("Company.contacts does not list a contact whose companyId is the company")
	}
	if len(list(got, "customFields")) != len(rich.CustomFields) {
		t.Errorf("custom fields: %v, want %d", list(got, "customFields"), len(rich.CustomFields))
	}
	for _, v := range list(got, "customFields") {
		if str(v, "field", "type") == "USER" && str(v, "linkedRecord", "__typename") != "User" {
			t.Errorf("a USER field's linked record: %v", v)
		}
	}

	// Opportunity, case, task, note, comment, user, group, custom field, files.
	r = h.ok("", `{
		opportunities(first: 5) { nodes { id value currency status customer { __typename } leadUser { id } createdBy { id }
			notes { nodes { id } } tasks { nodes { id opportunity { id } } } customFields { field { name } value } } }
		cases(first: 5) { nodes { id customer { __typename } leadUser { id } createdBy { id } notes { nodes { case { id } } } tasks { nodes { case { id } } } } }
		tasks(first: 10) { nodes { id type start { date time } end { date time } recurrence { frequency every skipWeekends }
			isCompleted assignee { id } createdBy { id } comments { nodes { task { id } author { id } } } } }
		notes(first: 10) { nodes { id type headline createdBy { id } email { from subject to { address status bounceReason } cc { address } }
			smsDelivery comments { totalCount nodes { id text note { id } } } } }
		comments(first: 3) { nodes { id text author { name groups { name } } } }
		users { totalCount nodes { id name isOwner isAdmin isPending permissions groups { id name } } }
		groups { nodes { id name bit users { id } } }
		customFields { totalCount nodes { id name type scopes multiple options } }
		folders { nodes { id name parent { id } } }
		files { nodes { id name folder { id name } } }
		linkedFiles { nodes { id name system size link } }
	}`, nil)
	for _, o := range list(r.Data, "opportunities", "nodes") {
		for _, task := range list(o, "tasks", "nodes") {
			if str(task, "opportunity", "id") != str(o, "id") {
				t.Errorf("opportunity %s lists task %v that points elsewhere", str(o, "id"), task)
			}
		}
	}
	for _, cs := range list(r.Data, "cases", "nodes") {
		for _, n := range list(cs, "notes", "nodes") {
			if str(n, "case", "id") != str(cs, "id") {
				t.Errorf("case %s lists note %v that points elsewhere", str(cs, "id"), n)
			}
		}
	}
	for _, n := range list(r.Data, "notes", "nodes") {
		for _, cm := range list(n, "comments", "nodes") {
			if str(cm, "note", "id") != str(n, "id") {
				t.Errorf("note %s lists comment %v of another note", str(n, "id"), cm)
			}
		}
	}
	users := list(r.Data, "users", "nodes")
	if len(users) != 6 || get(users[0], "isOwner") != true || get(users[5], "isPending") != true {
		t.Errorf("users: %v", users)
	}
	if got := list(r.Data, "groups", "nodes"); len(got) != 3 || len(list(got[0], "users")) == 0 {
		t.Errorf("groups: %v", got)
	}
	if n := get(r.Data, "customFields", "totalCount"); n != float64(14) {
		t.Errorf("custom fields: %v", n)
	}
	if str(r.Data, "files", "nodes", 0, "folder", "name") != "Contracts" {
		t.Errorf("files: %v", r.Data["files"])
	}
	seenEmail := false
	for _, n := range list(r.Data, "notes", "nodes") {
		if get(n, "email") != nil {
			seenEmail = true
			if str(n, "email", "to", 0, "status") == "" {
				t.Errorf("email recipient without status: %v", n)
			}
		}
	}
	if !seenEmail {
		t.Error("no note with email info among the first ten")
	}
}

func TestCustomerUnion(t *testing.T) {
	t.Parallel()
	h := setup(t)
	ctx := context.Background()
	c := h.client(ownerKey)
	contacts, _ := c.Contacts.List(ctx)
	companies, _ := c.Companies.List(ctx)
	r := h.ok("", `query($a: ID!, $b: ID!) {
		a: customer(id: $a) { __typename ... on Contact { name } }
		b: customer(id: $b) { __typename ... on Company { name } } }`,
		map[string]any{"a": contacts[0].ID, "b": companies[0].ID})
	if str(r.Data, "a", "__typename") != "Contact" || str(r.Data, "a", "name") != contacts[0].Name() {
		t.Errorf("a: %v", r.Data["a"])
	}
	if str(r.Data, "b", "__typename") != "Company" || str(r.Data, "b", "name") != companies[0].Name {
		t.Errorf("b: %v", r.Data["b"])
	}
	e := h.fails("", `{ customer(id: "424242") { __typename } }`, nil, "NOT_FOUND")
	if e.Message != "customer 424242 not found" {
		t.Errorf("message %q", e.Message)
	}
}

// TestDanglingReference: deleting a customer leaves the opportunities that
// pointed at it in place. Their customer is null with a NOT_FOUND error at
// its path; the rest of the query still answers.
func TestDanglingReference(t *testing.T) {
	t.Parallel()
	h := setup(t)
	r := h.ok("", `mutation {
		c: createContact(input: {firstName: "Gone"}) { id }
	}`, nil)
	id := str(r.Data, "c", "id")
	r = h.ok("", `mutation($id: ID!) { createOpportunity(input: {name: "Orphan", customerId: $id}) { id } }`, map[string]any{"id": id})
	opp := str(r.Data, "createOpportunity", "id")
	h.ok("", `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id})

	r = h.do("", `query($id: ID!) { opportunity(id: $id) { name customer { __typename } leadUser { id } } users { totalCount } }`, map[string]any{"id": opp})
	if str(r.Data, "opportunity", "name") != "Orphan" || get(r.Data, "opportunity", "customer") != nil {
		t.Errorf("data %v", r.Data)
	}
	if get(r.Data, "users", "totalCount") == nil {
		t.Error("the rest of the query did not answer")
	}
	if len(r.Errors) != 1 || r.Errors[0].code() != "NOT_FOUND" || len(r.Errors[0].Path) != 2 || r.Errors[0].Path[1] != "customer" {
		t.Errorf("errors %+v", r.Errors)
	}
}
