package graph

import (
	"context"
	"math"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clevertim-graphql/clevertim-graphql/graph/generated"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
)

// Query planning. The whole operation is known before the first resolver
// runs, so the collections it will scan can be fetched at once, in parallel,
// instead of level after level. A collection is prefetched when:
//   - it is small (users, groups, custom fields, folders) and the query uses it;
//   - a top-level list or a derived reverse link scans it;
//   - the query will want more of its records than are faster fetched one
//     by one, estimated from the page sizes along the path and the children
//     a parent has on average in the key's full reads, and decided with the
//     loaders' model (Resource.WantsCollectionAfter: the round trips of the
//     ids, after the levels that find them, against the collection's bytes
//     at the link's throughput, read alongside those levels).
//
// Single records (contact(id: ...)) and short nested lists are left to the
// loaders, which fetch them by id once their parents are known. The
// estimate is an upper bound on the pages (every page full), so the budget
// is left to the loaders too: they know how many ids there really are.

// nestedListGuess is how many records a nested list without first/last is
// assumed to hold (a contact's notes, a note's comments) until the key's
// full reads show how many children a parent has. It errs low: a
// collection prefetched by mistake costs the account, a list left to the
// loaders by mistake costs one level's round trips, and they then decide
// on the ids they really have.
const nestedListGuess = 1

// planner collects the GraphQL object types whose collections to prefetch.
type planner struct {
	oc      *graphql.OperationContext
	schema  *ast.Schema
	loaders *loaders.Loaders
	byType  map[string]described
	// scans are the reverse links, "Parent.field", each reading the whole
	// collection of its type.
	scans map[string]bool
	want  map[string]bool
}

// walk visits the fields a selection set selects on an object of type
// typeName: gqlgen's field collection applies fragments, type conditions and
// @skip/@include as execution will. many is how many such objects the query
// may reach; before is how many levels of records must be fetched, one
// after the other, before their ids are known (0 on Query).
func (p *planner) walk(sel ast.SelectionSet, typeName string, many, before int) {
	for _, f := range graphql.CollectFields(p.oc, sel, p.satisfies(typeName)) {
		p.field(f, typeName, many, before)
	}
}

// satisfies is what a fragment's type condition may name to apply to an
// object of this type: the type and its interfaces.
func (p *planner) satisfies(typeName string) []string {
	out := []string{typeName}
	if def := p.schema.Types[typeName]; def != nil {
		out = append(out, def.Interfaces...)
	}
	return out
}

func (p *planner) field(f graphql.CollectedField, parent string, many, before int) {
	if f.Definition == nil {
		return // __typename
	}
	typeName := f.Definition.Type.Name()
	if node, ok := p.connectionNode(typeName); ok {
		topLevel := parent == p.schema.Query.Name
		page := many * p.pageSize(f.Field, topLevel)
		if ratio, ok := p.perParent(parent, node); ok && !topLevel {
			// The children the parents have: fewer than the pages when
			// they are not full, and instead of the guess when no page
			// size is given.
			children := int(math.Ceil(float64(many) * ratio))
			if _, sized := requestedPage(f.Field, p.oc.Variables); sized {
				children = min(page, children)
			}
			page = children
		}
		many = max(page, 1)
		p.need(node, many, before, topLevel || p.scans[parent+"."+f.Name])
		p.walkAs(f.Selections, typeName, many, before) // its nodes are this level
		return
	}
	// A connection's edges and nodes are its page, counted already.
	_, inPage := p.connectionNode(parent)
	if f.Definition.Type.Elem != nil && !inPage {
		many *= nestedListGuess
	}
	p.need(typeName, many, before, false)
	if p.isRecord(typeName) {
		before++ // the fields of these records wait for them
	}
	p.walkAs(f.Selections, typeName, many, before)
}

// isRecord reports whether values of the type are records a loader fetches
// (or a union or interface of such).
func (p *planner) isRecord(typeName string) bool {
	if _, ok := p.byType[typeName]; ok {
		return true
	}
	def := p.schema.Types[typeName]
	return def != nil && def.IsAbstractType()
}

