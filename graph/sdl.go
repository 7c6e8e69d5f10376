package graph

import (
	"maps"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/clevertim-graphql/clevertim-graphql/graph/generated"
)

// Schema is the parsed GraphQL schema the handler serves.
func Schema() *ast.Schema {
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
}

// specDirectives are the directives every GraphQL tool knows without a
// definition.
var specDirectives = []string{"include", "skip", "deprecated", "specifiedBy", "oneOf"}

// SchemaSDL is the whole schema as SDL, for clients' code generators: the
// schema's own types and directives, and the directives the server adds
// beyond the GraphQL spec (@defer), which a generator must know to accept a
// document that uses them.
func SchemaSDL() string {
	schema := Schema()
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(schema)
	var extra ast.SchemaDocument
	for _, name := range slices.Sorted(maps.Keys(schema.Directives)) {
		d := schema.Directives[name]
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn && !slices.Contains(specDirectives, name) {
			extra.Directives = append(extra.Directives, d)
		}
	}
	formatter.NewFormatter(&b, formatter.WithIndent("  "), formatter.WithNonIntrospectionBuiltin()).FormatSchemaDocument(&extra)
	return b.String()
}
