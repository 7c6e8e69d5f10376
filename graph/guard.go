package graph

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// Codes of the document caps, checked before validation.
const (
	CodeTokenLimit         = "TOKEN_LIMIT_EXCEEDED"
	CodeFieldLimit         = "FIELD_LIMIT_EXCEEDED"
	CodeFragmentLimit      = "FRAGMENT_LIMIT_EXCEEDED"
	CodeDirectiveLimit     = "DIRECTIVE_LIMIT_EXCEEDED"
	CodeDepthLimit         = "DEPTH_LIMIT_EXCEEDED"
	CodeAliasLimit         = "ALIAS_LIMIT_EXCEEDED"
	CodeIntrospectionLimit = "INTROSPECTION_LIMIT_EXCEEDED"
	CodeValidationFailed   = "GRAPHQL_VALIDATION_FAILED"
	CodeInputLimit         = "INPUT_LIMIT_EXCEEDED"
)

// Metrics counts what the handler refused and did, for monitoring and for
// tests that must show where a request was stopped without timing it.
type Metrics struct {
	// Validations counts documents handed to gqlgen's validator.
	Validations atomic.Int64
	// Queued counts operations that had to wait for a slot; Shed those
	// answered OVERLOADED after waiting (ShedBy tells which limit).
	Queued, Shed atomic.Int64
	// CutOff counts answers not written whole: the client read too slowly
	// or went away.
	CutOff atomic.Int64

	shedBy [limitCount]atomic.Int64

	mu      sync.Mutex
	refused map[string]int64 // by code; the codes are the guard's own few
}

// Refused counts the documents the guard refused with the code, before
// validation.
func (m *Metrics) Refused(code string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refused[code]
}

func (m *Metrics) countRefusal(err *gqlerror.Error) *gqlerror.Error {
	if err != nil {
		code, _ := err.Extensions["code"].(string)
		m.mu.Lock()
		if m.refused == nil {
			m.refused = map[string]int64{}
		}
		m.refused[code]++
		m.mu.Unlock()
	}
	return err
}

// counts reads the counters for telemetry.
func (m *Metrics) counts() telemetry.GuardCounts {
	g := telemetry.GuardCounts{Validations: m.Validations.Load(), Queued: m.Queued.Load(), CutOff: m.CutOff.Load(),
		Shed: map[string]int64{}, Refused: map[string]int64{}}
	for l := range limitCount {
		g.Shed[l.String()] = m.ShedBy(l)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	maps.Copy(g.Refused, m.refused)
	return g
}

// Limit names the load limit an operation was shed by.
type Limit int

// The load limits, narrowest first.
const (
	// LimitClient is a keyless client address's share (-max-operations-per-client).
	LimitClient Limit = iota
	// LimitKey is an API key's share (-max-operations-per-key).
	LimitKey
	// LimitGlobal is the server's (-max-operations).
	LimitGlobal
	limitCount
)

func (l Limit) String() string { return [...]string{"client", "key", "global"}[l] }

// ShedBy counts the operations shed because the limit l was full.
func (m *Metrics) ShedBy(l Limit) int64 { return m.shedBy[l].Load() }

// guard bounds a document before gqlgen validates it. gqlgen parses and
// validates before any OperationContextMutator runs, and some validation
// rules (OverlappingFieldsCanBeMerged) are quadratic in the fields of a
// selection set, while a fragment that spreads the next one twice doubles the
// expanded size with every 30 bytes. So the document is parsed here first,
// under a token limit, and measured with each fragment's cost computed once,
// stopping at the first cap crossed: the work is linear in the document, and
// only documents within every cap reach validation and execution.
//
// Skipped fields (@skip, @include) are counted: validation looks at them too.
type guard struct {
	docLimits
	metrics *Metrics
	// passed holds the documents gqlgen validated; a document found there
	// passed the caps already and is not parsed twice.
	passed graphql.Cache[*ast.QueryDocument]
}

// docLimits are the caps on a document; 0 is no limit.
type docLimits struct {
	tokens, fields, fragments, directives, depth, aliases int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = guard{}

func (guard) ExtensionName() string                   { return "Guard" }
func (guard) Validate(graphql.ExecutableSchema) error { return nil }

func (g guard) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if _, ok := g.passed.Get(ctx, p.Query); ok {
		return nil
	}
	return g.metrics.countRefusal(g.check(p.Query))
}

// check parses and measures a document; nil when it is within the caps or
// when it does not parse (gqlgen then reports the syntax error itself).
func (g guard) check(query string) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, g.tokens)
	if err != nil {
		// gqlparser has no typed error for its token limit; its message is
		// the only way to tell it from a syntax error.
		if gqlErr, ok := err.(*gqlerror.Error); ok && g.tokens > 0 &&
			gqlErr.Message == fmt.Sprintf("exceeded token limit of %d", g.tokens) {
			return limitError(map[string]any{"code": CodeTokenLimit, "limit": g.tokens},
				"the document has more than %d tokens", g.tokens)
		}
		return nil
	}
	if g.fragments > 0 && len(doc.Fragments) > g.fragments {
		return limitError(map[string]any{"code": CodeFragmentLimit, "count": len(doc.Fragments), "limit": g.fragments},
			"the document defines %d fragments, over the limit of %d", len(doc.Fragments), g.fragments)
	}
	s := &sizer{docLimits: g.docLimits, doc: doc, memo: map[string]*size{}}
	total := &size{}
	for _, op := range doc.Operations {
		sz, err := s.selectionSet(op.SelectionSet, 1)
		if err != nil {
			return err
		}
		if sz.schemas > 1 {
			return limitError(map[string]any{"code": CodeIntrospectionLimit, "count": sz.schemas, "limit": 1},
				"__schema is asked for %d times in one operation; ask for it once", sz.schemas)
		}
		if err := s.add(total, sz, false); err != nil {
			return err
		}
	}
	// Validation walks the fragments no operation spreads too.
	for _, def := range doc.Fragments {
		sz, err := s.fragment(def.Name, 1)
		if err != nil {
			return err
		}
		if err := s.checkNames(sz.names); err != nil {
			return err
		}
		if err := s.add(total, sz, false); err != nil {
			return err
		}
	}
	return nil
}

