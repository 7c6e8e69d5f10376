// Package graph serves the Clevertim CRM as one GraphQL graph: the schema's
// resolvers, the request loaders that batch upstream reads, and the HTTP handler.
package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// HandlerConfig is what the GraphQL handler needs.
type HandlerConfig struct {
	// UpstreamURL is the Clevertim API root, e.g. https://www.clevertim.com/api.
	UpstreamURL string
	// DefaultAPIKey serves requests that carry no key. Empty: such requests
	// are refused.
	DefaultAPIKey string
	// RequireAuth refuses requests without their own key even when a default
	// key is configured.
	RequireAuth bool
	// UpstreamTimeout bounds each upstream request.
	UpstreamTimeout time.Duration
	// OperationTimeout bounds a whole operation, retries included.
	OperationTimeout time.Duration
	// Retry is how failed upstream requests are retried; zero means
	// clevertim.DefaultRetryPolicy.
	Retry clevertim.RetryPolicy
	// Loaders tunes batching.
	Loaders loaders.Options
	// ComplexityLimit bounds an operation's estimated cost: the records it
	// may return, counted with page sizes (see limits.go).
	ComplexityLimit int
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// CacheTTL, when positive, keeps upstream reads across requests for this
	// long, per API key; the facade's own writes empty it. Off by default.
	CacheTTL time.Duration
	// NoPlanning turns off the prefetching of the collections a query will
	// scan (see plan.go): fewer bytes fetched, more round trips.
	NoPlanning bool
	// Transport sends upstream requests; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// UpstreamBudget is the most upstream requests one operation may send;
	// the rest are refused with UPSTREAM_BUDGET_EXCEEDED. Negative: no limit.
	UpstreamBudget int
	// UpstreamConcurrency is the most upstream requests in flight per API
	// key, across all operations. Negative: no limit.
	UpstreamConcurrency int
	// MaxDepth and MaxAliases bound an operation's nesting and the aliases
	// of one field in one selection set (see limits.go).
	MaxDepth, MaxAliases int
}

// Defaults for the zero HandlerConfig fields.
const (
	DefaultComplexityLimit     = 500_000
	DefaultMaxBodyBytes        = 1 << 20
	DefaultUpstreamTimeout     = 30 * time.Second
	DefaultOperationTimeout    = 60 * time.Second
	DefaultUpstreamBudget      = 300
	DefaultUpstreamConcurrency = 16
	DefaultMaxDepth            = 15
	DefaultMaxAliases          = 30
)

// NewHandler assembles the GraphQL endpoint: POST and GET transports,
// introspection, a query cache, automatic persisted queries, limits on depth,
// aliases and complexity, query planning, one error presenter, panic
// recovery, and per request: loaders acting as the caller's Clevertim API
// key, a deadline, and an upstream budget. Upstream requests are retried per
// cfg.Retry and bounded per key by cfg.UpstreamConcurrency.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	cfg.ComplexityLimit = orDefault(cfg.ComplexityLimit, DefaultComplexityLimit)
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = DefaultUpstreamTimeout
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	cfg.UpstreamBudget = orDefault(cfg.UpstreamBudget, DefaultUpstreamBudget)
	cfg.UpstreamConcurrency = orDefault(cfg.UpstreamConcurrency, DefaultUpstreamConcurrency)
	cfg.MaxDepth = orDefault(cfg.MaxDepth, DefaultMaxDepth)
	cfg.MaxAliases = orDefault(cfg.MaxAliases, DefaultMaxAliases)
	if cfg.Retry == (clevertim.RetryPolicy{}) {
		cfg.Retry = clevertim.DefaultRetryPolicy()
	}
	cfg.Loaders = cfg.Loaders.WithDefaults()
	cfg.Loaders.Cache = loaders.NewCache(cfg.CacheTTL, 0)
	client, err := clevertim.NewClient(
		clevertim.WithBaseURL(cfg.UpstreamURL),
		clevertim.WithTimeout(cfg.UpstreamTimeout),
		// The client takes a slot before the request reaches the tracker, so
		// that time spent waiting for one is not counted as time on the
		// wire: rounds stay honest.
		clevertim.WithMaxInFlight(cfg.UpstreamConcurrency),
		clevertim.WithHTTPClient(&http.Client{Transport: &upstream.Transport{Base: cfg.Transport}}),
		clevertim.WithUserAgent("clevertim-graphql"),
		clevertim.WithRetryPolicy(cfg.Retry),
	)
	if err != nil {
		return nil, err
	}

	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{}}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](100)})
	srv.Use(limits{maxDepth: cfg.MaxDepth, maxAliases: cfg.MaxAliases, maxComplexity: cfg.ComplexityLimit})
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundResponses(reportUpstream)
	srv.AroundFields(checkCodes)
	if !cfg.NoPlanning {
		srv.AroundOperations(prefetch(cfg.Loaders.ListThreshold))
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := apiKey(r, cfg.DefaultAPIKey, cfg.RequireAuth)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="Clevertim API key", Bearer`)
			writeGraphQLError(w, http.StatusUnauthorized, err.Error(), CodeUnauthenticated)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
		// The caller's cancellation and the operation's deadline reach every
		// upstream request through this context.
		ctx, cancel := context.WithTimeout(r.Context(), cfg.OperationTimeout)
		defer cancel()
		ctx = upstream.WithTracker(ctx, upstream.NewTracker(cfg.UpstreamBudget))
		ctx = loaders.With(ctx, loaders.New(client.WithAPIKey(key), cfg.Loaders))
		srv.ServeHTTP(w, r.WithContext(ctx))
	}), nil
}

// orDefault maps 0 to the default and a negative value to 0 (no limit).
func orDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// reportUpstream adds extensions.upstream: what the operation cost Clevertim.
func reportUpstream(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return resp
	}
	if t := upstream.FromContext(ctx); t != nil {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["upstream"] = t.Summary()
	}
	return resp
}

// apiKey reads the caller's Clevertim key: Basic with the key as user name
// (as Clevertim itself takes it), or Bearer with the key.
func apiKey(r *http.Request, def string, require bool) (string, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		if require || def == "" {
			return "", fmt.Errorf("send your Clevertim API key: Authorization: Bearer <key>, or Basic with the key as user name")
		}
		return def, nil
	}
	scheme, value, _ := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer":
		if value != "" {
			return value, nil
		}
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(value)
		if err == nil {
			if key, _, _ := strings.Cut(string(raw), ":"); key != "" {
				return key, nil
			}
		}
	}
	return "", fmt.Errorf("the Authorization header is not Bearer <key> or Basic <base64 of key:X>")
}

func writeGraphQLError(w http.ResponseWriter, status int, message, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
}
