package main

import (
	"context"
	"flag"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
	"github.com/clevertim-graphql/clevertim-graphql/internal/rediscache"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// redisOptions are the flags of the Redis the replicas share.
type redisOptions struct {
	url           string
	timeout       time.Duration
	maxValueBytes int
	lockTTL       time.Duration
	backoff       time.Duration
}

func addRedisFlags(fs *flag.FlagSet, o *redisOptions, getenv func(string) string) {
	fs.StringVar(&o.url, "redis-url", getenv("REDIS_URL"),
		"redis://host:6379/0 shared by the replicas: the -cache-ttl collections, their single flight and invalidations, and the persisted queries (env REDIS_URL); empty: each process alone")
	fs.DurationVar(&o.timeout, "redis-timeout", rediscache.DefaultTimeout,
		"timeout of each Redis call; past it the call counts as a miss and the replica answers from its memory and Clevertim")
	fs.IntVar(&o.maxValueBytes, "redis-max-value-bytes", rediscache.DefaultMaxValueBytes,
		"largest collection (JSON bytes) stored in Redis; larger ones stay in each replica's memory only")
	fs.DurationVar(&o.lockTTL, "redis-lock-ttl", rediscache.DefaultLockTTL,
		"longest a replica waits for another one's fetch of the same collection before fetching itself (a crashed holder's lock expires then)")
	fs.DurationVar(&o.backoff, "redis-backoff", rediscache.DefaultBackoff,
		"after a failed Redis call, how long the replica leaves Redis alone (misses, no calls; writes still try), so a hung Redis costs one -redis-timeout per interval")
}

// shareThroughRedis puts the replica (with -cache-ttl) and the persisted
// queries of cfg in Redis, when -redis-url is set. It returns the store
// (nil without Redis) and what closes it.
func shareThroughRedis(ctx context.Context, o options, tel *telemetry.Telemetry, cfg *graph.HandlerConfig) (
	*rediscache.Store, func(), error) {
	if o.redis.url == "" {
		return nil, func() {}, nil
	}
	store, err := rediscache.New(rediscache.Config{URL: o.redis.url, Timeout: o.redis.timeout,
		MaxValueBytes: o.redis.maxValueBytes, LockTTL: o.redis.lockTTL, Backoff: o.redis.backoff, TTL: o.cacheTTL,
		Logger: tel.Logger, Observer: tel.Metrics})
	if err != nil {
		return nil, nil, err
	}
	if o.cacheTTL > 0 {
		if cfg.Flights == nil {
			cfg.Flights = upstream.NewFlights()
		}
		cfg.Replica = loaders.NewReplica(o.cacheTTL, o.cacheMaxBytes, cfg.Flights)
		cfg.Replica.Share(ctx, store)
	}
	maxQuery := o.maxBodyBytes
	if maxQuery <= 0 {
		maxQuery = graph.DefaultMaxBodyBytes
	}
	cfg.APQCache = store.NewAPQ(lru.New[string](100), int(maxQuery))
	if err := store.Ping(ctx); err != nil {
		tel.Logger.Warn("redis does not answer yet: serving from memory and Clevertim until it does", "error", err.Error())
	}
	return store, func() { _ = store.Close() }, nil
}

// quietRedis silences go-redis's own log (set once, in main: it is the
// library's global): it logs each failed dial, which with Redis down would
// be a line per request; the store logs failures itself, rate-limited.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}
