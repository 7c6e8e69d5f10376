// Package rediscache shares the account replica and the automatic persisted
// queries of several facade replicas through one Redis. Redis is an
// optimisation only: every call has a short timeout, and a failure is
// counted, logged (rate-limited) and answered as a miss, never an error to
// a client.
package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of Config.
const (
	DefaultTimeout       = 100 * time.Millisecond
	DefaultMaxValueBytes = 32 << 20
	DefaultLockTTL       = 10 * time.Second
	DefaultBackoff       = time.Second
	// pollEvery is how often a replica waiting for another one's fetch
	// looks for its result. Polling, not pub/sub: a waiter that subscribes
	// after the result was published would miss it, and a poll also sees
	// the lock vanish when its holder crashed.
	pollEvery = 10 * time.Millisecond
	// logEvery bounds the Redis failure log lines to one per interval: a
	// Redis outage must not flood the log with one line per request.
	logEvery = 10 * time.Second
)

// Observer hears what the store does, for metrics.
type Observer interface {
	RedisError(op string)
	SharedCacheLookup(result string) // hit, miss, waited
	SharedCacheOversize()
}

// Config configures a Store.
type Config struct {
	// URL is redis://[user:password@]host:port/db (or rediss://).
	URL string
	// Timeout bounds each Redis call (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxValueBytes is the largest collection stored; larger ones are
	// skipped and counted (DefaultMaxValueBytes when zero).
	MaxValueBytes int
	// LockTTL is how long a fetch lock holds when its holder never
	// releases it (a crashed replica): nobody waits longer than this.
	LockTTL time.Duration
	// Backoff is how long the store leaves Redis alone after a failure
	// (DefaultBackoff when zero): a Redis that hangs then costs one
	// timeout per Backoff, not one per call.
	Backoff time.Duration
	// TTL is the replica's freshness (-cache-ttl): copies expire from Redis
	// after a few of them.
	TTL time.Duration
	// Prefix starts every Redis key, so that several deployments can share
	// a Redis ("cgql:" when empty).
	Prefix   string
	Logger   *slog.Logger
	Observer Observer
}

// Store is the Redis behind the replicas. Its methods never return Redis
// failures as errors a client would see: a failure is a miss.
type Store struct {
	cfg     Config
	rdb     *redis.Client
	self    string // this process, so that it ignores its own invalidations
	lastLog atomic.Int64
	// downUntil is when to try Redis again after a failure (unix ns).
	downUntil atomic.Int64
}

// New connects lazily (go-redis dials on first use and reconnects by
// itself); it fails only on a malformed URL.
func New(cfg Config) (*Store, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		// The URL may hold a password: not repeated.
		return nil, errors.New("-redis-url: not a redis:// or rediss:// URL")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxValueBytes <= 0 {
		cfg.MaxValueBytes = DefaultMaxValueBytes
	}
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = DefaultLockTTL
	}
	if cfg.TTL <= 0 {
		// Only the persisted queries are shared without a replica; a copy
		// must never lack an expiry.
		cfg.TTL = time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "cgql:"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = cfg.Timeout, cfg.Timeout, cfg.Timeout
	// A slow Redis must not pile goroutines up: fail fast, fall back.
	opts.PoolTimeout = cfg.Timeout
	opts.MaxRetries = 0
	opts.DialerRetries = 1
	var id [8]byte
	_, _ = rand.Read(id[:])
	return &Store{cfg: cfg, rdb: redis.NewClient(opts), self: hex.EncodeToString(id[:])}, nil
}

// Close closes the connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping checks that Redis answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

// failed counts and logs a Redis failure; a miss (redis.Nil) is none.
func (s *Store) failed(op string, err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.RedisError(op)
	}
	now := time.Now().UnixNano()
	s.downUntil.Store(now + int64(s.cfg.Backoff))
	if last := s.lastLog.Load(); now-last >= int64(logEvery) && s.lastLog.CompareAndSwap(last, now) {
		s.cfg.Logger.Warn("redis unavailable: answering from memory and Clevertim", "op", op, "error", err.Error())
	}
	return true
}

// down says whether Redis failed less than Backoff ago: calls are then
// answered as misses without trying. Ping always tries.
func (s *Store) down() bool { return time.Now().UnixNano() < s.downUntil.Load() }

func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
}

