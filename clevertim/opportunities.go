package clevertim

import (
	"regexp"
	"strings"
)

// Opportunity is a deal in the pipeline.
type Opportunity struct {
	Record
	Visibility
	Name        string `json:"name"`
	Description string `json:"description"`
	// Status is the pipeline state. Accounts customise the states, so it is
	// free text; Open, Closed, Won and Lost are the defaults.
	Status        string            `json:"status"`
	LeadUserID    *ID               `json:"leadUser"`
	Value         Decimal           `json:"value"`
	Currency      string            `json:"currency"`
	CustomerID    *ID               `json:"cust"`
	CustomFields  CustomFieldValues `json:"cf"`
	Tags          StringList        `json:"tags"`
	TaskIDs       IDList            `json:"tasks"`
	NoteIDs       IDList            `json:"notes"`
	FileIDs       IDList            `json:"files"`
	LinkedFileIDs IDList            `json:"lfiles"`
	CreatedBy     ID                `json:"userId"`
}

// Default opportunity states.
const (
	StatusOpen   = "Open"
	StatusClosed = "Closed"
	StatusWon    = "Won"
	StatusLost   = "Lost"
)

var (
	decimalPattern  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// IsDecimal reports whether s is an amount as Clevertim takes it: digits,
// an optional minus sign and decimal point, no exponent or grouping.
func IsDecimal(s string) bool { return decimalPattern.MatchString(s) }

// IsCurrencyCode reports whether s is an ISO 4217 code: three capitals.
func IsCurrencyCode(s string) bool { return currencyPattern.MatchString(s) }

// Validate checks what Clevertim would reject, before sending.
func (o *Opportunity) Validate() error {
	if err := required("name", o.Name); err != nil {
		return err
	}
	if o.Value != "" && !decimalPattern.MatchString(string(o.Value)) {
		return invalid("value", "%q is not a decimal number such as \"1000.50\"", o.Value)
	}
	return checkCurrency("currency", o.Currency)
}

func checkCurrency(field, code string) error {
	if code != "" && !currencyPattern.MatchString(code) {
		return invalid(field, "%q is not an ISO 4217 currency code such as \"EUR\"", code)
	}
	return nil
}

// Decimal is an amount as Clevertim sends it: a decimal number in a string.
type Decimal string

// UnmarshalJSON accepts a string, a number or null.
func (d *Decimal) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	if s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		*d = Decimal(s) // a bare number: keep its digits exactly
		return nil
	}
	var f flexString
	if err := f.UnmarshalJSON(data); err != nil {
		return err
	}
	*d = Decimal(f)
	return nil
}

// MarshalJSON writes a string, or null when empty.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d == "" {
		return []byte("null"), nil
	}
	return []byte(`"` + string(d) + `"`), nil
}
