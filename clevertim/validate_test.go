package clevertim_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

func TestValidation(t *testing.T) {
	t.Parallel()
	c, emu := setup(t)
	ptrTo := func(s string) *clevertim.ID { id := clevertim.ID(s); return &id }
	cases := []struct {
		name  string
		call  func(ctx context.Context) error
		field string
		words string
	}{
		{"contact without a name", func(ctx context.Context) error {
			_, err := c.Contacts.Create(ctx, &clevertim.Contact{Title: "x"})
			return err
		}, "firstName", "first name or a last name"},
		{"phone type", func(ctx context.Context) error {
			x := &clevertim.Contact{FirstName: "x"}
			x.Phones = []clevertim.Phone{{Type: "Cell", Number: "1"}}
			_, err := c.Contacts.Create(ctx, x)
			return err
		}, "phones[0].type", `"Work", "Home", "Mobile", "Fax", "Pager"`},
		{"social venue", func(ctx context.Context) error {
			x := &clevertim.Contact{FirstName: "x"}
			x.SocialMedia = []clevertim.SocialMediaID{{Venue: "MySpace", Handle: "h"}}
			_, err := c.Contacts.Create(ctx, x)
			return err
		}, "socialMedia[0].venue", `"Google+"`},
		{"customer type", func(ctx context.Context) error {
			ct := clevertim.CustomerType("Z")
			x := &clevertim.Company{Name: "x"}
			x.CustomerType = &ct
			_, err := c.Companies.Create(ctx, x)
			return err
		}, "customerType", `"C", "P"`},
		{"email", func(ctx context.Context) error {
			x := &clevertim.Company{Name: "x"}
			x.Emails = clevertim.StringList{"not-an-address"}
			_, err := c.Companies.Create(ctx, x)
			return err
		}, "emails[0]", "not an email"},
		{"company name", func(ctx context.Context) error {
			_, err := c.Companies.Update(ctx, "1", &clevertim.Company{})
			return err
		}, "name", "required"},
		{"opportunity value", func(ctx context.Context) error {
			_, err := c.Opportunities.Create(ctx, &clevertim.Opportunity{Name: "x", Value: "1,000"})
			return err
		}, "value", "decimal"},
		{"opportunity currency", func(ctx context.Context) error {
			_, err := c.Opportunities.Create(ctx, &clevertim.Opportunity{Name: "x", Currency: "euro"})
			return err
		}, "currency", "ISO 4217"},
		{"case name", func(ctx context.Context) error {
			_, err := c.Cases.Create(ctx, &clevertim.Case{})
			return err
		}, "name", "required"},
		{"task type", func(ctx context.Context) error {
			tt := clevertim.TaskType("Party")
			_, err := c.Tasks.Create(ctx, &clevertim.Task{Name: "x", Type: &tt})
			return err
		}, "type", `"Follow up", "TO DO", "Not set"`},
		{"recurrence", func(ctx context.Context) error {
			r := clevertim.Recurrence("Q")
			_, err := c.Tasks.Create(ctx, &clevertim.Task{Name: "x", Recurrence: &r})
			return err
		}, "recurrence", `"N", "D", "W", "M", "Y"`},
		{"task date", func(ctx context.Context) error {
			_, err := c.Tasks.Create(ctx, &clevertim.Task{Name: "x", Start: clevertim.NewTaskDate(2026, time.February, 30)})
			return err
		}, "start", "calendar date"},
		{"task hour", func(ctx context.Context) error {
			_, err := c.Tasks.Create(ctx, &clevertim.Task{Name: "x", End: clevertim.NewTaskDate(2026, 1, 1).WithTime(25, 0)})
			return err
		}, "end", "hour 25"},
		{"dropped email type", func(ctx context.Context) error {
			nt := clevertim.NoteEmailDropped
			_, err := c.Notes.Create(ctx, &clevertim.Note{Text: "x", Type: &nt})
			return err
		}, "type", `"N", "S", "M"`},
		{"comment on nothing", func(ctx context.Context) error {
			_, err := c.Comments.Create(ctx, &clevertim.Comment{Text: "x"})
			return err
		}, "noteId", "exactly one"},
		{"comment on both", func(ctx context.Context) error {
			_, err := c.Comments.Create(ctx, &clevertim.Comment{Text: "x", NoteID: ptrTo("1"), TaskID: ptrTo("2")})
			return err
		}, "noteId", "exactly one"},
		{"empty comment", func(ctx context.Context) error {
			_, err := c.Comments.Create(ctx, &clevertim.Comment{NoteID: ptrTo("1")})
			return err
		}, "text", "required"},
		{"custom field type", func(ctx context.Context) error {
			_, err := c.CustomFields.Create(ctx, &clevertim.CustomField{Name: "x", Type: "slider", Scopes: []clevertim.CustomFieldScope{clevertim.ScopeCases}})
			return err
		}, "type", `"input", "select"`},
		{"custom field scope", func(ctx context.Context) error {
			_, err := c.CustomFields.Create(ctx, &clevertim.CustomField{Name: "x", Type: clevertim.FieldInput, Scopes: []clevertim.CustomFieldScope{"planets"}})
			return err
		}, "scopes[0]", `"customers", "companies"`},
		{"select without values", func(ctx context.Context) error {
			_, err := c.CustomFields.Create(ctx, &clevertim.CustomField{Name: "x", Type: clevertim.FieldSelect, Scopes: []clevertim.CustomFieldScope{clevertim.ScopeCases}})
			return err
		}, "options", "allowed values"},
		{"empty id", func(ctx context.Context) error {
			_, err := c.Contacts.Get(ctx, "")
			return err
		}, "id", "required"},
	}
	emu.ResetStats()
	for _, tc := range cases {
		err := tc.call(context.Background())
		var v *clevertim.ValidationError
		if !errors.As(err, &v) || !errors.Is(err, clevertim.ErrInvalid) {
			t.Errorf("%s: got %v, want a ValidationError", tc.name, err)
			continue
		}
		if v.Field != tc.field || !strings.Contains(v.Message, tc.words) {
			t.Errorf("%s: field %q message %q, want field %q mentioning %q", tc.name, v.Field, v.Message, tc.field, tc.words)
		}
	}
	if n := emu.Stats().Total; n != 0 {
		t.Errorf("validation failures sent %d requests, want none", n)
	}
}
