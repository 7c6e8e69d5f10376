package graph_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

var graphqlBlock = regexp.MustCompile("(?s)```graphql\n(.*?)```")

// TestREADMEExamples keeps the README honest: each of its GraphQL examples
// is one named operation that selects id on every record (so Apollo and
// Relay can cache what it returns), and runs against the demo account
// without an error; so does GraphiQL's default query.
func TestREADMEExamples(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := graphqlBlock.FindAllStringSubmatch(string(readme), -1)
	if want := strings.Count(string(readme), "```graphql"); len(blocks) == 0 || len(blocks) != want {
		t.Fatalf("found %d complete graphql blocks in README.md, want %d (at least one)", len(blocks), want)
	}
	// GraphiQL's first query is held to the same rules: it is the first
	// example a new user runs.
	page, err := os.ReadFile("../web/graphiql/index.html")
	if err != nil {
		t.Fatal(err)
	}
	graphiql := regexp.MustCompile("(?s)const defaultQuery = `(.*?)`;").FindSubmatch(page)
	if graphiql == nil {
		t.Fatal("web/graphiql/index.html has no defaultQuery")
	}
	blocks = append(blocks, []string{"", string(graphiql[1])})
	schema := loadSchemaFiles(t)
	h := setup(t)
	for _, b := range blocks {
		doc := b[1]
		op, problems := checkExample(schema, doc)
		name := "unnamed"
		if op != nil && op.Name != "" {
			name = op.Name
		}
		t.Run(name, func(t *testing.T) {
			for _, p := range problems {
				t.Error(p)
			}
			if t.Failed() {
				t.Fatalf("in:\n%s", doc)
			}
			r := h.do("", doc, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v\nin:\n%s", r.Errors, doc)
			}
			for _, sel := range op.SelectionSet {
				if f, ok := sel.(*ast.Field); ok && r.Data[f.Alias] == nil {
					t.Errorf("%s is null", f.Alias)
				}
			}
		})
	}
}

// TestREADMEExamples_checks makes sure the checks find what they look for.
func TestREADMEExamples_checks(t *testing.T) {
	schema := loadSchemaFiles(t)
	for doc, want := range map[string]string{
		`{ contact(id: "1") { id name } }`:                                       "name it",
		`query A { contact(id: "1") { id } } query B { user(id: "1") { id } }`:   "one operation",
		`query A { contact(id: "1") { name company { id } } }`:                   "contact: no id",
		`query A { contact(id: "1") { id company { name } } }`:                   "contact.company: no id",
		`query A { note(id: "1") { id customers { ... on Company { name } } } }`: "note.customers on Company: no id",
		`query A { contact(id: "1") { id nme } }`:                                "Cannot query field",
	} {
		_, problems := checkExample(schema, doc)
		if !strings.Contains(strings.Join(problems, "\n"), want) {
			t.Errorf("%s: want a problem with %q, got %q", doc, want, problems)
		}
	}
	for _, doc := range []string{
		`query A { contact(id: "1") { id company { id } phones { number } } }`,
		`query A { note(id: "1") { id customers { __typename ... on Company { id } ...C } } } fragment C on Contact { id }`,
	} {
		if _, problems := checkExample(schema, doc); len(problems) > 0 {
			t.Errorf("%s: want no problem, got %q", doc, problems)
		}
	}
}

// checkExample validates an example against the schema and lists what keeps
// it from being a cacheable operation.
func checkExample(schema *ast.Schema, doc string) (*ast.OperationDefinition, []string) {
	q, errs := gqlparser.LoadQueryWithRules(schema, doc, rules.NewDefaultRules())
	if len(errs) > 0 {
		return nil, []string{"invalid: " + errs.Error()}
	}
	if len(q.Operations) != 1 {
		return nil, []string{"want one operation per example"}
	}
	op := q.Operations[0]
	var problems []string
	if op.Name == "" {
		problems = append(problems, "the operation has no name: name it, so clients and logs can tell it apart")
	}
	for _, path := range missingIDs(schema, op.SelectionSet, "") {
		problems = append(problems, path+": no id selected, so a client cache cannot normalise it")
	}
	return op, problems
}

// missingIDs lists the fields whose records have an id that the selection
// leaves out. For a union or interface, each type named in a fragment must
// select its id.
func missingIDs(schema *ast.Schema, sel ast.SelectionSet, path string) []string {
	var out []string
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 || s.Definition == nil {
				continue
			}
			at := strings.TrimPrefix(path+"."+s.Alias, ".")
			def := schema.Types[s.Definition.Type.Name()]
			switch def.Kind {
			case ast.Object:
				if def.Fields.ForName("id") != nil && !selectsID(schema, s.SelectionSet, def.Name) {
					out = append(out, at)
				}
			case ast.Union, ast.Interface:
				for _, typ := range fragmentTypes(s.SelectionSet) {
					if t := schema.Types[typ]; t != nil && t.Kind == ast.Object && t.Fields.ForName("id") != nil &&
						!selectsID(schema, s.SelectionSet, typ) {
						out = append(out, at+" on "+typ)
					}
				}
			}
			out = append(out, missingIDs(schema, s.SelectionSet, at)...)
		case *ast.InlineFragment:
			out = append(out, missingIDs(schema, s.SelectionSet, path)...)
		case *ast.FragmentSpread:
			out = append(out, missingIDs(schema, s.Definition.SelectionSet, path)...)
		}
	}
	return out
}

// selectsID reports whether sel selects id on records of type typ.
func selectsID(schema *ast.Schema, sel ast.SelectionSet, typ string) bool {
	applies := func(cond string) bool {
		if cond == "" || cond == typ {
			return true
		}
		for _, p := range schema.PossibleTypes[cond] {
			if p.Name == typ {
				return true
			}
		}
		return false
	}
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "id" {
				return true
			}
		case *ast.InlineFragment:
			if applies(s.TypeCondition) && selectsID(schema, s.SelectionSet, typ) {
				return true
			}
		case *ast.FragmentSpread:
			if applies(s.Definition.TypeCondition) && selectsID(schema, s.Definition.SelectionSet, typ) {
				return true
			}
		}
	}
	return false
}

// fragmentTypes lists the type conditions of sel's fragments.
func fragmentTypes(sel ast.SelectionSet) []string {
	var out []string
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.InlineFragment:
			out = append(out, s.TypeCondition)
		case *ast.FragmentSpread:
			out = append(out, s.Definition.TypeCondition)
		}
	}
	return out
}
