package clevertim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// crudCase exercises one resource end to end through its service.
func crudCase[T any](t *testing.T, name string,
	svc interface {
		Get(context.Context, clevertim.ID) (*T, error)
		List(context.Context) ([]*T, error)
		Create(context.Context, *T) (*T, error)
		Update(context.Context, clevertim.ID, *T) (*T, error)
		Delete(context.Context, clevertim.ID) error
	},
	newRecord func() *T, id func(*T) clevertim.ID, change func(*T), changed func(*T) bool) {
	t.Helper()
	ctx := context.Background()
	before, err := svc.List(ctx)
	if err != nil {
		t.Fatalf("%s list: %v", name, err)
	}
	created, err := svc.Create(ctx, newRecord())
	if err != nil {
		t.Fatalf("%s create: %v", name, err)
	}
	if id(created) == "" {
		t.Fatalf("%s create: no id", name)
	}
	got, err := svc.Get(ctx, id(created))
	if err != nil || id(got) != id(created) {
		t.Fatalf("%s get: %v %v", name, got, err)
	}
	change(got)
	updated, err := svc.Update(ctx, id(got), got)
	if err != nil || !changed(updated) {
		t.Fatalf("%s update: %+v %v", name, updated, err)
	}
	after, _ := svc.List(ctx)
	if len(after) != len(before)+1 {
		t.Errorf("%s list: %d then %d", name, len(before), len(after))
	}
	if err := svc.Delete(ctx, id(got)); err != nil {
		t.Fatalf("%s delete: %v", name, err)
	}
	if _, err := svc.Get(ctx, id(got)); !errors.Is(err, clevertim.ErrNotFound) {
		t.Errorf("%s get after delete: %v", name, err)
	}
}

