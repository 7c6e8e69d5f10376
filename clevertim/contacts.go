package clevertim

import "strings"

// Contact is a person (`is_company` false).
type Contact struct {
	Customer
	FirstName string `json:"fn"`
	LastName  string `json:"ln"`
	Title     string `json:"title"`
	CompanyID *ID    `json:"companyId"`
}

// Name is the full name as Clevertim shows it.
func (c *Contact) Name() string {
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

// Validate checks what Clevertim would reject, before sending.
func (c *Contact) Validate() error {
	if strings.TrimSpace(c.FirstName) == "" && strings.TrimSpace(c.LastName) == "" {
		return invalid("firstName", "a contact needs a first name or a last name")
	}
	return c.validate()
}