// size is what a selection set stands for once its fragments are expanded.
// Counts saturate at costCeiling so that a 2^64 expansion stays a number.
type size struct {
	fields, fragments, directives, schemas int
	depth                                  int // nesting below, introspection not counted
	// names counts the field names and response names at this level,
	// fragments flattened, for the alias cap.
	names map[string]int
}

// sizer measures the selection sets of one document.
type sizer struct {
	docLimits
	doc  *ast.QueryDocument
	memo map[string]*size // by fragment name; nil value while being measured
}

func (s *sizer) selectionSet(set ast.SelectionSet, depth int) (*size, *gqlerror.Error) {
	sz, err := s.level(set, depth)
	if err != nil {
		return nil, err
	}
	if err := s.checkNames(sz.names); err != nil {
		return nil, err
	}
	sz.names = nil // counted; the parent level counts its own
	return sz, nil
}

// checkNames applies the alias cap to the names of one selection set.
func (s *sizer) checkNames(names map[string]int) *gqlerror.Error {
	for name, n := range names {
		if s.aliases > 0 && n > s.aliases {
			field := strings.TrimPrefix(name, "as ")
			return limitError(map[string]any{"code": CodeAliasLimit, "field": field, "count": n, "limit": s.aliases},
				"the field %q is asked for %d times in one selection set, over the limit of %d", field, n, s.aliases)
		}
	}
	return nil
}

// level measures the selections of one level, inline fragments and spreads
// flattened into it, at the given depth.
func (s *sizer) level(set ast.SelectionSet, depth int) (*size, *gqlerror.Error) {
	sz := &size{names: map[string]int{}}
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			// Depth 0 marks introspection, whose depth validation's
			// MaxIntrospectionDepth bounds.
			introspection := sel.Name == "__schema" || sel.Name == "__type"
			childDepth := depth + 1
			if introspection || depth == 0 {
				childDepth = 0
			}
			sub, err := s.selectionSet(sel.SelectionSet, childDepth)
			if err != nil {
				return nil, err
			}
			own := &size{fields: 1, directives: len(sel.Directives), depth: depth, names: map[string]int{sel.Name: 1}}
			if sel.Alias != "" && sel.Alias != sel.Name {
				own.names["as "+sel.Alias] = 1
			}
			if introspection {
				own.depth = 0
			}
			if sel.Name == "__schema" {
				own.schemas = 1
			}
			if err := s.add(sz, own, true); err != nil {
				return nil, err
			}
			if err := s.add(sz, sub, false); err != nil {
				return nil, err
			}
		case *ast.InlineFragment:
			sub, err := s.level(sel.SelectionSet, depth)
			if err != nil {
				return nil, err
			}
			sub.fragments = sat(sub.fragments + 1)
			sub.directives = sat(sub.directives + len(sel.Directives))
			if err := s.add(sz, sub, true); err != nil {
				return nil, err
			}
		case *ast.FragmentSpread:
			sub, err := s.fragment(sel.Name, depth)
			if err != nil {
				return nil, err
			}
			if err := s.add(sz, &size{fragments: 1, directives: len(sel.Directives)}, false); err != nil {
				return nil, err
			}
			if sub != nil {
				if err := s.add(sz, sub, true); err != nil {
					return nil, err
				}
			}
		}
	}
	return sz, nil
}

