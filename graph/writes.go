package graph

import (
	"context"
	"reflect"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
)

// wrote tells the request's loaders and the replica about a write: rec is
// the record as Clevertim returned it, nil for a delete. The writer's copies
// of the records whose id lists the write changes (the contact a note is
// filed under, before and after) are read again by id, so that the writer
// reads its own write without reading whole collections.
func wrote[T any, P clevertim.RecordPtr[T]](ctx context.Context, id clevertim.ID, rec *T) {
	l := loaders.For(ctx)
	for _, r := range allResources {
		k, ok := r.loaderKind().(*loaders.Kind[T])
		if !ok {
			continue
		}
		old, _ := loaders.Kept[T, P](l, k, id)
		loaders.Wrote[T, P](l, k, id, rec)
		seen := map[parentRef]bool{}
		for _, ref := range append(parentsOf(old), parentsOf(rec)...) {
			if !seen[ref] {
				seen[ref] = true
				ref.reread(ctx, l)
			}
		}
		return
	}
	panic("graph: a write of a resource missing from allResources") // a wiring bug
}

// parentRef is a record whose id lists name a child: a customer (contact or
// company), a case, an opportunity, a note or a task.
type parentRef struct {
	kind string
	id   clevertim.ID
}

// parentsOf are the records whose id lists name rec; nil for a nil rec.
func parentsOf(rec any) []parentRef {
	if v := reflect.ValueOf(rec); !v.IsValid() || v.IsNil() {
		return nil // a delete's new version, or a record the replica did not hold
	}
	var out []parentRef
	add := func(kind string, id *clevertim.ID) {
		if id != nil && *id != "" {
			out = append(out, parentRef{kind, *id})
		}
	}
	switch r := rec.(type) {
	case *clevertim.Note:
		for _, c := range r.CustomerIDs {
			add("customer", &c)
		}
		add("case", r.CaseID)
		add("opportunity", r.OpportunityID)
	case *clevertim.Task:
		add("customer", r.CustomerID)
		add("case", r.CaseID)
		add("opportunity", r.OpportunityID)
	case *clevertim.Comment:
		add("note", r.NoteID)
		add("task", r.TaskID)
	case *clevertim.Opportunity:
		add("customer", r.CustomerID)
	case *clevertim.Case:
		add("customer", r.CustomerID)
	}
	return out
}

// reread reads the parent again into the writer's copy, if it holds it. A
// failure leaves that copy expired (see loaders.Reread): the write itself
// stands.
func (p parentRef) reread(ctx context.Context, l *loaders.Loaders) {
	switch p.kind {
	case "customer":
		if !rereadIn(ctx, l, contacts, p.id) {
			rereadIn(ctx, l, companies, p.id)
		}
	case "case":
		rereadIn(ctx, l, cases, p.id)
	case "opportunity":
		rereadIn(ctx, l, opportunities, p.id)
	case "note":
		rereadIn(ctx, l, notes, p.id)
	case "task":
		rereadIn(ctx, l, tasks, p.id)
	}
}

// rereadIn reads id again when the key's copy of r holds it, and reports
// whether it did.
func rereadIn[T any, P clevertim.RecordPtr[T], F any, OF ~string](ctx context.Context, l *loaders.Loaders, r *resource[T, P, F, OF], id clevertim.ID) bool {
	if _, ok := loaders.Kept[T, P](l, &r.kind, id); !ok {
		return false
	}
	_ = loaders.Reread[T, P](ctx, l, &r.kind, id)
	return true
}
