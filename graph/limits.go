package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// limits refuses abusive operations before anything runs:
//   - depth: fields nested deeper than maxDepth (introspection excepted);
//   - aliases: one field asked for more than maxAliases times in one
//     selection set (a: contact(id: 1) b: contact(id: 2) ...);
//   - complexity: the records the operation may return, estimated as fields
//     times the page sizes above them: first/last where given, else 100 for
//     a top-level list and 10 for a nested one.
//
// What slips through is caught while the query runs by the upstream budget
// (HandlerConfig.UpstreamBudget).
type limits struct {
	maxDepth, maxAliases, maxComplexity int
}

const nestedCostGuess = 10

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
	m := &measure{vars: oc.Variables}
	m.walk(oc.Operation.SelectionSet, 1, 1)
	switch {
	case l.maxDepth > 0 && m.depth > l.maxDepth:
		return limitError(map[string]any{"code": "DEPTH_LIMIT_EXCEEDED", "depth": m.depth, "limit": l.maxDepth},
			"query depth %d exceeds the limit of %d by %d", m.depth, l.maxDepth, m.depth-l.maxDepth)
	case l.maxAliases > 0 && m.aliases > l.maxAliases:
		return limitError(map[string]any{"code": "ALIAS_LIMIT_EXCEEDED", "field": m.aliasedField, "count": m.aliases, "limit": l.maxAliases},
			"the field %q is asked for %d times in one selection set, over the limit of %d", m.aliasedField, m.aliases, l.maxAliases)
	case l.maxComplexity > 0 && m.cost > l.maxComplexity:
		return limitError(map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED", "complexity": m.cost, "limit": l.maxComplexity},
			"the operation may return about %d records, over the limit of %d by %d; ask for smaller pages (first/last) or fewer nested lists",
			m.cost, l.maxComplexity, m.cost-l.maxComplexity)
	}
	return nil
}

func limitError(ext map[string]any, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = ext
	return err
}

// measure walks an operation, fragments inlined.
type measure struct {
	vars         map[string]any
	depth        int
	cost         int
	aliases      int
	aliasedField string
}

const costCeiling = 1 << 40 // keeps the estimate from overflowing

func (m *measure) walk(sel ast.SelectionSet, depth, many int) {
	seen := map[string]int{}
	m.fields(sel, depth, many, seen)
}

func (m *measure) fields(sel ast.SelectionSet, depth, many int, seen map[string]int) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue // __typename costs nothing; introspection is bounded by the schema
			}
			seen[s.Name]++
			if seen[s.Name] > m.aliases {
				m.aliases, m.aliasedField = seen[s.Name], s.Name
			}
			m.depth = max(m.depth, depth)
			n := many * m.pageSize(s)
			m.cost = min(m.cost+n, costCeiling)
			m.walk(s.SelectionSet, depth+1, min(n, costCeiling))
		case *ast.InlineFragment:
			m.fields(s.SelectionSet, depth, many, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				m.fields(s.Definition.SelectionSet, depth, many, seen)
			}
		}
	}
}

// pageSize is how many records a field may stand for.
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
		if f.ObjectDefinition.Name == "Query" {
			return DefaultPageSize
		}
		return nestedCostGuess
	case f.Definition.Type.Elem != nil && !inPage:
		return nestedCostGuess
	}
	return 1
}
