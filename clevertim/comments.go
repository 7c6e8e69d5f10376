package clevertim

// Comment is a remark on exactly one note or one task.
type Comment struct {
	Record
	Text      string `json:"comment"`
	NoteID    *ID    `json:"nid"`
	TaskID    *ID    `json:"tid"`
	CreatedBy ID     `json:"userId"`
}

// Validate checks what Clevertim would reject, before sending.
func (c *Comment) Validate() error {
	if err := required("text", c.Text); err != nil {
		return err
	}
	onNote := c.NoteID != nil && *c.NoteID != ""
	onTask := c.TaskID != nil && *c.TaskID != ""
	if onNote == onTask {
		return invalid("noteId", "a comment belongs to exactly one of a note or a task")
	}
	return nil
}
