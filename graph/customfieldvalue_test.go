package graph_test

import "testing"

// TestCustomFieldValueID: a custom field value's id names the record and the
// field, so the README's update mutation answers with the same ids the
// contact page read, and a client cache refreshes those values in place
// instead of leaving the page's query incomplete.
func TestCustomFieldValueID(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const page = `query ContactFields($id: ID!) { contact(id: $id) { id customFields { id field { id } value } } }`
	ids := func(r response, path ...any) map[string]string {
		byField := map[string]string{}
		for _, v := range list(r.Data, path...) {
			byField[str(v, "field", "id")] = str(v, "id")
		}
		return byField
	}
	before := ids(h.ok("", page, map[string]any{"id": "1031"}), "contact", "customFields")
	if len(before) < 2 {
		t.Fatalf("contact 1031 has %d custom field values, want 2 or more", len(before))
	}
	seen := map[string]string{}
	for field, id := range before {
		if id == "" || seen[id] != "" {
			t.Errorf("field %s: id %q empty or shared with field %s", field, id, seen[id])
		}
		seen[id] = field
	}
	// Another record's value of the same field has another id.
	other := ids(h.ok("", page, map[string]any{"id": "1032"}), "contact", "customFields")
	for field, id := range other {
		if before[field] == id {
			t.Errorf("field %s: contacts 1031 and 1032 share the value id %s", field, id)
		}
	}

	r := h.ok("", `mutation UpdateContactTitle {
  updateContact(id: "1031", input: {
    title: "Head of Purchasing"
    customFields: [{fieldId: "1001", value: "Retail"}]
  }) { id title lastModified customFields { id field { id name } value } }
}`, nil)
	after := ids(r, "updateContact", "customFields")
	for field, id := range before {
		if after[field] != id {
			t.Errorf("field %s: id %q after the update, %q before", field, after[field], id)
		}
	}
	again := ids(h.ok("", page, map[string]any{"id": "1031"}), "contact", "customFields")
	for field, id := range after {
		if again[field] != id {
			t.Errorf("field %s: id %q on a second read, %q from the update", field, again[field], id)
		}
	}
}