// Keys. key is the hex of the SHA-256 of an API key: Redis never holds a
// key. The write marks are random tokens, set anew on each write; a copy
// records the marks it was fetched under and is served only while both are
// unchanged (a token, unlike a counter, never comes back after expiring).
func (s *Store) copyKey(key, resource string) string {
	return s.cfg.Prefix + "c:" + key + ":" + resource
}
func (s *Store) lockKey(key, resource string) string {
	return s.cfg.Prefix + "l:" + key + ":" + resource
}
func (s *Store) keyMark(key string) string      { return s.cfg.Prefix + "wk:" + key }
func (s *Store) resMark(resource string) string { return s.cfg.Prefix + "wr:" + resource }
func (s *Store) channel() string                { return s.cfg.Prefix + "invalidate" }

// copyExpiry: a copy older than twice the TTL is never served; a few TTLs
// leave room for clock skew between replicas.
func (s *Store) copyExpiry() time.Duration { return 4 * s.cfg.TTL }

// markExpiry outlives every copy that may have recorded the mark.
func (s *Store) markExpiry() time.Duration { return 2 * s.copyExpiry() }

// writeMarks are the write marks of a key and resource, read before a
// fetch.
type writeMarks struct{ key, resource string }

// str is a value MGET returned: a string, or nil for none ("").
func str(v any) string { x, _ := v.(string); return x }

func (s *Store) marks(ctx context.Context, key, resource string) (writeMarks, bool) {
	if s.down() {
		return writeMarks{}, false
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	vals, err := s.rdb.MGet(ctx, s.keyMark(key), s.resMark(resource)).Result()
	if s.failed("mget", err) {
		return writeMarks{}, false
	}
	return writeMarks{str(vals[0]), str(vals[1])}, true
}

// value: fetched time (unix ns), key mark, resource mark, then the JSON.
func encode(fetched time.Time, m writeMarks, raw []byte) []byte {
	head := strconv.FormatInt(fetched.UnixNano(), 10) + "\n" + m.key + "\n" + m.resource + "\n"
	return append([]byte(head), raw...)
}

func decode(v string) (time.Time, writeMarks, []byte, bool) {
	parts := strings.SplitN(v, "\n", 4)
	if len(parts) != 4 {
		return time.Time{}, writeMarks{}, nil, false
	}
	ns, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return time.Time{}, writeMarks{}, nil, false
	}
	return time.Unix(0, ns), writeMarks{parts[1], parts[2]}, []byte(parts[3]), true
}

