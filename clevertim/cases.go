package clevertim

// Case is a support case.
type Case struct {
	Record
	Visibility
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	LeadUserID    *ID               `json:"leadUser"`
	CustomerID    *ID               `json:"cust"`
	CustomFields  CustomFieldValues `json:"cf"`
	Tags          StringList        `json:"tags"`
	TaskIDs       IDList            `json:"tasks"`
	NoteIDs       IDList            `json:"notes"`
	FileIDs       IDList            `json:"files"`
	LinkedFileIDs IDList            `json:"lfiles"`
	CreatedBy     ID                `json:"userId"`
}

// Validate checks what Clevertim would reject, before sending.
func (c *Case) Validate() error { return required("name", c.Name) }
