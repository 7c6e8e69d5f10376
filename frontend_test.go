package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The SDL that -print-schema prints and /schema.graphql serves is one text,
// a valid schema, and says what introspection says: every type, field,
// argument, input field, enum value, description, default and directive.
func TestSchemaSDL_PrintedServedAndIntrospected(t *testing.T) {
	t.Parallel()
	var printed bytes.Buffer
	if err := run(context.Background(), []string{"-print-schema"}, func(string) string { return "" }, &printed, nil); err != nil {
		t.Fatal(err)
	}
	base, _, _ := start(t, nil)
	resp, err := http.Get(base + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(served, printed.Bytes()) {
		t.Fatalf("/schema.graphql: %d, %d bytes, differs from -print-schema (%d bytes)", resp.StatusCode, len(served), printed.Len())
	}

	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: printed.String()})
	if gqlErr != nil {
		t.Fatalf("the printed SDL is not a valid schema: %v", gqlErr)
	}
	fromSDL := describeSchema(schema)

	status, body := post(t, base+"/query", "", introspectionQuery)
	if status != 200 || body["errors"] != nil {
		t.Fatalf("introspection: %d %v", status, body["errors"])
	}
	raw, _ := json.Marshal(body["data"].(map[string]any)["__schema"])
	var intro introspected
	if err := json.Unmarshal(raw, &intro); err != nil {
		t.Fatal(err)
	}
	fromIntrospection := intro.describe()

	if len(fromIntrospection) < 500 {
		t.Fatalf("introspection describes only %d elements", len(fromIntrospection))
	}
	for _, line := range fromIntrospection {
		if !slices.Contains(fromSDL, line) {
			t.Errorf("introspection has, the SDL has not: %s", line)
		}
	}
	for _, line := range fromSDL {
		if !slices.Contains(fromIntrospection, line) {
			t.Errorf("the SDL has, introspection has not: %s", line)
		}
	}
}

const introspectionQuery = `query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    directives { name description locations isRepeatable args { ...Input } }
    types {
      kind name description specifiedByURL
      fields(includeDeprecated: true) { name description isDeprecated deprecationReason args { ...Input } type { ...Ref } }
      inputFields { ...Input }
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    }
  }
}
fragment Input on __InputValue { name description defaultValue type { ...Ref } }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }`

type typeRef struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	OfType *typeRef `json:"ofType"`
}

func (r *typeRef) String() string {
	switch r.Kind {
	case "NON_NULL":
		return r.OfType.String() + "!"
	case "LIST":
		return "[" + r.OfType.String() + "]"
	}
	return r.Name
}

type inputValue struct {
	Name         string  `json:"name"`
	Description  *string `json:"description"`
	DefaultValue *string `json:"defaultValue"`
	Type         typeRef `json:"type"`
}

