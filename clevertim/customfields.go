package clevertim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// CustomField defines an extra field on customers, companies, cases or
// opportunities.
type CustomField struct {
	Record
	Name     string             `json:"name"`
	FullName string             `json:"fullname"`
	Type     CustomFieldType    `json:"elemType"`
	Scopes   []CustomFieldScope `json:"modelType"`
	Multiple bool               `json:"multiple"`
	// Options are the allowed values of a select field.
	Options StringList `json:"values"`
	App     string     `json:"app"`
}

// Validate checks the definition before sending.
func (f *CustomField) Validate() error {
	if err := required("name", f.Name); err != nil {
		return err
	}
	if !f.Type.Valid() {
		return invalid("type", "%q is not a custom field type; use one of %s", f.Type, quoteAll(Codes[CustomFieldType]()))
	}
	if len(f.Scopes) == 0 {
		return invalid("scopes", "name at least one of %s", quoteAll(Codes[CustomFieldScope]()))
	}
	for i, s := range f.Scopes {
		if !s.Valid() {
			return invalid(indexed("scopes", i, ""), "%q is not a scope; use one of %s", s, quoteAll(Codes[CustomFieldScope]()))
		}
	}
	switch {
	case f.Type == FieldSelect && len(f.Options) == 0:
		return invalid("options", "a select field needs its allowed values")
	case f.Type != FieldSelect && len(f.Options) > 0:
		return invalid("options", "only a select field has allowed values, not a %s field", f.Type)
	}
	return nil
}

// AppliesTo reports whether the field is defined for records of scope s.
func (f *CustomField) AppliesTo(s CustomFieldScope) bool { return slices.Contains(f.Scopes, s) }

// CheckValue reports whether v is a valid value of this field, naming the
// field and the allowed values when it is not; the error's Field is
// "value". An empty value (clearing the field) is always valid.
func (f *CustomField) CheckValue(v CustomFieldValue) error {
	if len(v.Values) > 1 && !f.Multiple {
		return invalid("value", "the field %q takes one value, got %d", f.Name, len(v.Values))
	}
	for _, s := range v.Values {
		if err := f.checkOne(s); err != nil {
			return invalid("value", "the field %q: %s", f.Name, err)
		}
	}
	return nil
}

func (f *CustomField) checkOne(s string) error {
	switch f.Type {
	case FieldSelect:
		if !slices.Contains(f.Options, s) {
			return fmt.Errorf("%q is not one of %s", s, quoteAll(f.Options))
		}
	case FieldDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
		}
	case FieldUser, FieldContact, FieldCompany, FieldCase, FieldOpportunity:
		if _, ok := ID(s).Int(); !ok {
			return fmt.Errorf("%q is not the id of a %s", s, f.Type)
		}
	case FieldCurrency:
		if !currencyPattern.MatchString(s) {
			return fmt.Errorf("%q is not an ISO 4217 currency code such as \"EUR\"", s)
		}
	case FieldCountry:
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("a country cannot be blank")
		}
	}
	return nil
}

// CheckCustomFieldValue is the one check of a record's value for the custom
// field id: the field must be among the account's definitions, apply to
// records of scope, and accept v. It returns the definition. The error's
// Field is "fieldId" or "value", for the caller to place in its input.
func CheckCustomFieldValue(defs []*CustomField, scope CustomFieldScope, id ID, v CustomFieldValue) (*CustomField, error) {
	i := slices.IndexFunc(defs, func(d *CustomField) bool { return d.ID == id })
	if i < 0 {
		return nil, invalid("fieldId", "there is no custom field with id %s", id)
	}
	def := defs[i]
	if !def.AppliesTo(scope) {
		return nil, invalid("fieldId", "the field %q applies to %s, not to %s", def.Name, quoteAll(def.Scopes), scope)
	}
	return def, def.CheckValue(v)
}
