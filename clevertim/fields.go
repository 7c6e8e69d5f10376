package clevertim

import (
	"cmp"
	"slices"
	"strings"
)

// Read-only views of records for code that handles them generically, and for
// the GraphQL layer, which binds schema fields to these methods so that
// reading them costs no resolver: gqlgen cannot bind a named slice type such
// as StringList to a list, nor derive a field from two.

// RecordID is the record's id.
func (r Record) RecordID() ID { return r.ID }

// ClevertimID is the record's id as Clevertim's API and web app know it,
// for the GraphQL field clevertimId (id is the graph-wide global id).
func (r Record) ClevertimID() ID { return r.ID }

// RecordPtr is a pointer to a record: code generic over records of type T
// constrains its pointer type P by it to read their ids.
type RecordPtr[T any] interface {
	*T
	RecordID() ID
}

// Audience says in one word who may see a record.
type Audience string

// The audiences, as the GraphQL enum Visibility names them.
const (
	AudiencePublic  Audience = "PUBLIC"
	AudiencePrivate Audience = "PRIVATE"
	AudienceGroups  Audience = "GROUPS"
)

// Audience is one user (private), some groups, or everyone.
func (v Visibility) Audience() Audience {
	switch {
	case v.IsPrivate:
		return AudiencePrivate
	case v.GroupMask != 0:
		return AudienceGroups
	default:
		return AudiencePublic
	}
}

// EmailList is Emails as a plain slice.
func (c *Customer) EmailList() []string { return c.Emails }

// WebsiteList is Websites as a plain slice.
func (c *Customer) WebsiteList() []string { return c.Websites }

// TagList is Tags as a plain slice.
func (c *Customer) TagList() []string { return c.Tags }

// TagList is Tags as a plain slice.
func (o *Opportunity) TagList() []string { return o.Tags }

// TagList is Tags as a plain slice.
func (c *Case) TagList() []string { return c.Tags }

// OptionList is Options as a plain slice.
func (f *CustomField) OptionList() []string { return f.Options }

// Amount is the value as Clevertim wrote it, or nil when unset.
func (o *Opportunity) Amount() *Decimal {
	if o.Value == "" {
		return nil
	}
	return &o.Value
}

// CurrencyCode is the currency, or nil when unset.
func (o *Opportunity) CurrencyCode() *string {
	if o.Currency == "" {
		return nil
	}
	return &o.Currency
}

// RecurrenceRule is a task's recurrence as one value.
type RecurrenceRule struct {
	Frequency    Recurrence
	Every        int
	SkipWeekends bool
}

// RecurrenceRule is the task's recurrence: an unset or unknown frequency is
// RecurNone, and it repeats every one period or more.
func (t *Task) RecurrenceRule() *RecurrenceRule {
	rule := &RecurrenceRule{Frequency: RecurNone, Every: max(t.RecurEvery, 1), SkipWeekends: t.RecurOptions.SkipWeekends}
	if t.Recurrence != nil && t.Recurrence.Valid() {
		rule.Frequency = *t.Recurrence
	}
	return rule
}

// Compare orders numeric ids by value, before other ids in text order: the
// order Clevertim creates them in.
func (id ID) Compare(other ID) int {
	a, aok := id.Int()
	b, bok := other.Int()
	switch {
	case aok && bok:
		return cmp.Compare(a, b)
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(string(id), string(other))
}

// FieldValue is a record's value for one custom field, with the field's id
// and the record's kind and id: together they identify the value, so a
// client cache can tell one record's value from another's.
type FieldValue struct {
	RecordKind string
	RecordID   ID
	FieldID    ID
	Values     []string
}

// Key identifies the value among all records' values: kind:record:field.
func (v *FieldValue) Key() string {
	return v.RecordKind + ":" + string(v.RecordID) + ":" + string(v.FieldID)
}

// Value is the value as text, or nil when the field is empty.
func (v *FieldValue) Value() *string {
	if len(v.Values) == 0 {
		return nil
	}
	s := CustomFieldValue{Values: v.Values}.Text()
	return &s
}

// List is the values that are set, in field id order, of the record of this
// kind (its resource name, such as "contact") and id.
func (v CustomFieldValues) List(kind string, record ID) []*FieldValue {
	out := make([]*FieldValue, 0, len(v))
	for id, value := range v {
		if len(value.Values) > 0 {
			out = append(out, &FieldValue{RecordKind: kind, RecordID: record, FieldID: id, Values: value.Values})
		}
	}
	slices.SortFunc(out, func(a, b *FieldValue) int { return a.FieldID.Compare(b.FieldID) })
	return out
}

// CustomFieldList is the custom field values that are set, in field id order.
func (c *Contact) CustomFieldList() []*FieldValue { return c.CustomFields.List("contact", c.ID) }

// CustomFieldList is the custom field values that are set, in field id order.
func (c *Company) CustomFieldList() []*FieldValue { return c.CustomFields.List("company", c.ID) }

// CustomFieldList is the custom field values that are set, in field id order.
func (o *Opportunity) CustomFieldList() []*FieldValue {
	return o.CustomFields.List("opportunity", o.ID)
}

// CustomFieldList is the custom field values that are set, in field id order.
func (c *Case) CustomFieldList() []*FieldValue { return c.CustomFields.List("case", c.ID) }
