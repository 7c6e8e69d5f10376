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

// Validate checks what Clevertim would reject, before sending. An existing
// note may carry its type back unchanged (see CheckNoteType).
func (n *Note) Validate() error {
	if n.ID == "" {
		return CheckNoteType(nil, n.Type)
	}
	return CheckNoteType(n.Type, n.Type)
}

// CheckNoteType is the rule for changing a note's type from (nil for a new
// note) to to: a dropped email (type E) is made by the server, so a note
// may carry it only if it was one already.
func CheckNoteType(from, to *NoteType) error {
	if to == nil {
		return nil
	}
	if !to.Valid() || (*to == NoteEmailDropped && (from == nil || *from != NoteEmailDropped)) {
		return invalid("type", "%q cannot be set; use one of %s", *to, quoteAll(SettableNoteTypes()))
	}
	return nil
}