func TestServices_CRUD(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	customers, _ := c.Contacts.List(ctx)
	cust := customers[0].ID

	crudCase(t, "contact", c.Contacts, func() *clevertim.Contact {
		ct := clevertim.CustomerTypeProspect
		x := &clevertim.Contact{FirstName: "Ada", LastName: "Lovelace", CompanyID: nil}
		x.Phones = []clevertim.Phone{{Type: clevertim.PhoneMobile, Number: "+44 1"}}
		x.SocialMedia = []clevertim.SocialMediaID{{Venue: clevertim.SocialGooglePlus, Handle: "ada"}}
		x.CustomerType, x.Emails, x.Tags = &ct, clevertim.StringList{"ada@example.com"}, clevertim.StringList{"math"}
		return x
	}, func(x *clevertim.Contact) clevertim.ID { return x.ID },
		func(x *clevertim.Contact) { x.Title = "Countess" },
		func(x *clevertim.Contact) bool {
			return x.Title == "Countess" && x.LastName == "Lovelace" && x.Phones[0].Type == clevertim.PhoneMobile &&
				x.SocialMedia[0].Venue == clevertim.SocialGooglePlus && *x.CustomerType == clevertim.CustomerTypeProspect
		})
	crudCase(t, "company", c.Companies, func() *clevertim.Company { return &clevertim.Company{Name: "Analytical Engines"} },
		func(x *clevertim.Company) clevertim.ID { return x.ID },
		func(x *clevertim.Company) { x.City = "London" },
		func(x *clevertim.Company) bool { return x.City == "London" && x.Name == "Analytical Engines" })
	crudCase(t, "opportunity", c.Opportunities, func() *clevertim.Opportunity {
		return &clevertim.Opportunity{Name: "Deal", Value: "1000.50", Currency: "EUR", CustomerID: &cust, Status: clevertim.StatusOpen}
	}, func(x *clevertim.Opportunity) clevertim.ID { return x.ID },
		func(x *clevertim.Opportunity) { x.Status = clevertim.StatusWon },
		func(x *clevertim.Opportunity) bool {
			return x.Status == "Won" && x.Value == "1000.50" && *x.CustomerID == cust && x.CreatedBy == "1"
		})
	crudCase(t, "case", c.Cases, func() *clevertim.Case { return &clevertim.Case{Name: "Broken", CustomerID: &cust} },
		func(x *clevertim.Case) clevertim.ID { return x.ID },
		func(x *clevertim.Case) { x.Description = "still broken" },
		func(x *clevertim.Case) bool { return x.Description == "still broken" && *x.CustomerID == cust })
	crudCase(t, "task", c.Tasks, func() *clevertim.Task {
		typ, rec := clevertim.TaskCall, clevertim.RecurWeekly
		return &clevertim.Task{Name: "Call", Type: &typ, Recurrence: &rec, RecurEvery: 2,
			Start: clevertim.NewTaskDate(2026, time.March, 4).WithTime(9, 30), End: clevertim.NewTaskDate(2026, time.March, 5),
			RecurOptions: clevertim.RecurrenceOptions{SkipWeekends: true}, CustomerID: &cust}
	}, func(x *clevertim.Task) clevertim.ID { return x.ID },
		func(x *clevertim.Task) { x.IsCompleted = true },
		func(x *clevertim.Task) bool {
			return x.IsCompleted && *x.Start.Date() == "2026-03-04" && *x.Start.Time() == "09:30" &&
				x.End.Time() == nil && x.RecurOptions.SkipWeekends && x.RecurEvery == 2
		})
	crudCase(t, "note", c.Notes, func() *clevertim.Note {
		typ := clevertim.NoteSMS
		return &clevertim.Note{Text: "Hello\nworld", Type: &typ, CustomerIDs: clevertim.IDList{cust}}
	}, func(x *clevertim.Note) clevertim.ID { return x.ID },
		func(x *clevertim.Note) { x.Text = "Bye" },
		func(x *clevertim.Note) bool {
			return x.Text == "Bye" && x.Headline == "Bye" && *x.SMSDelivery == clevertim.SMSNoDelivery && x.CustomerIDs.Contains(cust)
		})
	crudCase(t, "customfield", c.CustomFields, func() *clevertim.CustomField {
		return &clevertim.CustomField{Name: "Size", Type: clevertim.FieldSelect, Scopes: []clevertim.CustomFieldScope{clevertim.ScopeCompanies},
			Options: clevertim.StringList{"S", "M", "L"}}
	}, func(x *clevertim.CustomField) clevertim.ID { return x.ID },
		func(x *clevertim.CustomField) { x.Multiple = true },
		func(x *clevertim.CustomField) bool {
			return x.Multiple && slices.Equal(x.Options, clevertim.StringList{"S", "M", "L"})
		})
	crudCase(t, "folder", c.Folders, func() *clevertim.Folder { return &clevertim.Folder{Name: "Deals"} },
		func(x *clevertim.Folder) clevertim.ID { return x.ID },
		func(x *clevertim.Folder) { x.Name = "Old deals" },
		func(x *clevertim.Folder) bool { return x.Name == "Old deals" && x.IsDir })
	crudCase(t, "file", c.Files, func() *clevertim.File { return &clevertim.File{Name: "a.pdf"} },
		func(x *clevertim.File) clevertim.ID { return x.ID },
		func(x *clevertim.File) { x.Name = "b.pdf" },
		func(x *clevertim.File) bool { return x.Name == "b.pdf" })
	crudCase(t, "linkedfile", c.LinkedFiles, func() *clevertim.LinkedFile {
		return &clevertim.LinkedFile{Name: "Sheet", Link: "https://docs.example/s", Size: 10}
	}, func(x *clevertim.LinkedFile) clevertim.ID { return x.ID },
		func(x *clevertim.LinkedFile) { x.Size = 20 },
		func(x *clevertim.LinkedFile) bool { return x.Size == 20 && x.System == "G" })
}

