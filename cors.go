package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	rscors "github.com/rs/cors"
)

// defaultCORSHeaders are the request headers browsers may send cross-origin
// by default: the key, the body's type, and what GraphQL clients and tracing
// libraries add (Apollo's client awareness and CSRF headers, W3C trace
// context and baggage, Sentry, request ids).
const defaultCORSHeaders = "Authorization, Content-Type, Accept, apollographql-client-name, apollographql-client-version, " +
	"apollo-require-preflight, x-apollo-operation-name, traceparent, tracestate, baggage, sentry-trace, X-Request-ID"

// corsConfig is which browser pages on other origins may call the API.
type corsConfig struct {
	origins string        // comma-separated origins, or *; empty: none
	headers string        // comma-separated request headers allowed
	maxAge  time.Duration // how long a browser may cache a preflight's answer
}

// cors lets the configured origins call next from a browser. Listed origins
// may send credentials (cookies, if a frontend's client includes them);
// "*" admits any origin without credentials, so that no site can act with
// a user's cookies. An origin must be scheme://host[:port], so "null"
// (sandboxed frames, file: pages), which any page can claim, cannot be
// listed. Vary: Origin is always sent, so that a cache never hands one
// origin's answer to another.
func cors(c corsConfig, next http.Handler) (http.Handler, error) {
	origins := splitList(c.origins)
	anyOrigin := false
	for i, o := range origins {
		if o == "*" {
			anyOrigin = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("CORS origin %q: want scheme://host[:port], such as https://app.example.com, or *", o)
		}
		origins[i] = u.Scheme + "://" + u.Host // as browsers send it: no trailing slash
	}
	opts := rscors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   splitList(c.headers),
		ExposedHeaders:   []string{"Retry-After"},
		AllowCredentials: !anyOrigin,
		MaxAge:           int(c.maxAge.Seconds()),
	}
	switch {
	case anyOrigin:
		opts.AllowedOrigins = []string{"*"}
	case len(origins) == 0:
		// rs/cors reads no origins as any origin: same-origin only must say so.
		opts.AllowOriginFunc = func(string) bool { return false }
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = -1 // rs/cors reads 0 as "send no max-age"
	}
	return rscors.New(opts).Handler(next), nil
}

func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
