// Package graph serves the Clevertim CRM as one GraphQL graph: the schema's
// resolvers, the request loaders that batch upstream reads, and the HTTP handler.
package graph

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/generated"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
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
	// Loaders tunes batching. Its Link, when nil, is made to learn the
	// upstream's round trip and throughput from the requests sent; a test
	// fixes one (upstream.FixedLink) to count deterministic choices.
	Loaders loaders.Options
	// ComplexityLimit bounds an operation's estimated cost: the records it
	// may return, counted with page sizes (see limits.go).
	ComplexityLimit int
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// CacheTTL, when positive, keeps each API key's collections across
	// requests (loaders.Replica): fresh for CacheTTL, served while a
	// background refresh runs up to twice that. Off by default.
	CacheTTL time.Duration
	// CacheMaxBytes bounds the replica's memory (loaders.DefaultReplicaBytes
	// when zero).
	CacheMaxBytes int64
	// Replica, if set, is used instead of one made from CacheTTL and
	// CacheMaxBytes, so that a benchmark can read its size.
	Replica *loaders.Replica
	// NoPlanning turns off the prefetching of the collections a query will
	// scan (see plan.go): fewer bytes fetched, more round trips.
	NoPlanning bool
	// Transport sends upstream requests; nil means clevertim.NewTransport().
	Transport http.RoundTripper
	// Flights shares upstream reads in flight between operations; nil means
	// a new one for this handler.
	Flights *upstream.Flights
	// UpstreamBudget is the most upstream requests one operation may send;
	// the rest are refused with UPSTREAM_BUDGET_EXCEEDED. Negative: no limit.
	// Batches go by id only within what it leaves (loaders.Options.Budget).
	UpstreamBudget int
	// UpstreamConcurrency is the most upstream requests in flight per API
	// key, across all operations. Negative: no limit.
	UpstreamConcurrency int
	// MaxDepth and MaxAliases bound an operation's nesting and the aliases
	// of one field in one selection set (see guard.go).
	MaxDepth, MaxAliases int
	// MaxTokens, MaxFields, MaxFragments and MaxDirectives bound a document
	// before it is validated: its tokens, and its fields, fragments and
	// directives with fragments expanded (see guard.go). MaxErrors bounds the
	// validation errors reported. Negative: no limit.
	MaxTokens, MaxFields, MaxFragments, MaxDirectives, MaxErrors int
	// MaxResponseBytes bounds an answer; past it the operation stops and
	// answers RESPONSE_TOO_LARGE. Negative: no limit.
	MaxResponseBytes int
	// MaxOperations and MaxOperationsPerKey bound the operations executing
	// at once, overall and per API key; a request waits up to QueueWait for
	// its turn, then is answered 503 OVERLOADED. Negative: no limit.
	MaxOperations, MaxOperationsPerKey int
	QueueWait                          time.Duration
	// MaxOperationsPerClient bounds, among requests without a key (which
	// all act as DefaultAPIKey), the operations of one client address, so
	// that one client cannot take the default key's whole share. Negative:
	// no limit.
	MaxOperationsPerClient int
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (see clientOf); from any other peer the header is ignored.
	TrustedProxies []netip.Prefix
	// WriteTimeout is how long the client may take to accept each
	// WriteChunk bytes of the answer before it is cut off.
	WriteTimeout time.Duration
	WriteChunk   int
	// Metrics, if set, counts validations and shed operations.
	Metrics *Metrics
	// MaxNodeIDs is the most ids one nodes(ids:) takes; more is
	// BAD_USER_INPUT. Negative: no limit.
	MaxNodeIDs int
	// MaxInputValues is the most input values (objects, such as filters and
	// their and/or/not terms, and list items) in an operation's arguments
	// and variables; more is INPUT_LIMIT_EXCEEDED. Negative: no limit.
	MaxInputValues int
	// HTTPOptions are the endpoint's persisted documents (see transport.go).
	HTTPOptions
	// Telemetry receives the logs, metrics and spans of every operation.
	// nil: warnings and errors to stderr, no line per operation, metrics
	// kept but not served, no spans.
	Telemetry *telemetry.Telemetry
	// APQCache holds the automatic persisted queries (hash → query); nil
	// means an in-process LRU of 100. A shared one (Redis) lets a hash
	// registered on one replica be known on all.
	APQCache graphql.Cache[string]
}