// fragment measures a fragment once, at depth 1, and shifts the result to
// the depth it is spread at. Unknown fragments count nothing (validation
// reports them); a fragment spreading itself is refused here, since its
// expansion has no end.
func (s *sizer) fragment(name string, depth int) (*size, *gqlerror.Error) {
	sz, seen := s.memo[name]
	if seen && sz == nil {
		return nil, limitError(map[string]any{"code": CodeValidationFailed},
			"the fragment %q spreads itself", name)
	}
	if !seen {
		def := s.doc.Fragments.ForName(name)
		if def == nil {
			return nil, nil
		}
		s.memo[name] = nil
		var err *gqlerror.Error
		if sz, err = s.level(def.SelectionSet, 1); err != nil {
			return nil, err
		}
		sz.directives = sat(sz.directives + len(def.Directives))
		s.memo[name] = sz
	}
	shifted := *sz
	if depth == 0 {
		shifted.depth = 0
	} else if shifted.depth > 0 {
		shifted.depth += depth - 1
	}
	return &shifted, nil
}

// add adds b to a, names too if asked, and refuses a once it is over a cap:
// stopping at the first cap crossed keeps the walk linear.
func (s *sizer) add(a, b *size, names bool) *gqlerror.Error {
	a.fields = sat(a.fields + b.fields)
	a.fragments = sat(a.fragments + b.fragments)
	a.directives = sat(a.directives + b.directives)
	a.schemas = sat(a.schemas + b.schemas)
	a.depth = max(a.depth, b.depth)
	if names {
		for k, n := range b.names {
			a.names[k] = sat(a.names[k] + n)
		}
	}
	switch {
	case s.fields > 0 && a.fields > s.fields:
		return limitError(map[string]any{"code": CodeFieldLimit, "limit": s.fields},
			"the operation asks for more than %d fields, fragments expanded", s.fields)
	case s.fragments > 0 && a.fragments > s.fragments:
		return limitError(map[string]any{"code": CodeFragmentLimit, "limit": s.fragments},
			"the operation uses more than %d fragments, spreads expanded", s.fragments)
	case s.directives > 0 && a.directives > s.directives:
		return limitError(map[string]any{"code": CodeDirectiveLimit, "limit": s.directives},
			"the operation uses more than %d directives, fragments expanded", s.directives)
	case s.depth > 0 && a.depth > s.depth:
		return limitError(map[string]any{"code": CodeDepthLimit, "depth": a.depth, "limit": s.depth},
			"query depth %d exceeds the limit of %d by %d", a.depth, s.depth, a.depth-s.depth)
	}
	return nil
}

func sat(n int) int { return min(n, costCeiling) }

// validationRules are gqlgen's default rules, each reporting through a
// shared cap: past maxErrors, errors are counted, not built, and the last
// error says how many were cut. The quadratic OverlappingFieldsCanBeMerged
// is among them; the guard's caps bound its input.
func validationRules(maxErrors int, m *Metrics) func() *rules.Rules {
	return func() *rules.Rules {
		m.Validations.Add(1)
		defaults := rules.NewDefaultRules()
		capped := rules.NewRules()
		var n int
		var summary *gqlerror.Error
		for name, rule := range defaults.GetInner() {
			capped.AddRule(name, func(observers *core.Events, addError core.AddErrFunc) {
				rule(observers, func(options ...core.ErrorOption) {
					n++
					switch {
					case maxErrors <= 0 || n <= maxErrors:
						addError(options...)
					case summary == nil:
						addError(func(err *gqlerror.Error) {
							summary = err
							err.Message = "1 more validation error was cut"
							err.Extensions = map[string]any{"code": CodeValidationFailed, "cut": 1}
						})
					default:
						summary.Message = fmt.Sprintf("%d more validation errors were cut", n-maxErrors)
						summary.Extensions["cut"] = n - maxErrors
					}
				})
			})
		}
		return capped
	}
}
