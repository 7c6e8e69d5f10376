package graph_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestSchemaDocumented keeps GraphiQL's docs panel complete: every type,
// field, argument, input field, enum value and directive that our schema
// files declare needs a description. GraphQL's own built-ins (the prelude:
// String, @skip, __Type, ...) are not ours to describe.
func TestSchemaDocumented(t *testing.T) {
	schema := loadSchemaFiles(t)
	missing := undocumented(schema)
	if len(missing) > 0 {
		t.Errorf("%d schema elements have no description:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
}

// TestSchemaDocumented_catchesEachKind makes sure the walk looks at every
// kind of element: one undocumented element of each kind, each reported.
func TestSchemaDocumented_catchesEachKind(t *testing.T) {
	src := `
"documented" scalar Fine
scalar Bare
"documented" type Query {
  "documented" bare(x: Int): Int
  "documented" fine("documented" x: Int): Int
  noDoc: Int
}
"documented" input In { "documented" a: Int b: Int }
"documented" enum E { "documented" A B }
"documented" union U = Query
directive @d("documented" a: Int, b: Int) on FIELD_DEFINITION
`
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: src})
	if err != nil {
		t.Fatal(err)
	}
	got := undocumented(schema)
	want := []string{"scalar Bare", "argument Query.bare(x)", "field Query.noDoc", "input field In.b",
		"enum value E.B", "directive @d", "argument @d(b)"}
	for _, w := range want {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.HasSuffix(g, w) }) {
			t.Errorf("%q not reported; got %q", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("reported %d elements, want %d: %q", len(got), len(want), got)
	}
}

func loadSchemaFiles(t *testing.T) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../schema/*.graphqls")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files found: %v", err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: filepath.Base(f), Input: string(b)})
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("the schema does not load: %v", err)
	}
	return schema
}

// undocumented lists the schema's own elements without a description, as
// "file:line kind name", sorted.
func undocumented(schema *ast.Schema) []string {
	var out []string
	report := func(pos *ast.Position, kind, name, desc string) {
		if strings.TrimSpace(desc) != "" {
			return
		}
		at := "?"
		if pos != nil && pos.Src != nil {
			at = fmt.Sprintf("%s:%d", pos.Src.Name, pos.Line)
		}
		out = append(out, fmt.Sprintf("%s %s %s", at, kind, name))
	}
	args := func(owner string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			report(a.Position, "argument", owner+"("+a.Name+")", a.Description)
		}
	}
	for _, def := range schema.Types {
		if builtIn(def.Position) || def.BuiltIn {
			continue
		}
		report(def.Position, strings.ToLower(string(def.Kind)), def.Name, def.Description)
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // __typename, __schema and __type, added to every schema
			}
			kind := "field"
			if def.Kind == ast.InputObject {
				kind = "input field"
			}
			report(f.Position, kind, def.Name+"."+f.Name, f.Description)
			args(def.Name+"."+f.Name, f.Arguments)
		}
		for _, v := range def.EnumValues {
			report(v.Position, "enum value", def.Name+"."+v.Name, v.Description)
		}
	}
	for _, d := range schema.Directives {
		if builtIn(d.Position) {
			continue
		}
		report(d.Position, "directive", "@"+d.Name, d.Description)
		args("@"+d.Name, d.Arguments)
	}
	slices.Sort(out)
	return out
}

func builtIn(pos *ast.Position) bool { return pos != nil && pos.Src != nil && pos.Src.BuiltIn }