// Defaults for the zero HandlerConfig fields.
const (
	DefaultComplexityLimit     = 5_000_000
	DefaultMaxBodyBytes        = 1 << 20
	DefaultUpstreamTimeout     = 30 * time.Second
	DefaultOperationTimeout    = 60 * time.Second
	DefaultUpstreamBudget      = 1000
	DefaultUpstreamConcurrency = 16
	DefaultMaxDepth            = 15
	DefaultMaxAliases          = 30
	DefaultMaxTokens           = 10_000
	DefaultMaxFields           = 2_000
	DefaultMaxFragments        = 200
	DefaultMaxDirectives       = 100
	DefaultMaxErrors           = 20
	DefaultMaxResponseBytes    = 8 << 20
	DefaultMaxOperations       = 64
	DefaultMaxOperationsPerKey = 16
	DefaultQueueWait           = time.Second
	DefaultWriteTimeout        = 5 * time.Second
	DefaultWriteChunk          = 16 << 10
	DefaultMaxNodeIDs          = 100
	DefaultMaxInputValues      = 1_000
)

// NewHandler assembles the GraphQL endpoint: POST and GET transports,
// introspection, a query cache, automatic persisted queries, limits on depth,
// aliases and complexity, query planning, one error presenter, panic
// recovery, and per request: loaders acting as the caller's Clevertim API
// key, a deadline, and an upstream budget. Upstream requests are retried per
// cfg.Retry and bounded per key by cfg.UpstreamConcurrency.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	cfg.ComplexityLimit = orDefault(cfg.ComplexityLimit, DefaultComplexityLimit)
	cfg.MaxBodyBytes = positiveOr(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.UpstreamTimeout = positiveOr(cfg.UpstreamTimeout, DefaultUpstreamTimeout)
	cfg.OperationTimeout = positiveOr(cfg.OperationTimeout, DefaultOperationTimeout)
	cfg.UpstreamBudget = orDefault(cfg.UpstreamBudget, DefaultUpstreamBudget)
	cfg.UpstreamConcurrency = orDefault(cfg.UpstreamConcurrency, DefaultUpstreamConcurrency)
	cfg.MaxDepth = orDefault(cfg.MaxDepth, DefaultMaxDepth)
	cfg.MaxAliases = orDefault(cfg.MaxAliases, DefaultMaxAliases)
	cfg = cfg.withGuardDefaults()
	cfg.MaxNodeIDs = orDefault(cfg.MaxNodeIDs, DefaultMaxNodeIDs)
	if cfg.Retry == (clevertim.RetryPolicy{}) {
		cfg.Retry = clevertim.DefaultRetryPolicy()
	}
	cfg.Loaders = cfg.Loaders.WithDefaults()
	if cfg.Loaders.Budget == 0 {
		cfg.Loaders.Budget = cfg.UpstreamBudget
	}
	cfg.Loaders.Stats = loaders.NewStats()
	if cfg.Loaders.KeyConcurrency == 0 {
		cfg.Loaders.KeyConcurrency = cfg.UpstreamConcurrency
	}
	if cfg.Loaders.Link == nil {
		cfg.Loaders.Link = upstream.NewLink(upstream.DefaultLinkModel())
	}
	if cfg.Transport == nil {
		cfg.Transport = clevertim.NewTransport()
	}
	if cfg.Flights == nil {
		cfg.Flights = upstream.NewFlights()
	}
	cfg.Loaders.Replica = cfg.Replica
	if cfg.Loaders.Replica == nil {
		cfg.Loaders.Replica = loaders.NewReplica(cfg.CacheTTL, cfg.CacheMaxBytes, cfg.Flights)
	}
	tel := cfg.Telemetry
	if tel == nil {
		tel = telemetry.New(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil, nil)
	}
	if cfg.APQCache == nil {
		cfg.APQCache = lru.New[string](100)
	}
	if tel.Tracing() {
		cfg.Loaders.Tracer = tel.Tracer()
	}
	tel.Metrics.WatchGuard(cfg.Metrics.counts)
	if cfg.Loaders.Replica != nil {
		tel.Metrics.WatchCache(cfg.Loaders.Replica.Len)
		cfg.Loaders.Replica.Observe(tel.Metrics)
	}
	client, err := clevertim.NewClient(
		clevertim.WithBaseURL(cfg.UpstreamURL),
		clevertim.WithTimeout(cfg.UpstreamTimeout),
		// The client takes a slot before the request reaches the tracker, so
		// that time spent waiting for one is not counted as time on the
		// wire: rounds stay honest.
		clevertim.WithMaxInFlight(cfg.UpstreamConcurrency),
		clevertim.WithSlotWait(tel.ObserveSlotWait),
		clevertim.WithHTTPClient(&http.Client{Transport: tel.CountBudgetRefusals(&upstream.Transport{
			Base: tel.UpstreamTransport(cfg.Transport, urlPath(cfg.UpstreamURL)),
			Link: cfg.Loaders.Link,
		})}),
		clevertim.WithUserAgent("clevertim-graphql"),
		clevertim.WithRetryPolicy(cfg.Retry),
		clevertim.WithReadSharing(cfg.Flights),
	)
	if err != nil {
		return nil, err
	}

	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{maxNodeIDs: cfg.MaxNodeIDs}}))
	srv.AddTransport(newHTTPTransport(cfg.HTTPOptions))
	passed := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(passed)
	srv.SetParserTokenLimit(cfg.MaxTokens)
	srv.SetValidationRulesFn(validationRules(cfg.MaxErrors, cfg.Metrics))
	srv.Use(extension.Introspection{})
	srv.Use(observer{})
	if !cfg.OnlyPersisted {
		srv.Use(extension.AutomaticPersistedQuery{Cache: cfg.APQCache})
	}
	// After the persisted query is looked up, before gqlgen validates.
	srv.Use(guard{passed: passed, metrics: cfg.Metrics, docLimits: docLimits{tokens: cfg.MaxTokens, fields: cfg.MaxFields,
		fragments: cfg.MaxFragments, directives: cfg.MaxDirectives, depth: cfg.MaxDepth, aliases: cfg.MaxAliases}})
	srv.Use(limits{maxComplexity: cfg.ComplexityLimit, maxInputValues: cfg.MaxInputValues})
	srv.SetErrorPresenter(presentError)
	srv.SetRecoverFunc(recoverPanic)
	srv.AroundResponses(reportUpstream)
	srv.AroundFields(checkCodes)
	srv.AroundFields(countAnswer)
	if !cfg.NoPlanning {
		srv.AroundOperations(prefetch())
	}

	shed := newShedder(cfg)
	// execute runs one operation into a buffer; what it held (loaders,
	// records, the execution tree) is garbage once it returns.
	execute := func(w http.ResponseWriter, r *http.Request, key string) *captured {
		// The caller's cancellation, the operation's deadline and the answer
		// size cap reach every upstream request through this context.
		ctx, stop := context.WithCancelCause(r.Context())
		defer stop(nil)
		ctx, cancel := context.WithTimeout(ctx, cfg.OperationTimeout)
		defer cancel()
		ctx = upstream.WithTracker(ctx, upstream.NewTracker(cfg.UpstreamBudget))
		ctx = loaders.With(ctx, loaders.New(client.WithAPIKey(key), cfg.Loaders))
		size := &answerSize{limit: int64(cfg.MaxResponseBytes), cancel: stop}
		if size.limit > 0 {
			ctx = context.WithValue(ctx, answerSizeKey{}, size)
		}
		out := &captured{w: w, out: newAnswerWriter(w, cfg.WriteChunk, cfg.WriteTimeout), limit: cfg.MaxResponseBytes}
		srv.ServeHTTP(out, r.WithContext(ctx))
		out.over = out.over || size.over.Load()
		return out
	}

	return observed(tel, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := apiKey(r, cfg.DefaultAPIKey, cfg.RequireAuth)
		telemetry.OperationFrom(r.Context()).SetKey(key)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="Clevertim API key", Bearer`)
			writeGraphQLError(w, http.StatusUnauthorized, err.Error(), CodeUnauthenticated)
			return
		}
		release, ok := shed.acquire(r, key)
		if !ok {
			overloaded(w, cfg.QueueWait)
			return
		}
		// The slot is held while the answer is written: the answers in
		// memory are at most MaxOperations of MaxResponseBytes.
		defer release()
		r.Body = http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes)
		if err := execute(w, r, key).finish(); err != nil {
			cfg.Metrics.CutOff.Add(1)
		}
	})), nil
}

// positiveOr is v, or the default when v is 0 or negative: for settings that
// have no "no limit" (sizes, timeouts).
func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
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