// load returns the copy when it is younger than maxAge and no write
// touched its key or resource since it was fetched.
func (s *Store) load(ctx context.Context, key, resource string, maxAge time.Duration) ([]byte, time.Duration, bool) {
	if s.down() {
		return nil, 0, false
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	pipe := s.rdb.Pipeline()
	val := pipe.Get(ctx, s.copyKey(key, resource))
	marks := pipe.MGet(ctx, s.keyMark(key), s.resMark(resource))
	_, err := pipe.Exec(ctx)
	if s.failed("get", err) {
		return nil, 0, false
	}
	v, err := val.Result()
	if err != nil {
		return nil, 0, false
	}
	fetched, m, raw, ok := decode(v)
	if !ok {
		return nil, 0, false
	}
	cur := marks.Val()
	if m.key != str(cur[0]) || m.resource != str(cur[1]) {
		return nil, 0, false
	}
	age := max(time.Since(fetched), 0)
	if age >= maxAge {
		return nil, 0, false
	}
	return raw, age, true
}

// Fetch returns the collection resource of key, from Redis when a fresh
// copy is there, else from fetch, run by one replica at a time: the others
// wait for its copy (until the lock holder stores it, releases the lock
// without storing, or the lock expires), then fetch themselves. The copy
// fetch returns is stored unless it is over MaxValueBytes. age is the
// copy's age (0 when fetch ran).
func (s *Store) Fetch(ctx context.Context, key, resource string, fetch func(context.Context) ([]byte, error)) (
	raw []byte, age time.Duration, err error) {
	if raw, age, ok := s.load(ctx, key, resource, s.cfg.TTL); ok {
		s.lookup("hit")
		return raw, age, nil
	}
	token, held, redisUp := s.lock(ctx, key, resource)
	if !held && redisUp {
		if raw, age, ok := s.wait(ctx, key, resource); ok {
			s.lookup("waited")
			return raw, age, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
	}
	if held {
		defer s.unlock(ctx, key, resource, token)
		// The holder before us may have stored its copy between our
		// first look and our lock.
		if raw, age, ok := s.load(ctx, key, resource, s.cfg.TTL); ok {
			s.lookup("waited")
			return raw, age, nil
		}
	}
	s.lookup("miss")
	// Read before the fetch: a write during it changes them, and the copy
	// then is never served.
	m, marked := s.marks(ctx, key, resource)
	started := time.Now()
	raw, err = fetch(ctx)
	if err != nil {
		return nil, 0, err
	}
	if marked {
		s.store(ctx, key, resource, started, m, raw)
	}
	return raw, 0, nil
}

func (s *Store) lookup(result string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.SharedCacheLookup(result)
	}
}

func (s *Store) store(ctx context.Context, key, resource string, fetched time.Time, m writeMarks, raw []byte) {
	if len(raw) > s.cfg.MaxValueBytes {
		if s.cfg.Observer != nil {
			s.cfg.Observer.SharedCacheOversize()
		}
		return
	}
	if s.down() {
		return
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	s.failed("set", s.rdb.Set(ctx, s.copyKey(key, resource), encode(fetched, m, raw), s.copyExpiry()).Err())
}

func (s *Store) lock(ctx context.Context, key, resource string) (token string, held, redisUp bool) {
	if s.down() {
		return "", false, false
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	ctx, cancel := s.call(ctx)
	defer cancel()
	ok, err := s.rdb.SetNX(ctx, s.lockKey(key, resource), token, s.cfg.LockTTL).Result()
	if s.failed("lock", err) {
		return "", false, false
	}
	return token, ok, true
}

// release deletes the lock only if it is still ours: after it expired,
// another replica may hold it.
var release = redis.NewScript(`if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end return 0`)

func (s *Store) unlock(ctx context.Context, key, resource, token string) {
	if s.down() {
		return // it expires
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	s.failed("unlock", release.Run(ctx, s.rdb, []string{s.lockKey(key, resource)}, token).Err())
}

// wait polls for the lock holder's copy, bounded by ctx and the lock's
// expiry.
func (s *Store) wait(ctx context.Context, key, resource string) ([]byte, time.Duration, bool) {
	deadline := time.NewTimer(s.cfg.LockTTL)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, 0, false
		case <-deadline.C:
			return nil, 0, false
		case <-tick.C:
		}
		if raw, age, ok := s.load(ctx, key, resource, s.cfg.TTL); ok {
			return raw, age, true
		}
		if s.down() {
			return nil, 0, false
		}
		cctx, cancel := s.call(ctx)
		n, err := s.rdb.Exists(cctx, s.lockKey(key, resource)).Result()
		cancel()
		if s.failed("exists", err) {
			return nil, 0, false
		}
		if n == 0 {
			// Released: with its copy, stored before the release (and
			// perhaps after our look above), or without one (a failed or
			// oversize fetch): then we fetch ourselves.
			return s.load(ctx, key, resource, s.cfg.TTL)
		}
	}
}

// Wrote tells every replica that key wrote the record id of resource: the
// copies of key (and, with others, of resource, for every key) in Redis
// stop being served, and the other replicas' memories hear it. The message
// holds a key's hash, a type name and an id: no key, no content.
func (s *Store) Wrote(ctx context.Context, key, resource, id string, others bool) {
	// Tried even while Redis is thought down: a write is rarer than a
	// read, and a mark missed while Redis is back would let the copies
	// from before the write be served.
	ctx, cancel := s.call(ctx)
	defer cancel()
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	pipe := s.rdb.TxPipeline()
	pipe.Set(ctx, s.keyMark(key), token, s.markExpiry())
	flag := "0"
	if others {
		flag = "1"
		pipe.Set(ctx, s.resMark(resource), token, s.markExpiry())
	}
	pipe.Publish(ctx, s.channel(), s.self+"\n"+key+"\n"+resource+"\n"+flag+"\n"+id)
	_, err := pipe.Exec(ctx)
	s.failed("publish", err)
}

// Subscribe calls f for each write another replica reports, until ctx is
// done. go-redis resubscribes after a lost connection; writes published
// meanwhile are missed, which the write marks cover in Redis and the TTL in
// memory.
func (s *Store) Subscribe(ctx context.Context, f func(key, resource, id string, others bool)) {
	sub := s.rdb.Subscribe(ctx, s.channel())
	go func() {
		defer sub.Close()
		ch := sub.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case msg, ok := <-ch:
				if !ok {
					return
				}
				parts := strings.SplitN(msg.Payload, "\n", 5)
				if len(parts) != 5 || parts[0] == s.self {
					continue
				}
				f(parts[1], parts[2], parts[4], parts[3] == "1")
			}
		}
	}()
}
