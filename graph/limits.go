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
type limits struct {
	maxComplexity int
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
	if oc.Operation == nil || l.maxComplexity <= 0 {
		return nil
	}
	m := &measure{vars: oc.Variables}
	m.walk(oc.Operation.SelectionSet, 1)
	if m.cost > l.maxComplexity {
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
	vars map[string]any
	cost int
}

const costCeiling = 1 << 40 // keeps the estimate from overflowing

func (m *measure) walk(sel ast.SelectionSet, many int) {
	for _, s := range sel {
		if !included(s, m.vars) {
			continue
		}
		switch s := s.(type) {
		case *ast.Field:
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
