package graph

import (
	"slices"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/graph/generated"
)

// TestResources_AreNodes: every resource of the table is a Node with a
// clevertimId, so its ids are global (model.MarshalGraphID) and node(id:)
// finds it (resourceOf); and every Node is in the table.
func TestResources_AreNodes(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	var inTable []string
	for _, r := range allResources {
		name := r.graphQLType()
		inTable = append(inTable, name)
		def := schema.Types[name]
		if def == nil || !slices.Contains(def.Interfaces, "Node") || def.Fields.ForName("clevertimId") == nil {
			t.Errorf("%s does not implement Node with a clevertimId", name)
		}
	}
	for _, def := range schema.GetPossibleTypes(schema.Types["Node"]) {
		if !slices.Contains(inTable, def.Name) {
			t.Errorf("%s implements Node but is not in the resource table", def.Name)
		}
	}
}
