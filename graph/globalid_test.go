package graph_test

import (
	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// local is Clevertim's id in a global id (an id field's value); other ids
// are returned as they are.
func local(id string) clevertim.ID {
	if _, l, ok := model.DecodeGlobalID(clevertim.ID(id)); ok {
		return clevertim.ID(l)
	}
	return clevertim.ID(id)
}
