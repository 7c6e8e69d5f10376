package clevertim

// Company is an organisation (`is_company` true).
type Company struct {
	Customer
	Name string `json:"cn"`
}

// Validate checks what Clevertim would reject, before sending.
func (c *Company) Validate() error {
	if err := required("name", c.Name); err != nil {
		return err
	}
	return c.validate()
}
