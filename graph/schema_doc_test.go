package graph_test

import (
	"encoding/json"
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
	for _, e := range elements(schema) {
		if strings.TrimSpace(e.desc) != "" {
			continue
		}
		at := "?"
		if e.pos != nil && e.pos.Src != nil {
			at = fmt.Sprintf("%s:%d", e.pos.Src.Name, e.pos.Line)
		}
		out = append(out, fmt.Sprintf("%s %s %s", at, e.kind, e.name))
	}
	slices.Sort(out)
	return out
}

// element is one describable part of a schema: a type, a field, an
// argument, an input field, an enum value or a directive.
type element struct {
	kind, name, desc string
	pos              *ast.Position
}

// elements lists the schema's own elements, built-ins left out.
func elements(schema *ast.Schema) []element {
	var out []element
	args := func(owner string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			out = append(out, element{"argument", owner + "(" + a.Name + ")", a.Description, a.Position})
		}
	}
	for _, def := range schema.Types {
		if builtIn(def.Position) || def.BuiltIn {
			continue
		}
		out = append(out, element{strings.ToLower(string(def.Kind)), def.Name, def.Description, def.Position})
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // __typename, __schema and __type, added to every schema
			}
			kind := "field"
			if def.Kind == ast.InputObject {
				kind = "input field"
			}
			out = append(out, element{kind, def.Name + "." + f.Name, f.Description, f.Position})
			args(def.Name+"."+f.Name, f.Arguments)
		}
		for _, v := range def.EnumValues {
			out = append(out, element{"enum value", def.Name + "." + v.Name, v.Description, v.Position})
		}
	}
	for _, d := range schema.Directives {
		if builtIn(d.Position) {
			continue
		}
		out = append(out, element{"directive", "@" + d.Name, d.Description, d.Position})
		args("@"+d.Name, d.Arguments)
	}
	return out
}

func builtIn(pos *ast.Position) bool { return pos != nil && pos.Src != nil && pos.Src.BuiltIn }

// TestSchemaDocumented_served checks that GraphiQL's docs panel shows what
// the schema files say: the descriptions the server's introspection answers
// are those of the files, element for element.
func TestSchemaDocumented_served(t *testing.T) {
	want := map[string]string{}
	for _, e := range elements(loadSchemaFiles(t)) {
		want[e.name] = e.desc
	}
	prelude, err := gqlparser.LoadSchema()
	if err != nil {
		t.Fatal(err)
	}
	h := setup(t)
	r := h.ok("", `query Docs {
  __schema {
    types {
      name description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
    directives { name description args { name description } }
  }
}`, nil)
	var served struct {
		Types []struct {
			named
			Fields []struct {
				named
				Args []named
			}
			InputFields []named
			EnumValues  []named
		}
		Directives []struct {
			named
			Args []named
		}
	}
	raw, _ := json.Marshal(r.Data["__schema"])
	if err := json.Unmarshal(raw, &served); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, typ := range served.Types {
		if prelude.Types[typ.Name] != nil {
			continue
		}
		got[typ.Name] = typ.Description
		for _, f := range typ.Fields {
			got[typ.Name+"."+f.Name] = f.Description
			for _, a := range f.Args {
				got[typ.Name+"."+f.Name+"("+a.Name+")"] = a.Description
			}
		}
		for _, f := range typ.InputFields {
			got[typ.Name+"."+f.Name] = f.Description
		}
		for _, v := range typ.EnumValues {
			got[typ.Name+"."+v.Name] = v.Description
		}
	}
	for _, d := range served.Directives {
		if prelude.Directives[d.Name] != nil {
			continue
		}
		got["@"+d.Name] = d.Description
		for _, a := range d.Args {
			got["@"+d.Name+"("+a.Name+")"] = a.Description
		}
	}
	if len(got) != len(want) {
		t.Errorf("the server describes %d elements, the schema files %d", len(got), len(want))
	}
	for name, desc := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("%s: not served", name)
		} else if g != desc {
			t.Errorf("%s: served %q, the file says %q", name, g, desc)
		}
	}
}

type named struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}
