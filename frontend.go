package main

import (
	"fmt"
	"net/http"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// frontendOptions loads what frontends registered with the server: their
// persisted operations.
func frontendOptions(o options) (graph.HTTPOptions, error) {
	if o.persisted == "" {
		if o.onlyPersisted {
			return graph.HTTPOptions{}, fmt.Errorf("-only-persisted needs -persisted-operations FILE")
		}
		return graph.HTTPOptions{}, nil
	}
	docs, err := graph.LoadPersistedDocuments(o.persisted, graph.Schema())
	if err != nil {
		return graph.HTTPOptions{}, err
	}
	return graph.HTTPOptions{PersistedDocuments: docs, OnlyPersisted: o.onlyPersisted}, nil
}

// schemaSDL serves the schema as SDL at /schema.graphql, for code generators
// pointed at a URL instead of running introspection.
func schemaSDL() http.Handler {
	sdl := []byte(graph.SchemaSDL())
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(sdl)
	})
}

// envOr is the environment variable, or def when it is unset or empty.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
