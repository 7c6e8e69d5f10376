package graph

import (
	"context"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
)

// Query planning. The whole operation is known before the first resolver
// runs, so the collections it will scan can be fetched at once, in parallel,
// instead of level after level. A collection is prefetched when:
//   - it is small (users, groups, custom fields, folders) and the query uses it;
//   - a top-level list or a derived reverse link scans it;
//   - the query will want more of its records than a loader would fetch one
//     by one, estimated from the page sizes along the path.
//
// Single records (contact(id: ...)) and short nested lists are left to the
// loaders, which fetch them by id once their parents are known.

// nestedListGuess is how many records a nested list without first/last is
// assumed to hold: a contact's notes, a note's comments.
const nestedListGuess = 3

// planner collects the GraphQL object types whose collections to prefetch.
type planner struct {
	vars      map[string]any
	threshold int
	want      map[string]bool
}

func (p *planner) walk(sel ast.SelectionSet, many int) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			p.field(s, many)
		case *ast.InlineFragment:
			p.walk(s.SelectionSet, many)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				p.walk(s.Definition.SelectionSet, many)
			}
		}
	}
}

func (p *planner) field(f *ast.Field, many int) {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return // __typename
	}
	typeName := f.Definition.Type.Name()
	parent := f.ObjectDefinition.Name
	if node, ok := strings.CutSuffix(typeName, "Connection"); ok {
		topLevel := parent == "Query"
		many *= p.pageSize(f, topLevel)
		// Top-level lists and Company.contacts read the whole collection.
		p.need(node, many, topLevel || (parent == "Company" && f.Name == "contacts"))
		p.walk(f.SelectionSet, many)
		return
	}
	// A connection's edges and nodes are its page, counted already.
	inPage := strings.HasSuffix(parent, "Connection")
	if f.Definition.Type.Elem != nil && !inPage {
		many *= nestedListGuess
	}
	p.need(typeName, many, false)
	p.walk(f.SelectionSet, many)
}

// pageSize is the number of records a connection field will return at most.
func (p *planner) pageSize(f *ast.Field, topLevel bool) int {
	if n, ok := requestedPage(f, p.vars); ok {
		return n
	}
	if topLevel {
		return DefaultPageSize
	}
	return nestedListGuess
}

// requestedPage is the first or last argument of a connection field, kept
// between 1 and MaxPageSize (beyond it, paging refuses the request anyway).
func requestedPage(f *ast.Field, vars map[string]any) (int, bool) {
	args := f.ArgumentMap(vars)
	for _, name := range []string{"first", "last"} {
		switch n := args[name].(type) {
		case int64:
			return min(max(int(n), 1), MaxPageSize), true
		case int:
			return min(max(n, 1), MaxPageSize), true
		}
	}
	return 0, false
}

func (p *planner) need(typeName string, many int, scan bool) {
	switch typeName {
	case "User", "Group", "CustomField", "Folder":
		p.want[typeName] = true
	case "Customer":
		p.need("Contact", many, scan)
		p.need("Company", many, scan)
	case "Contact", "Company", "Opportunity", "Case", "Task", "Note", "Comment", "File", "LinkedFile":
		if scan || many > p.threshold {
			p.want[typeName] = true
		}
	}
}

// prefetchers maps a GraphQL type to the collection of the request's loaders.
func prefetchers(l *loaders.Loaders) map[string]func(context.Context) func() {
	return map[string]func(context.Context) func(){
		"Contact": l.Contacts.Prefetch, "Company": l.Companies.Prefetch, "Opportunity": l.Opportunities.Prefetch,
		"Case": l.Cases.Prefetch, "Task": l.Tasks.Prefetch, "Note": l.Notes.Prefetch, "Comment": l.Comments.Prefetch,
		"CustomField": l.CustomFields.Prefetch, "User": l.Users.Prefetch, "Group": l.Groups.Prefetch,
		"Folder": l.Folders.Prefetch, "File": l.Files.Prefetch, "LinkedFile": l.LinkedFiles.Prefetch,
	}
}

// planOperation returns the types whose collections a query operation
// should prefetch. Mutations are not planned: their reads follow writes.
func planOperation(oc *graphql.OperationContext, threshold int) map[string]bool {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	p := &planner{vars: oc.Variables, threshold: threshold, want: map[string]bool{}}
	p.walk(oc.Operation.SelectionSet, 1)
	return p.want
}

// prefetch is the operation middleware that starts the planned fetches and,
// before the response goes out, waits for them, so that no fetch outlives
// its request and extensions.upstream counts them all.
func prefetch(threshold int) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		want := planOperation(graphql.GetOperationContext(ctx), threshold)
		if len(want) == 0 {
			return next(ctx)
		}
		start := prefetchers(loaders.For(ctx))
		var waits []func()
		for typeName := range want {
			waits = append(waits, start[typeName](ctx))
		}
		respond := next(ctx)
		var once sync.Once
		return func(ctx context.Context) *graphql.Response {
			resp := respond(ctx)
			once.Do(func() {
				for _, w := range waits {
					w()
				}
			})
			return resp
		}
	}
}
