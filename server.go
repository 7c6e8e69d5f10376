// Command clevertim-graphql serves the Clevertim CRM as a GraphQL API with
// GraphiQL. With no upstream configured it runs an embedded Clevertim emulator
// holding a demo account, so `go run .` is all a new user needs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
	"github.com/clevertim-graphql/clevertim-graphql/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	redis.SetLogger(quietRedis{})
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "clevertim-graphql:", err)
		os.Exit(1)
	}
}

// options are the command line flags, with environment defaults.
type options struct {
	addr            string
	upstreamURL     string
	apiKey          string
	requireAuth     bool
	allowAnonymous  bool
	allowedHosts    string
	corsOrigins     string
	corsHeaders     string
	corsMaxAge      time.Duration
	persisted       string
	onlyPersisted   bool
	printSchema     bool
	maxBodyBytes    int64
	upstreamTimeout time.Duration
	batchWait       time.Duration
	cacheTTL        time.Duration
	cacheMaxBytes   int64
	opTimeout       time.Duration
	budget          int
	perKey          int
	maxDepth        int
	maxAliases      int
	maxNodeIDs      int
	maxComplexity   int
	shutdownGrace   time.Duration
	guard           guardFlags
	emuLatency      time.Duration
	emuFaultRate    float64
	emuDB           string
	emuSeed         uint64
	prod            productionOptions
	redis           redisOptions
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := newFlagSet(&o, getenv)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	from, err := applyEnv(fs, getenv)
	o.prod.flags, o.prod.from = fs, from
	if err == nil && o.requireAuth && o.allowAnonymous {
		err = errors.New("-require-auth and -allow-anonymous contradict each other: choose one")
	}
	return o, err
}

// newFlagSet defines the flags, into o; getenv gives the older variables
// that are their defaults (see applyEnv for the generic ones).
func newFlagSet(o *options, getenv func(string) string) *flag.FlagSet {
	fs := flag.NewFlagSet("clevertim-graphql", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.upstreamURL, "upstream", getenv("CLEVERTIM_URL"),
		"Clevertim API root (env CLEVERTIM_URL); with neither it nor a key, the embedded emulator serves the demo account")
	fs.StringVar(&o.apiKey, "api-key", getenv("CLEVERTIM_API_KEY"),
		"default API key for requests that carry none (env CLEVERTIM_API_KEY)")
	fs.BoolVar(&o.requireAuth, "require-auth", false,
		"refuse requests without their own API key (the default unless listening on loopback or serving the embedded emulator)")
	fs.BoolVar(&o.allowAnonymous, "allow-anonymous", false,
		"let requests without a key act as the default key even when listening beyond loopback (prints a warning)")
	fs.StringVar(&o.allowedHosts, "allowed-hosts", "",
		"comma-separated host names the server answers to when requests without a key are allowed; IP addresses of the listen address and, on loopback, localhost always")
	fs.StringVar(&o.corsOrigins, "cors-origins", getenv("CORS_ORIGINS"),
		"comma-separated browser origins allowed to call /query, or * for any (env CORS_ORIGINS); empty: same origin only")
	fs.StringVar(&o.corsHeaders, "cors-headers", envOr(getenv, "CORS_HEADERS", defaultCORSHeaders),
		"comma-separated request headers browsers may send cross-origin (env CORS_HEADERS)")
	fs.DurationVar(&o.corsMaxAge, "cors-max-age", 10*time.Minute, "how long browsers may cache a CORS preflight's answer")
	fs.StringVar(&o.persisted, "persisted-operations", "",
		"JSON manifest of id → document (GraphQL Code Generator, Relay, Apollo) served by id as documentId or persistedQuery hash")
	fs.BoolVar(&o.onlyPersisted, "only-persisted", false, "run only the documents of -persisted-operations; refuse any other")
	fs.BoolVar(&o.printSchema, "print-schema", false, "print the schema as SDL and exit")
	fs.Int64Var(&o.maxBodyBytes, "max-body-bytes", graph.DefaultMaxBodyBytes, "largest request body accepted; larger ones get 413")
	fs.DurationVar(&o.upstreamTimeout, "upstream-timeout", graph.DefaultUpstreamTimeout, "timeout of each upstream request")
	fs.DurationVar(&o.batchWait, "batch-wait", loaders.DefaultOptions().Wait, "how long a loader gathers ids before fetching them")
	fs.DurationVar(&o.cacheTTL, "cache-ttl", 0, "keep each API key's collections across requests: fresh this long, served while refreshing up to twice that (0: off)")
	fs.Int64Var(&o.cacheMaxBytes, "cache-max-bytes", loaders.DefaultReplicaBytes, "most bytes the -cache-ttl replica holds, all keys together; least recently used collections go first")
	fs.DurationVar(&o.opTimeout, "operation-timeout", graph.DefaultOperationTimeout, "deadline of one GraphQL operation, upstream retries included")
	fs.IntVar(&o.budget, "upstream-budget", graph.DefaultUpstreamBudget, "most upstream requests one operation may send: 1000 lets a page of the default size (100) fetch some ten linked records each by id (the pipeline board of 50 takes about 270); a batch by id that the rest would not cover reads its collection instead (-1: no limit)")
	fs.IntVar(&o.perKey, "upstream-concurrency", graph.DefaultUpstreamConcurrency, "most upstream requests in flight per API key (-1: no limit)")
	fs.IntVar(&o.maxDepth, "max-depth", graph.DefaultMaxDepth, "deepest field nesting an operation may have (-1: no limit)")
	fs.IntVar(&o.maxAliases, "max-aliases", graph.DefaultMaxAliases, "most times one field or response name may appear in one selection set (-1: no limit)")
	fs.IntVar(&o.maxComplexity, "max-complexity", graph.DefaultComplexityLimit, "most values an operation may return, estimated as fields times page sizes (-1: no limit)")
	fs.IntVar(&o.maxNodeIDs, "max-node-ids", graph.DefaultMaxNodeIDs, "most ids one nodes(ids:) query takes (-1: no limit)")
	o.guard.register(fs)
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 15*time.Second, "how long in-flight requests may finish on shutdown")
	fs.DurationVar(&o.emuLatency, "emulator-latency", 0, "emulator: delay added to every API request")
	fs.Float64Var(&o.emuFaultRate, "emulator-fault-rate", 0, "emulator: fraction of API requests that fail (503 or cut connection)")
	fs.StringVar(&o.emuDB, "emulator-db", "", "emulator: keep the account in this bbolt file across restarts")
	fs.Uint64Var(&o.emuSeed, "emulator-seed", 1, "emulator: seed of the demo account")
	addProductionFlags(fs, &o.prod)
	addRedisFlags(fs, &o.redis, getenv)
	return fs
}

