package clevertim

// Note is a note, an email or an SMS filed under customers, a case or an
// opportunity.
type Note struct {
	Record
	Visibility
	Text          string       `json:"desc"`
	Type          *NoteType    `json:"type"`
	CustomerIDs   IDList       `json:"cust"`
	CaseID        *ID          `json:"case"`
	OpportunityID *ID          `json:"opportunity"`
	CommentIDs    IDList       `json:"comments"`
	FileIDs       IDList       `json:"files"`
	LinkedFileIDs IDList       `json:"lfiles"`
	CreatedBy     ID           `json:"userId"`
	IsDeleted     bool         `json:"is_deleted"`
	Headline      string       `json:"hl"`
	SMSDelivery   *SMSDelivery `json:"delvry"`
	Email         *NoteEmail   `json:"email"`
}

// NoteEmail is what Clevertim keeps of an email note.
type NoteEmail struct {
	From    string           `json:"f"`
	Subject string           `json:"s"`
	To      []EmailRecipient `json:"t"`
	Cc      []EmailRecipient `json:"c"`
	Bcc     []EmailRecipient `json:"b"`
}

// EmailRecipient is one address an email went to and what became of it.
type EmailRecipient struct {
	Address      string          `json:"e"`
	Status       RecipientStatus `json:"s"`
	BounceReason string          `json:"t"`
}

// Validate checks what Clevertim would reject, before sending. A dropped
// email (type E) is made by the server: a new note may not claim it, while
// an existing one may carry it back unchanged.
func (n *Note) Validate() error {
	if n.Type == nil {
		return nil
	}
	if !n.Type.Valid() || (*n.Type == NoteEmailDropped && n.ID == "") {
		return invalid("type", "%q cannot be set; use one of %s", *n.Type, quoteAll(SettableNoteTypes()))
	}
	return nil
}
