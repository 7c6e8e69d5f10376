// Package web serves GraphiQL from files embedded in the binary, so that it
// works without reaching a CDN: offline, behind a proxy, in CI.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed graphiql
var files embed.FS

// GraphiQL serves the GraphiQL page at / and its assets under /graphiql/.
// The page queries /query on the same origin.
func GraphiQL() http.Handler {
	assets, err := fs.Sub(files, "graphiql")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	static := http.StripPrefix("/graphiql/", http.FileServer(http.FS(assets)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if r.URL.Path == "/" {
			w.Header().Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, assets, "index.html")
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		static.ServeHTTP(w, r)
	})
}