// walkAs walks a field's selections once per object type its value may
// have: a union or interface walks each of its members.
func (p *planner) walkAs(sel ast.SelectionSet, typeName string, many, before int) {
	if len(sel) == 0 {
		return
	}
	def := p.schema.Types[typeName]
	if def == nil || !def.IsAbstractType() {
		p.walk(sel, typeName, many, before)
		return
	}
	for _, member := range p.schema.GetPossibleTypes(def) {
		p.walk(sel, member.Name, many, before)
	}
}

// connectionNode is the node type of a Relay connection type.
func (p *planner) connectionNode(typeName string) (string, bool) {
	def := p.schema.Types[typeName]
	if def == nil || def.Fields.ForName("pageInfo") == nil {
		return "", false
	}
	nodes := def.Fields.ForName("nodes")
	if nodes == nil {
		return "", false
	}
	return nodes.Type.Name(), true
}

// pageSize is the number of records a connection field will return at most.
func (p *planner) pageSize(f *ast.Field, topLevel bool) int {
	if n, ok := requestedPage(f, p.oc.Variables); ok {
		return n
	}
	if topLevel {
		return DefaultPageSize
	}
	return nestedListGuess
}

// perParent estimates how many child records one parent links to on
// average, from the key's last full reads of both collections: 150,000
// comments on 150,000 notes are one a note. Without both, false: the page
// size alone bounds the estimate.
func (p *planner) perParent(parent, child string) (float64, bool) {
	count := func(typeName string) (int, bool) {
		r, ok := p.byType[typeName]
		if !ok {
			return 0, false
		}
		return r.loaderOf(p.loaders).(plannable).Count()
	}
	parents, ok := count(parent)
	children, ok2 := count(child)
	if !ok || !ok2 || parents == 0 {
		return 0, false
	}
	return float64(children) / float64(parents), true
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

// need decides for many records of a type, whose ids are known after
// `before` levels: the collection is prefetched when it is scanned, or when
// read now, alongside those levels, it arrives before GETs by id after them
// would (loaders.Resource.WantsCollectionAfter).
func (p *planner) need(typeName string, many, before int, scan bool) {
	if typeName == "Node" {
		return // node and nodes name their records by id: the loaders fetch just those
	}
	if def := p.schema.Types[typeName]; def != nil && def.IsAbstractType() {
		for _, member := range p.schema.GetPossibleTypes(def) {
			p.need(member.Name, many, before, scan)
		}
		return
	}
	r, ok := p.byType[typeName]
	if ok && (scan || r.loaderOf(p.loaders).(plannable).WantsCollectionAfter(many, before)) {
		p.want[typeName] = true
	}
}

// plannable is what the planner asks of a resource's loader beyond what
// every described resource offers: every loader is a *loaders.Resource.
type plannable interface {
	WantsCollectionAfter(n, rounds int) bool
	Count() (int, bool)
}

// planOperation returns the resources whose collections a query operation
// should prefetch. Mutations are not planned: their reads follow writes.
func planOperation(oc *graphql.OperationContext, schema *ast.Schema, l *loaders.Loaders) []described {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil
	}
	p := &planner{oc: oc, schema: schema, loaders: l,
		byType: map[string]described{}, scans: map[string]bool{}, want: map[string]bool{}}
	for _, r := range allResources {
		p.byType[r.graphQLType()] = r
		for _, link := range r.reverseLinkNames() {
			p.scans[link] = true
		}
	}
	p.walk(oc.Operation.SelectionSet, schema.Query.Name, 1, 0)
	var out []described
	for _, r := range allResources {
		if p.want[r.graphQLType()] {
			out = append(out, r)
		}
	}
	return out
}

// prefetch is the operation middleware that starts the planned fetches and,
// before the response goes out, waits for them, so that no fetch outlives
// its request and extensions.upstream counts them all.
func prefetch() graphql.OperationMiddleware {
	// The schema the executor was generated from; its parse is shared.
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		l := loaders.For(ctx)
		want := planOperation(graphql.GetOperationContext(ctx), schema, l)
		if len(want) == 0 {
			return next(ctx)
		}
		var waits []func()
		for _, r := range want {
			waits = append(waits, r.loaderOf(l).Prefetch(ctx))
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