// run serves until ctx is done, then shuts down gracefully. ready, if set,
// is called with the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready func(addr string)) error {
	o, err := parseFlags(args, getenv, stdout)
	if err != nil {
		return err
	}
	if o.printSchema {
		_, err := io.WriteString(stdout, graph.SchemaSDL())
		return err
	}
	if o.prod.printConfig {
		return printConfig(stdout, o.prod.flags, o.prod.from, getenv)
	}
	tel, flushSpans, err := newTelemetry(ctx, o.prod, getenv, stdout)
	if err != nil {
		return err
	}
	defer flushSpans()
	logger := tel.Logger
	httpOptions, err := frontendOptions(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()

	mux := http.NewServeMux()
	useEmulator := o.upstreamURL == "" && o.apiKey == ""
	if useEmulator {
		emu, err := emulator.New(emulator.WithLatency(o.emuLatency), emulator.WithFaultRate(o.emuFaultRate),
			emulator.WithPersistence(o.emuDB), emulator.WithSeed(o.emuSeed))
		if err != nil {
			return err
		}
		defer emu.Close()
		mux.Handle("/api/", emu)
		mux.Handle("/_emulator/", emu)
		internal, err := serveInternally(emu)
		if err != nil {
			return err
		}
		// Closed after the public server's shutdown has waited for the
		// operations in flight (defers run last first).
		defer internal.Close()
		o.upstreamURL, o.apiKey = internal.url+"/api", emulator.OwnerKey
	} else if o.upstreamURL == "" {
		o.upstreamURL = clevertim.DefaultBaseURL
	}

	anonymous := o.allowAnonymous || !o.requireAuth && (isLoopback(ln.Addr()) || useEmulator)
	cfg := graph.HandlerConfig{
		UpstreamURL:         o.upstreamURL,
		DefaultAPIKey:       o.apiKey,
		RequireAuth:         !anonymous,
		UpstreamTimeout:     o.upstreamTimeout,
		Loaders:             loaders.Options{Wait: o.batchWait},
		CacheTTL:            o.cacheTTL,
		CacheMaxBytes:       o.cacheMaxBytes,
		OperationTimeout:    o.opTimeout,
		UpstreamBudget:      o.budget,
		UpstreamConcurrency: o.perKey,
		MaxDepth:            o.maxDepth,
		MaxAliases:          o.maxAliases,
		MaxNodeIDs:          o.maxNodeIDs,
		ComplexityLimit:     o.maxComplexity,
		HTTPOptions:         httpOptions,
		MaxBodyBytes:        o.maxBodyBytes,
		Telemetry:           tel,
	}
	o.guard.apply(&cfg)
	redisStore, closeRedis, err := shareThroughRedis(ctx, o, tel, &cfg)
	if err != nil {
		return err
	}
	defer closeRedis()
	gql, err := graph.NewHandler(cfg)
	if err != nil {
		return err
	}
	api, err := cors(corsConfig{origins: o.corsOrigins, headers: o.corsHeaders, maxAge: o.corsMaxAge}, gql)
	if err != nil {
		return err
	}
	mux.Handle("/query", api)
	mux.Handle("GET /schema.graphql", schemaSDL())
	graphiql := web.GraphiQL()
	mux.Handle("GET /{$}", graphiql)
	mux.Handle("GET /graphiql/", graphiql)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
	})
	readyz, metricsURL, stopMetrics, err := mountProduction(mux, base, o, tel)
	if err != nil {
		return err
	}
	defer stopMetrics()
	if redisStore != nil {
		readyz.redis = redisStore.Ping
	}

	handler := codedErrors(mux)
	if anonymous {
		// Without a key a request acts as the default key, so a web page
		// must not reach this server under a name of its own (DNS
		// rebinding).
		handler = checkHost(ln.Addr(), o.allowedHosts, handler)
	}
	srv := &http.Server{
		Handler:           limitHeaders(o.guard.maxHeaderBytes, handler),
		MaxHeaderBytes:    headerHardCap(o.guard.maxHeaderBytes),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if telemetry.IsText(stdout, o.prod.logFormat) {
		printBanner(stdout, base, o, useEmulator, anonymous)
	}
	logger.Info("listening", "graphql", base+"/query", "metrics", metricsURL, "upstream", masked("upstream", o.upstreamURL),
		"emulator", useEmulator, "traces", telemetry.TracingEnabled(getenv), "anonymous", anonymous)
	if o.allowAnonymous && !isLoopback(ln.Addr()) && !useEmulator {
		logger.Warn("-allow-anonymous: anyone who can reach the server acts as the configured default API key", "graphql", base+"/query")
	}
	if ready != nil {
		ready(ln.Addr().String())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	readyz.draining.Store(true)
	logger.Info("shutting down: finishing in-flight requests", "grace", o.shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), o.shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

func printBanner(w io.Writer, base string, o options, emulated, anonymous bool) {
	fmt.Fprintf(w, "GraphiQL:  %s/\nGraphQL:   %s/query\nHealth:    %s/healthz\n", base, base, base)
	if !emulated {
		fmt.Fprintf(w, "Upstream:  %s\n", masked("upstream", o.upstreamURL))
		switch {
		case o.apiKey == "":
		case anonymous && o.allowAnonymous:
			fmt.Fprintln(w, "Requests without an API key use the configured default key (-allow-anonymous).")
		case anonymous:
			fmt.Fprintln(w, "Requests without an API key use the configured default key (listening on loopback only).")
		default:
			fmt.Fprintln(w, "Requests without an API key are refused (-allow-anonymous to let them use the default key).")
		}
		return
	}
	fmt.Fprintf(w, "Upstream:  embedded Clevertim emulator at %s/api (demo account", base)
	if o.emuDB != "" {
		fmt.Fprintf(w, ", kept in %s", o.emuDB)
	}
	fmt.Fprintln(w, ")")
	fmt.Fprintln(w, "Requests without an API key act as the owner. Demo users and their keys:")
	for _, u := range emulator.DemoUsers() {
		fmt.Fprintf(w, "  %-2s %-13s %-56s %s\n", u.ID, u.Name, u.APIKey, u.Role)
	}
}