func TestServices_ReadOnlyAndComments(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	users, err := c.Users.List(ctx)
	if err != nil || len(users) < 6 {
		t.Fatalf("users: %d %v", len(users), err)
	}
	owner, err := c.Users.Get(ctx, "1")
	if err != nil || !owner.IsOwner || !owner.Can(clevertim.PermissionDelete) {
		t.Errorf("owner: %+v %v", owner, err)
	}
	readonly, _ := c.Users.Get(ctx, "4")
	if readonly.Can(clevertim.PermissionEdit) || !readonly.Can(clevertim.PermissionExport) {
		t.Errorf("read-only user: %+v", readonly)
	}
	groups, err := c.Groups.List(ctx)
	if err != nil || len(groups) != 3 || groups[0].Bit != 2 || len(groups[0].UserIDs) == 0 {
		t.Errorf("groups: %+v %v", groups, err)
	}
	g, err := c.Groups.Get(ctx, groups[1].ID)
	if err != nil || g.Name != groups[1].Name {
		t.Errorf("group: %+v %v", g, err)
	}

	tasks, _ := c.Tasks.List(ctx)
	cm, err := c.Comments.Create(ctx, &clevertim.Comment{Text: "on a task", TaskID: &tasks[0].ID})
	if err != nil || *cm.TaskID != tasks[0].ID || cm.CreatedBy != "1" {
		t.Fatalf("comment: %+v %v", cm, err)
	}
	task, _ := c.Tasks.Get(ctx, tasks[0].ID)
	if !task.CommentIDs.Contains(cm.ID) {
		t.Errorf("task comments %v lack %s", task.CommentIDs, cm.ID)
	}
	all, _ := c.Comments.List(ctx)
	if !slices.ContainsFunc(all, func(x *clevertim.Comment) bool { return x.ID == cm.ID }) {
		t.Error("new comment not listed")
	}
	if err := c.Comments.Delete(ctx, cm.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Comments.Get(ctx, cm.ID); !clevertim.IsNotFound(err) {
		t.Errorf("comment after delete: %v", err)
	}
}

func TestCustomFieldValuesAgainstDefinitions(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	defs, err := c.CustomFields.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*clevertim.CustomField{}
	for _, d := range defs {
		byName[d.Name] = d
	}
	one := func(s ...string) clevertim.CustomFieldValue {
		return clevertim.CustomFieldValue{Values: s, List: len(s) > 1}
	}
	cases := []struct {
		field string
		scope clevertim.CustomFieldScope
		value clevertim.CustomFieldValue
		ok    bool
	}{
		{"Industry", clevertim.ScopeCustomers, one("Retail"), true},
		{"Industry", clevertim.ScopeCustomers, one("Mining"), false},
		{"Industry", clevertim.ScopeCustomers, one("Retail", "Finance"), false},
		{"Interests", clevertim.ScopeCustomers, one("Events", "Beta"), true},
		{"Birthday", clevertim.ScopeCustomers, one("1990-02-28"), true},
		{"Birthday", clevertim.ScopeCustomers, one("1990-02-30"), false},
		{"Account manager", clevertim.ScopeCompanies, one("3"), true},
		{"Account manager", clevertim.ScopeCompanies, one("Ben"), false},
		{"Budget currency", clevertim.ScopeOpportunities, one("EUR"), true},
		{"Budget currency", clevertim.ScopeOpportunities, one("euro"), false},
		{"Severity", clevertim.ScopeCustomers, one("Low"), false}, // a cases field
		{"Ticket code", clevertim.ScopeCases, one("anything at all"), true},
		{"Industry", clevertim.ScopeCustomers, clevertim.CustomFieldValue{}, true}, // clearing
	}
	for _, tc := range cases {
		vals := clevertim.CustomFieldValues{byName[tc.field].ID: tc.value}
		_, err := clevertim.CheckCustomFieldValue(defs, tc.scope, byName[tc.field].ID, tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s %v on %s: %v", tc.field, tc.value.Values, tc.scope, err)
		}
		if err != nil && !errors.Is(err, clevertim.ErrInvalid) {
			t.Errorf("%s: error %v is not ErrInvalid", tc.field, err)
		}
		// What the client accepts, the emulator stores; what it refuses, the emulator refuses too.
		if tc.scope == clevertim.ScopeCustomers && len(tc.value.Values) > 0 {
			x := &clevertim.Contact{FirstName: "cf"}
			x.CustomFields = vals
			_, serr := c.Contacts.Create(ctx, x)
			if tc.ok && serr != nil {
				t.Errorf("%s %v: the emulator refused what the client accepts: %v", tc.field, tc.value.Values, serr)
			}
		}
	}
	if _, err := clevertim.CheckCustomFieldValue(defs, clevertim.ScopeCustomers, "4242", one("x")); err == nil {
		t.Error("an unknown field was accepted")
	}
}

// TestServices_UpdateKeepsUntouchedFields: an update sends back the fields
// its caller did not change exactly as Clevertim stored them. The records
// are created with raw JSON, as Clevertim's own UI would, so that their text
// fields are null: the model reads null as "", and must not write it back
// so.
func TestServices_UpdateKeepsUntouchedFields(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	customers, _ := c.Contacts.List(ctx)
	cust := `"` + string(customers[0].ID) + `"`
	untouched(t, c, "contact", `{"fn":"Ada"}`, c.Contacts, func(x *clevertim.Contact) string { x.Title = "Countess"; return "title" })
	untouched(t, c, "company", `{"cn":"Engines"}`, c.Companies, func(x *clevertim.Company) string { x.City = "London"; return "city" })
	untouched(t, c, "opportunity", `{"name":"Deal","cust":`+cust+`}`, c.Opportunities,
		func(x *clevertim.Opportunity) string { x.Currency = "EUR"; return "currency" })
	untouched(t, c, "case", `{"name":"Broken","cust":`+cust+`}`, c.Cases, func(x *clevertim.Case) string { x.Name = "Fixed"; return "name" })
	untouched(t, c, "task", `{"name":"Call","cust":`+cust+`}`, c.Tasks, func(x *clevertim.Task) string { x.Name = "Visit"; return "name" })
}

// untouched creates a record from raw JSON, updates it without changes,
// then with one change, and checks each time what changed upstream.
func untouched[T any](t *testing.T, c *clevertim.Client, resource, created string, svc interface {
	Get(context.Context, clevertim.ID) (*T, error)
	Update(context.Context, clevertim.ID, *T) (*T, error)
}, change func(*T) string) {
	t.Helper()
	ctx := context.Background()
	req, _ := http.NewRequest(http.MethodPost, c.BaseURL()+"/"+resource, strings.NewReader(created))
	req.SetBasicAuth(c.APIKey(), "X")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Content []struct {
			ID clevertim.ID `json:"id"`
		} `json:"content"`
	}
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || len(env.Content) != 1 {
		t.Fatalf("create %s: %v %v", resource, env, err)
	}
	id := env.Content[0].ID
	before := storedJSON(t, c, resource, id)
	if !slices.ContainsFunc(slices.Collect(maps.Values(before)), func(v json.RawMessage) bool { return string(v) == "null" }) {
		t.Fatalf("%s: the test wants null fields, got %v", resource, before)
	}
	rec, err := svc.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Update(ctx, id, rec); err != nil {
		t.Fatalf("%s update without changes: %v", resource, err)
	}
	if diff := changedFields(before, storedJSON(t, c, resource, id)); len(diff) > 0 {
		t.Errorf("%s: an update without changes changed %v", resource, diff)
	}
	rec, err = svc.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	field := change(rec)
	if _, err := svc.Update(ctx, id, rec); err != nil {
		t.Fatalf("%s update: %v", resource, err)
	}
	diff := changedFields(before, storedJSON(t, c, resource, id))
	if len(diff) != 1 || !strings.HasPrefix(diff[0], field+":") {
		t.Errorf("%s: changing %s changed %v", resource, field, diff)
	}
}

// storedJSON reads a record's raw JSON from the server, field by field.
func storedJSON(t *testing.T, c *clevertim.Client, resource string, id clevertim.ID) map[string]json.RawMessage {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.BaseURL()+"/"+resource+"/"+url.PathEscape(string(id)), nil)
	req.SetBasicAuth(c.APIKey(), "X")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Content []map[string]json.RawMessage `json:"content"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || len(env.Content) != 1 {
		t.Fatalf("GET %s/%s: %d records, %v", resource, id, len(env.Content), err)
	}
	return env.Content[0]
}

// changedFields lists the fields whose JSON differs, but lm, which every
// update sets.
func changedFields(before, after map[string]json.RawMessage) []string {
	var diff []string
	for k, v := range before {
		if k != "lm" && !bytes.Equal(v, after[k]) {
			diff = append(diff, fmt.Sprintf("%s: %s -> %s", k, v, after[k]))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			diff = append(diff, k+" added")
		}
	}
	slices.Sort(diff)
	return diff
}
