package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// The create and update inputs of a resource share one changes type, so a
// field is declared once and applied by one function whichever mutation
// carries it. gqlgen binds the schema's fields to the embedded fields by
// name. Omittable tells an absent field (keep the value) from null (clear it).

// CustomerChanges are the fields contacts and companies share.
type CustomerChanges struct {
	Description  graphql.Omittable[*string]
	Emails       graphql.Omittable[[]string]
	Phones       graphql.Omittable[[]*PhoneInput]
	Websites     graphql.Omittable[[]string]
	Address      graphql.Omittable[*AddressInput]
	SocialMedia  graphql.Omittable[[]*SocialMediaIDInput]
	CustomerType graphql.Omittable[*clevertim.CustomerType]
	Tags         graphql.Omittable[[]string]
	CustomFields graphql.Omittable[[]*CustomFieldValueInput]
	Visibility   graphql.Omittable[*VisibilityInput]
}

// ContactChanges are the fields a contact input may set.
type ContactChanges struct {
	CustomerChanges
	FirstName, LastName, Title graphql.Omittable[*string]
	CompanyID                  graphql.Omittable[*clevertim.ID]
}

// CreateContactInput is createContact's input.
type CreateContactInput struct{ ContactChanges }

// UpdateContactInput is updateContact's input.
type UpdateContactInput struct {
	ContactChanges
	ExpectedLastModified graphql.Omittable[*time.Time]
}

// CreateCompanyInput is createCompany's input.
type CreateCompanyInput struct {
	Name string
	CustomerChanges
}

// UpdateCompanyInput is updateCompany's input.
type UpdateCompanyInput struct {
	Name graphql.Omittable[*string]
	CustomerChanges
	ExpectedLastModified graphql.Omittable[*time.Time]
}

// OpportunityChanges are the fields an opportunity input may set, but its name.
type OpportunityChanges struct {
	Description, Status, Currency graphql.Omittable[*string]
	Value                         graphql.Omittable[*clevertim.Decimal]
	CustomerID, LeadUserID        graphql.Omittable[*clevertim.ID]
	Tags                          graphql.Omittable[[]string]
	CustomFields                  graphql.Omittable[[]*CustomFieldValueInput]
	Visibility                    graphql.Omittable[*VisibilityInput]
}

// CreateOpportunityInput is createOpportunity's input.
type CreateOpportunityInput struct {
	Name string
	OpportunityChanges
}

// UpdateOpportunityInput is updateOpportunity's input.
type UpdateOpportunityInput struct {
	Name graphql.Omittable[*string]
	OpportunityChanges
	ExpectedLastModified graphql.Omittable[*time.Time]
}

// CaseChanges are the fields a case input may set, but its name.
type CaseChanges struct {
	Description            graphql.Omittable[*string]
	CustomerID, LeadUserID graphql.Omittable[*clevertim.ID]
	Tags                   graphql.Omittable[[]string]
	CustomFields           graphql.Omittable[[]*CustomFieldValueInput]
	Visibility             graphql.Omittable[*VisibilityInput]
}

// CreateCaseInput is createCase's input.
type CreateCaseInput struct {
	Name string
	CaseChanges
}

// UpdateCaseInput is updateCase's input.
type UpdateCaseInput struct {
	Name graphql.Omittable[*string]
	CaseChanges
	ExpectedLastModified graphql.Omittable[*time.Time]
}

// TaskChanges are the fields a task input may set, but its name.
type TaskChanges struct {
	Type                                          graphql.Omittable[*clevertim.TaskType]
	Location                                      graphql.Omittable[*string]
	CustomerID, CaseID, OpportunityID, AssigneeID graphql.Omittable[*clevertim.ID]
	Start, End                                    graphql.Omittable[*TaskDateTimeInput]
	Recurrence                                    graphql.Omittable[*TaskRecurrenceInput]
	Visibility                                    graphql.Omittable[*VisibilityInput]
}

// CreateTaskInput is createTask's input.
type CreateTaskInput struct {
	Name string
	TaskChanges
}

// UpdateTaskInput is updateTask's input.
type UpdateTaskInput struct {
	Name graphql.Omittable[*string]
	TaskChanges
	IsCompleted          graphql.Omittable[*bool]
	ExpectedLastModified graphql.Omittable[*time.Time]
}

// NoteChanges are the fields a note input may set, but its text.
type NoteChanges struct {
	Type                  graphql.Omittable[*clevertim.NoteType]
	CustomerIDs           graphql.Omittable[[]clevertim.ID]
	CaseID, OpportunityID graphql.Omittable[*clevertim.ID]
	Visibility            graphql.Omittable[*VisibilityInput]
}

// CreateNoteInput is createNote's input.
type CreateNoteInput struct {
	Text string
	NoteChanges
}

// UpdateNoteInput is updateNote's input.
type UpdateNoteInput struct {
	Text graphql.Omittable[*string]
	NoteChanges
	ExpectedLastModified graphql.Omittable[*time.Time]
}

// CustomFieldChanges are the fields of a custom field definition that both
// inputs leave optional.
type CustomFieldChanges struct {
	FullName graphql.Omittable[*string]
	Multiple graphql.Omittable[*bool]
	Options  graphql.Omittable[[]string]
}

// CreateCustomFieldInput is createCustomField's input.
type CreateCustomFieldInput struct {
	Name   string
	Type   clevertim.CustomFieldType
	Scopes []clevertim.CustomFieldScope
	CustomFieldChanges
}

// UpdateCustomFieldInput is updateCustomField's input.
type UpdateCustomFieldInput struct {
	Name   graphql.Omittable[*string]
	Type   graphql.Omittable[*clevertim.CustomFieldType]
	Scopes graphql.Omittable[[]clevertim.CustomFieldScope]
	CustomFieldChanges
}
