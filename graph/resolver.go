package graph

//go:generate go run github.com/99designs/gqlgen generate

// Resolver is the root resolver. Everything a resolver needs per request
// (the API key's client and loaders) travels in the context, set up by
// the handler, so the root holds only configuration.
type Resolver struct {
	// maxNodeIDs is the most ids nodes(ids:) takes; negative: no limit.
	maxNodeIDs int
}
