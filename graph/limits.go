package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// limits refuses an operation whose answer may be too large, before anything
// runs: its cost is the values it may return, estimated as fields times the
// page sizes above them (first/last where given, else DefaultPageSize for a
// connection, top-level or nested, which is what paging returns, and 10 for
// a record's own lists such as tags or phones). __typename and introspection
// fields count like any other. Fields left out by @skip/@include with the
// request's variables cost nothing.
//
// The document's shape (depth, aliases, fields, fragments) is bounded
// earlier, before validation, by the guard (guard.go); what slips through
// is caught while the query runs by the upstream budget and the response
// size cap.
//
// Input values (objects, such as filters and their and/or/not terms, and
// list items, such as a filter's ids or tags) are counted too, in the
// variables and in the document's arguments: a filter is tried against every
// record of a collection, so one of thousands of terms or ids, which fits in
// a variable well under -max-body-bytes, costs seconds of CPU per request.
type limits struct {
	maxComplexity  int
	maxInputValues int
}

// embeddedListGuess is how many items a record's own list (tags, phones,
// custom field values) is assumed to hold.
const embeddedListGuess = 10

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = limits{}

func (limits) ExtensionName() string                          { return "Limits" }
func (limits) Validate(schema graphql.ExecutableSchema) error { return nil }

func (l limits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	// Paging arguments are checked before the query planner prefetches
	// anything: a refused operation costs no upstream request.
	if err := checkPaging(oc.Operation.SelectionSet, oc.Variables, nil); err != nil {
		return err
	}
	m := &measure{vars: oc.Variables}
	m.walk(oc.Operation.SelectionSet, 1)
	for _, v := range oc.Variables {
		m.inputValues += countValues(v)
	}
	if l.maxInputValues > 0 && m.inputValues > l.maxInputValues {
		return limitError(map[string]any{"code": CodeInputLimit, "inputValues": m.inputValues, "limit": l.maxInputValues},
			"the operation's arguments and variables hold %d input values (objects such as filters and their and/or/not terms, and list items), over the limit of %d",
			m.inputValues, l.maxInputValues)
	}
	if l.maxComplexity > 0 && m.cost > l.maxComplexity {
		return limitError(map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED", "complexity": m.cost, "limit": l.maxComplexity},
			"the operation may return about %d values, over the limit of %d by %d; ask for smaller pages (first/last) or fewer nested lists",
			m.cost, l.maxComplexity, m.cost-l.maxComplexity)
	}
	return nil
}

func limitError(ext map[string]any, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = ext
	return err
}

// measure walks an operation, fragments inlined; the guard has bounded the
// expansion.
type measure struct {
	vars        map[string]any
	cost        int
	inputValues int // in argument literals; variables are counted apart
}

const costCeiling = 1 << 40 // keeps the estimate from overflowing

func (m *measure) walk(sel ast.SelectionSet, many int) {
	for _, s := range sel {
		if !included(s, m.vars) {
			continue
		}
		switch s := s.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				m.inputValues += countLiteralValues(a.Value)
			}
			n := min(many*m.pageSize(s), costCeiling)
			m.cost = min(m.cost+n, costCeiling)
			m.walk(s.SelectionSet, n)
		case *ast.InlineFragment:
			m.walk(s.SelectionSet, many)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				m.walk(s.Definition.SelectionSet, many)
			}
		}
	}
}

// countValues counts the objects and list items in a decoded variable
// value: a filter's terms, and the values of its lists (ids, tags), are each
// tried against every record.
func countValues(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		n = 1
		for _, c := range v {
			n += countValues(c)
		}
	case []any:
		for _, c := range v {
			n += max(countValues(c), 1)
		}
	}
	return n
}

// countLiteralValues counts the same in an argument written in the
// document; a variable in it is counted with the variables.
func countLiteralValues(v *ast.Value) int {
	if v == nil {
		return 0
	}
	n := 0
	switch v.Kind {
	case ast.ObjectValue:
		n = 1
		for _, c := range v.Children {
			n += countLiteralValues(c.Value)
		}
	case ast.ListValue:
		for _, c := range v.Children {
			n += max(countLiteralValues(c.Value), 1)
		}
	}
	return n
}

// included evaluates @skip and @include with the operation's variables, as
// execution will.
func included(s ast.Selection, vars map[string]any) bool {
	var dirs ast.DirectiveList
	switch s := s.(type) {
	case *ast.Field:
		dirs = s.Directives
	case *ast.InlineFragment:
		dirs = s.Directives
	case *ast.FragmentSpread:
		dirs = s.Directives
	}
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, err := arg.Value.Value(vars)
		if b, ok := v.(bool); err == nil && ok && b == (d.Name == "skip") {
			return false
		}
	}
	return true
}

// pageSize is how many values a field may stand for.
func (m *measure) pageSize(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 1
	}
	inPage := strings.HasSuffix(f.ObjectDefinition.Name, "Connection")
	switch {
	case strings.HasSuffix(f.Definition.Type.Name(), "Connection"):
		if n, ok := requestedPage(f, m.vars); ok {
			return n
		}
		return DefaultPageSize
	case f.Definition.Type.Elem != nil && !inPage:
		return embeddedListGuess
	}
	return 1
}

// checkPaging refuses the first connection whose first or last is outside
// 0..MaxPageSize or whose after or before cursor is longer than
// MaxCursorLen, as paging would once the field resolves, with the field's
// path. Whether a cursor belongs to the connection's order is left to
// paging, which knows the order.
func checkPaging(sel ast.SelectionSet, vars map[string]any, path ast.Path) *gqlerror.Error {
	for _, s := range sel {
		if !included(s, vars) {
			continue
		}
		var err *gqlerror.Error
		switch s := s.(type) {
		case *ast.Field:
			at := append(path[:len(path):len(path)], ast.PathName(s.Alias))
			if err = checkPage(s, vars); err != nil {
				err.Path = at
				return err
			}
			err = checkPaging(s.SelectionSet, vars, at)
		case *ast.InlineFragment:
			err = checkPaging(s.SelectionSet, vars, path)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				err = checkPaging(s.Definition.SelectionSet, vars, path)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func checkPage(f *ast.Field, vars map[string]any) *gqlerror.Error {
	if f.Definition == nil || !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return nil
	}
	args := f.ArgumentMap(vars)
	var p page
	for name, n := range map[string]**int{"first": &p.first, "last": &p.last} {
		switch v := args[name].(type) {
		case int64:
			i := int(v)
			*n = &i
		case int:
			*n = &v
		}
	}
	err := p.check()
	for _, name := range []string{"after", "before"} {
		if c, ok := args[name].(string); ok && len(c) > MaxCursorLen && err == nil {
			err = inputError(name, "a cursor is at most %d characters, this one has %d", MaxCursorLen, len(c))
		}
	}
	input, ok := err.(*InputError)
	if !ok {
		return nil
	}
	return limitError(map[string]any{"code": CodeBadUserInput, "field": input.Field}, "%s", input.Error())
}
