// Package model holds the GraphQL types that are not the client's records:
// connections, orderBy and mutation inputs, the unions, and (generated)
// the remaining inputs and enums.
package model

import "github.com/clevertim-graphql/clevertim-graphql/clevertim"

// PageInfo is Relay's page information.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Connection is a Relay connection over records of type T. Edges and
// cursors are built only when a query asks for them.
type Connection[T any] struct {
	nodes      []*T
	cursor     func(i int) string
	hasNext    bool
	hasPrev    bool
	TotalCount int
}

// NewConnection makes a connection over one page of nodes; cursor(i) is the
// cursor of nodes[i].
func NewConnection[T any](nodes []*T, cursor func(i int) string, total int, hasPrev, hasNext bool) *Connection[T] {
	return &Connection[T]{nodes: nodes, cursor: cursor, TotalCount: total, hasPrev: hasPrev, hasNext: hasNext}
}

// Nodes are the page's records.
func (c *Connection[T]) Nodes() []*T { return c.nodes }

// Edges are the page's records with their cursors.
func (c *Connection[T]) Edges() []*Edge[T] {
	edges := make([]*Edge[T], len(c.nodes))
	for i, n := range c.nodes {
		edges[i] = &Edge[T]{Node: n, Cursor: c.cursor(i)}
	}
	return edges
}

// PageInfo says whether there is more on either side of the page.
func (c *Connection[T]) PageInfo() *PageInfo {
	p := &PageInfo{HasNextPage: c.hasNext, HasPreviousPage: c.hasPrev}
	if n := len(c.nodes); n > 0 {
		start, end := c.cursor(0), c.cursor(n-1)
		p.StartCursor, p.EndCursor = &start, &end
	}
	return p
}

// Edge is one record of a connection with its cursor.
type Edge[T any] struct {
	Node   *T
	Cursor string
}

// The connections the schema declares, one per record type.
type (
	ContactConnection     = Connection[clevertim.Contact]
	ContactEdge           = Edge[clevertim.Contact]
	CompanyConnection     = Connection[clevertim.Company]
	CompanyEdge           = Edge[clevertim.Company]
	OpportunityConnection = Connection[clevertim.Opportunity]
	OpportunityEdge       = Edge[clevertim.Opportunity]
	CaseConnection        = Connection[clevertim.Case]
	CaseEdge              = Edge[clevertim.Case]
	TaskConnection        = Connection[clevertim.Task]
	TaskEdge              = Edge[clevertim.Task]
	NoteConnection        = Connection[clevertim.Note]
	NoteEdge              = Edge[clevertim.Note]
	CommentConnection     = Connection[clevertim.Comment]
	CommentEdge           = Edge[clevertim.Comment]
	CustomFieldConnection = Connection[clevertim.CustomField]
	CustomFieldEdge       = Edge[clevertim.CustomField]
	UserConnection        = Connection[clevertim.User]
	UserEdge              = Edge[clevertim.User]
	GroupConnection       = Connection[clevertim.Group]
	GroupEdge             = Edge[clevertim.Group]
	FolderConnection      = Connection[clevertim.Folder]
	FolderEdge            = Edge[clevertim.Folder]
	FileConnection        = Connection[clevertim.File]
	FileEdge              = Edge[clevertim.File]
	LinkedFileConnection  = Connection[clevertim.LinkedFile]
	LinkedFileEdge        = Edge[clevertim.LinkedFile]
)

// Customer is a *clevertim.Contact or a *clevertim.Company. The schema's
// union; the client's types need no marker method.
type Customer interface{}

// Node is a record with a global id: any of the records of the resource
// table, as a pointer (*clevertim.Contact, ...).
type Node interface{}

// LinkedRecord is what a reference custom field points at: a *clevertim.User,
// *clevertim.Contact, *clevertim.Company, *clevertim.Case or *clevertim.Opportunity.
type LinkedRecord interface{}