type introspected struct {
	QueryType    struct{ Name string }  `json:"queryType"`
	MutationType *struct{ Name string } `json:"mutationType"`
	Directives   []struct {
		Name         string       `json:"name"`
		Description  *string      `json:"description"`
		Locations    []string     `json:"locations"`
		IsRepeatable bool         `json:"isRepeatable"`
		Args         []inputValue `json:"args"`
	} `json:"directives"`
	Types []struct {
		Kind           string  `json:"kind"`
		Name           string  `json:"name"`
		Description    *string `json:"description"`
		SpecifiedByURL *string `json:"specifiedByURL"`
		Fields         []struct {
			Name              string       `json:"name"`
			Description       *string      `json:"description"`
			IsDeprecated      bool         `json:"isDeprecated"`
			DeprecationReason *string      `json:"deprecationReason"`
			Args              []inputValue `json:"args"`
			Type              typeRef      `json:"type"`
		} `json:"fields"`
		InputFields   []inputValue            `json:"inputFields"`
		Interfaces    []struct{ Name string } `json:"interfaces"`
		PossibleTypes []struct{ Name string } `json:"possibleTypes"`
		EnumValues    []struct {
			Name              string  `json:"name"`
			Description       *string `json:"description"`
			IsDeprecated      bool    `json:"isDeprecated"`
			DeprecationReason *string `json:"deprecationReason"`
		} `json:"enumValues"`
	} `json:"types"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (in inputValue) line(owner string) string {
	return fmt.Sprintf("%s(%s: %s = %s) %q", owner, in.Name, in.Type.String(), deref(in.DefaultValue), deref(in.Description))
}

// describe lists the schema as one line per element, comparable with
// describeSchema.
func (s introspected) describe() []string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	add("schema query=%s", s.QueryType.Name)
	if s.MutationType != nil {
		add("schema mutation=%s", s.MutationType.Name)
	}
	for _, d := range s.Directives {
		sort.Strings(d.Locations)
		add("directive @%s on %s repeatable=%v %q", d.Name, strings.Join(d.Locations, "|"), d.IsRepeatable, deref(d.Description))
		for _, a := range d.Args {
			add("%s", a.line("@"+d.Name))
		}
	}
	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") {
			continue
		}
		add("%s %s %q specifiedBy=%s", t.Kind, t.Name, deref(t.Description), deref(t.SpecifiedByURL))
		for _, f := range t.Fields {
			add("%s.%s: %s %q deprecated=%v %q", t.Name, f.Name, f.Type.String(), deref(f.Description), f.IsDeprecated, deref(f.DeprecationReason))
			for _, a := range f.Args {
				add("%s", a.line(t.Name+"."+f.Name))
			}
		}
		for _, f := range t.InputFields {
			add("%s", f.line(t.Name))
		}
		for _, i := range t.Interfaces {
			add("%s implements %s", t.Name, i.Name)
		}
		for _, p := range t.PossibleTypes {
			add("%s includes %s", t.Name, p.Name)
		}
		for _, v := range t.EnumValues {
			add("%s.%s %q deprecated=%v %q", t.Name, v.Name, deref(v.Description), v.IsDeprecated, deref(v.DeprecationReason))
		}
	}
	return lines
}

func describeSchema(s *ast.Schema) []string {
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	argLine := func(owner string, a *ast.ArgumentDefinition) {
		def := ""
		if a.DefaultValue != nil {
			def = a.DefaultValue.String()
		}
		add("%s(%s: %s = %s) %q", owner, a.Name, a.Type.String(), def, a.Description)
	}
	add("schema query=%s", s.Query.Name)
	if s.Mutation != nil {
		add("schema mutation=%s", s.Mutation.Name)
	}
	for _, d := range s.Directives {
		locations := make([]string, len(d.Locations))
		for i, l := range d.Locations {
			locations[i] = string(l)
		}
		sort.Strings(locations)
		add("directive @%s on %s repeatable=%v %q", d.Name, strings.Join(locations, "|"), d.IsRepeatable, d.Description)
		for _, a := range d.Arguments {
			argLine("@"+d.Name, a)
		}
	}
	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") {
			continue
		}
		specifiedBy := ""
		if d := t.Directives.ForName("specifiedBy"); d != nil {
			specifiedBy = d.Arguments.ForName("url").Value.Raw
		}
		add("%s %s %q specifiedBy=%s", t.Kind, t.Name, t.Description, specifiedBy)
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			deprecated, reason := f.Directives.ForName("deprecated"), ""
			if deprecated != nil {
				reason = "No longer supported"
				if r := deprecated.Arguments.ForName("reason"); r != nil {
					reason = r.Value.Raw
				}
			}
			if t.Kind == ast.InputObject {
				def := ""
				if f.DefaultValue != nil {
					def = f.DefaultValue.String()
				}
				add("%s(%s: %s = %s) %q", t.Name, f.Name, f.Type.String(), def, f.Description)
				continue
			}
			add("%s.%s: %s %q deprecated=%v %q", t.Name, f.Name, f.Type.String(), f.Description, deprecated != nil, reason)
			for _, a := range f.Arguments {
				argLine(t.Name+"."+f.Name, a)
			}
		}
		for _, i := range t.Interfaces {
			add("%s implements %s", t.Name, i)
		}
		if t.IsAbstractType() {
			for _, p := range s.GetPossibleTypes(t) {
				add("%s includes %s", t.Name, p.Name)
			}
		}
		for _, v := range t.EnumValues {
			deprecated, reason := v.Directives.ForName("deprecated"), ""
			if deprecated != nil {
				reason = "No longer supported"
				if r := deprecated.Arguments.ForName("reason"); r != nil {
					reason = r.Value.Raw
				}
			}
			add("%s.%s %q deprecated=%v %q", t.Name, v.Name, v.Description, deprecated != nil, reason)
		}
	}
	return lines
}

func TestPersistedOperations_Flags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	manifest := filepath.Join(dir, "persisted-documents.json")
	if err := os.WriteFile(manifest, []byte(`{"users": "query Users { users { totalCount } }"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	base, _, _ := start(t, nil, "-persisted-operations", manifest, "-only-persisted")
	req, _ := http.NewRequest("POST", base+"/query", strings.NewReader(`{"documentId":"users"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if fmt.Sprint(out["data"]) != "map[users:map[totalCount:6]]" {
		t.Errorf("by id: %v", out)
	}
	if _, body := post(t, base+"/query", "", `{ users { totalCount } }`); body["data"] != nil ||
		!strings.Contains(fmt.Sprint(body["errors"]), "PERSISTED_QUERY_NOT_FOUND") {
		t.Errorf("a document of its own: %v", body)
	}

	stale := filepath.Join(dir, "stale.json")
	if err := os.WriteFile(stale, []byte(`{"old": "{ users { shoeSize } }"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	for name, args := range map[string][]string{
		"-only-persisted alone": {"-only-persisted"},
		"a missing manifest":    {"-persisted-operations", filepath.Join(dir, "missing.json")},
		"a stale manifest":      {"-persisted-operations", stale},
	} {
		if err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, args...), none, io.Discard, nil); err == nil {
			t.Errorf("%s: the server started", name)
		}
	}
}

func TestMaxBodyBytes_Flag(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, nil, "-max-body-bytes", "100")
	query := `{ users { totalCount } }`
	if status, body := post(t, base+"/query", "", query); status != 200 || body["data"] == nil {
		t.Errorf("a small body: %d %v", status, body)
	}
	status, body := post(t, base+"/query", "", query+strings.Repeat(" ", 100))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(fmt.Sprint(body["errors"]), "REQUEST_TOO_LARGE") {
		t.Errorf("a body over -max-body-bytes: %d %v", status, body)
	}
}
