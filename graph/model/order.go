package model

// Order is an orderBy input: one field of a resource and a direction. One
// generic type serves every resource, so code that sorts can read any of them.
type Order[F ~string] struct {
	Field     F
	Direction OrderDirection
}

// Desc reports whether the order is descending.
func (o *Order[F]) Desc() bool { return o.Direction == OrderDirectionDesc }

// The orderBy inputs the schema declares.
type (
	ContactOrder     = Order[ContactOrderField]
	CompanyOrder     = Order[CompanyOrderField]
	OpportunityOrder = Order[OpportunityOrderField]
	CaseOrder        = Order[CaseOrderField]
	TaskOrder        = Order[TaskOrderField]
	NoteOrder        = Order[NoteOrderField]
	CommentOrder     = Order[CommentOrderField]
)
