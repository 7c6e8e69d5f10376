package graph

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// defers tells whether the operation defers any fragment, so that only
// such operations are answered as multipart/mixed.
func defers(doc *ast.QueryDocument, op *ast.OperationDefinition) bool {
	seen := map[string]bool{}
	var walk func(ast.SelectionSet) bool
	walk = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if s.Directives.ForName("defer") != nil || walk(s.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if s.Directives.ForName("defer") != nil {
					return true
				}
				if seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if f := doc.Fragments.ForName(s.Name); f != nil && walk(f.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	return walk(op.SelectionSet)
}

// mergeIncremental answers a client that cannot take incremental delivery:
// it waits for every deferred fragment and merges each into the initial
// data at its path, so the client gets the whole answer at once instead of
// deferred fields missing, or null where the schema says they cannot be.
func mergeIncremental(ctx context.Context, responses graphql.ResponseHandler) *graphql.Response {
	first := responses(ctx)
	if first == nil {
		return cancelled()
	}
	if first.HasNext == nil || !*first.HasNext {
		return first
	}
	var data any
	if err := decodeJSON(first.Data, &data); err != nil {
		return first
	}
	merged := &graphql.Response{Errors: first.Errors, Extensions: first.Extensions}
	for {
		next := responses(ctx)
		if next == nil {
			if ctx.Err() != nil {
				return cancelled()
			}
			break
		}
		merged.Errors = append(merged.Errors, next.Errors...)
		if next.Extensions != nil {
			merged.Extensions = next.Extensions // reportUpstream's count grows with each part
		}
		var part any
		if err := decodeJSON(next.Data, &part); err == nil {
			data = placeAt(data, next.Path, part)
		}
		if next.HasNext == nil || !*next.HasNext {
			break
		}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return first
	}
	merged.Data = raw
	return merged
}

func cancelled() *graphql.Response {
	err := gqlerror.Errorf("the request was cancelled")
	err.Extensions = map[string]any{"code": CodeUpstreamUnavailable}
	return &graphql.Response{Errors: gqlerror.List{err}}
}

func decodeJSON(raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(into)
}

// placeAt merges a deferred fragment's fields into the object at path. A
// fragment that came back null (a non-null field in it failed) nulls that
// object, as the error would have in a single answer. A path that no longer
// exists (an ancestor is null) drops the fragment, as the incremental
// delivery RFC does.
func placeAt(data any, path ast.Path, part any) any {
	if len(path) == 0 {
		return mergeValue(data, part)
	}
	switch step := path[0].(type) {
	case ast.PathName:
		obj, ok := data.(map[string]any)
		if !ok {
			return data
		}
		if child, ok := obj[string(step)]; ok && child != nil {
			obj[string(step)] = placeAt(child, path[1:], part)
		}
	case ast.PathIndex:
		list, ok := data.([]any)
		if !ok || int(step) < 0 || int(step) >= len(list) || list[step] == nil {
			return data
		}
		list[step] = placeAt(list[step], path[1:], part)
	}
	return data
}

func mergeValue(into, part any) any {
	if part == nil {
		return nil
	}
	dst, ok1 := into.(map[string]any)
	src, ok2 := part.(map[string]any)
	if !ok1 || !ok2 {
		return part
	}
	for k, v := range src {
		dst[k] = mergeValue(dst[k], v)
	}
	return dst
}

// withoutDeferredPlaceholders passes on an operation's payloads for
// incremental delivery without the nulls gqlgen writes where a deferred
// field will come later: a client reads those as the field's value, wrong
// and, for a non-null field, against the schema. The incremental delivery
// RFC leaves a deferred field out until its own payload. The fields are
// told apart as gqlgen's executor tells them, with graphql.CollectFields.
func withoutDeferredPlaceholders(opCtx *graphql.OperationContext, responses graphql.ResponseHandler) graphql.ResponseHandler {
	initial := true
	return func(ctx context.Context) *graphql.Response {
		resp := responses(ctx)
		if resp == nil || len(resp.Data) == 0 {
			return resp
		}
		var data any
		if err := decodeJSON(resp.Data, &data); err != nil {
			return resp
		}
		if initial {
			initial = false
			stripDeferred(opCtx, data, opCtx.Operation.SelectionSet)
		} else if obj, ok := data.(map[string]any); ok {
			// The payload's own fields are what it delivers; deferred
			// fields nested under them come in later payloads.
			fields := collectByAlias(opCtx, selectionAt(opCtx, resp.Path))
			for alias, value := range obj {
				stripDeferred(opCtx, value, fields[alias].selections)
			}
		}
		if raw, err := json.Marshal(data); err == nil {
			resp.Data = raw
		}
		return resp
	}
}

// aliasFields are the occurrences of one response key in a selection set,
// whatever their type conditions.
type aliasFields struct {
	deferred   bool // every occurrence is deferred
	selections ast.SelectionSet
}

func collectByAlias(opCtx *graphql.OperationContext, set ast.SelectionSet) map[string]*aliasFields {
	byAlias := map[string]*aliasFields{}
	for _, f := range graphql.CollectFields(opCtx, set, nil) {
		a, ok := byAlias[f.Alias]
		if !ok {
			a = &aliasFields{deferred: true}
			byAlias[f.Alias] = a
		}
		a.deferred = a.deferred && f.IsDeferred()
		a.selections = append(a.selections, f.Selections...)
	}
	return byAlias
}

func stripDeferred(opCtx *graphql.OperationContext, value any, set ast.SelectionSet) {
	switch v := value.(type) {
	case []any:
		for _, item := range v {
			stripDeferred(opCtx, item, set)
		}
	case map[string]any:
		for alias, f := range collectByAlias(opCtx, set) {
			if f.deferred {
				delete(v, alias)
			} else if child, ok := v[alias]; ok {
				stripDeferred(opCtx, child, f.selections)
			}
		}
	}
}

// selectionAt is the selection set of the object at a response path.
func selectionAt(opCtx *graphql.OperationContext, path ast.Path) ast.SelectionSet {
	set := opCtx.Operation.SelectionSet
	for _, step := range path {
		if name, ok := step.(ast.PathName); ok {
			var next ast.SelectionSet
			if f := collectByAlias(opCtx, set)[string(name)]; f != nil {
				next = f.selections
			}
			set = next
		}
	}
	return set
}
