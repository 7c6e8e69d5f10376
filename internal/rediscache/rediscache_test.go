package rediscache

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/lru"

	"github.com/clevertim-graphql/clevertim-graphql/internal/rediscache/redistest"
)

type counts struct{ errors, oversize atomic.Int64 }

func (c *counts) RedisError(string)        { c.errors.Add(1) }
func (c *counts) SharedCacheLookup(string) {}
func (c *counts) SharedCacheOversize()     { c.oversize.Add(1) }
func newStore(t *testing.T, url string, cfg Config) (*Store, *counts) {
	t.Helper()
	c := &counts{}
	cfg.URL, cfg.Observer = url, c
	if cfg.TTL == 0 {
		cfg.TTL = time.Hour
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, c
}

// A holder that crashed (its lock never released) delays the others only
// until the lock expires; then they fetch themselves.
func TestFetch_CrashedHolderBlocksOnlyUntilTheLockExpires(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	crashed, _ := newStore(t, rs.URL(), Config{LockTTL: 300 * time.Millisecond})
	if _, held, up := crashed.lock(t.Context(), "k", "r"); !held || !up {
		t.Fatal("the first lock was not taken")
	}
	other, _ := newStore(t, rs.URL(), Config{LockTTL: time.Hour})
	var fetches atomic.Int64
	raw, _, err := other.Fetch(t.Context(), "k", "r", func(context.Context) ([]byte, error) {
		fetches.Add(1)
		return []byte(`[1]`), nil
	})
	if err != nil || string(raw) != "[1]" || fetches.Load() != 1 {
		t.Errorf("after the lock expired: %q, %v, %d fetches", raw, err, fetches.Load())
	}
	// And the operation's deadline bounds the wait on a lock that stays.
	crashed.cfg.LockTTL = time.Hour
	if _, held, _ := crashed.lock(t.Context(), "k", "s"); !held {
		t.Fatal("the second lock was not taken")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, _, err := other.Fetch(ctx, "k", "s", func(context.Context) ([]byte, error) { return []byte(`[]`), nil }); err == nil {
		t.Error("a wait past the operation's deadline did not end with it")
	}
}

// A collection over MaxValueBytes is served but not stored, and counted.
func TestFetch_OversizeIsNotStored(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	s, c := newStore(t, rs.URL(), Config{MaxValueBytes: 10})
	big := []byte(`["` + strings.Repeat("x", 20) + `"]`)
	var fetches atomic.Int64
	fetch := func(context.Context) ([]byte, error) { fetches.Add(1); return big, nil }
	for range 2 {
		if raw, _, err := s.Fetch(t.Context(), "k", "r", fetch); err != nil || string(raw) != string(big) {
			t.Fatalf("%q %v", raw, err)
		}
	}
	if fetches.Load() != 2 || c.oversize.Load() != 2 {
		t.Errorf("%d fetches, %d counted oversize; want 2 and 2", fetches.Load(), c.oversize.Load())
	}
}

// Hashes a caller sends are looked up in Redis only when they are SHA-256
// hex, and queries over the bound are not stored.
func TestAPQ_Bounds(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	s, _ := newStore(t, rs.URL(), Config{})
	other, _ := newStore(t, rs.URL(), Config{})
	a, b := s.NewAPQ(lru.New[string](10), 20), other.NewAPQ(lru.New[string](10), 20)
	const hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	a.Add(t.Context(), hash, "{ short }")
	a.Add(t.Context(), strings.Replace(hash, "0", "1", 1), "{ "+strings.Repeat("x", 30)+" }")
	if q, ok := b.Get(t.Context(), hash); !ok || q != "{ short }" {
		t.Errorf("a short query: %q %v", q, ok)
	}
	if _, ok := b.Get(t.Context(), strings.Replace(hash, "0", "1", 1)); ok {
		t.Error("a query over the bound crossed")
	}
	n, err := s.rdb.DBSize(t.Context()).Result()
	if err != nil || n != 1 {
		t.Errorf("Redis holds %d keys (%v); want 1", n, err)
	}
	// A caller's odd "hash" never names a Redis key, even one that exists.
	if err := s.rdb.Set(t.Context(), "cgql:apq:odd", "{ odd }", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Get(t.Context(), "odd"); ok {
		t.Error("an odd hash was looked up")
	}
}

// A hung Redis (its calls time out) is left alone for Backoff after a
// failure: many reads cost one timeout, not one each; and a write still
// tries.
func TestStore_HungRedisIsLeftAloneForTheBackoff(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	s, c := newStore(t, rs.URL(), Config{Backoff: time.Hour, Timeout: 50 * time.Millisecond})
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	rs.Pause()
	defer rs.Resume()
	var fetches atomic.Int64
	for range 20 {
		raw, _, err := s.Fetch(t.Context(), "k", "r", func(context.Context) ([]byte, error) { fetches.Add(1); return []byte(`[]`), nil })
		if err != nil || string(raw) != "[]" {
			t.Fatalf("%q %v", raw, err)
		}
	}
	if fetches.Load() != 20 || c.errors.Load() != 1 {
		t.Errorf("20 reads with Redis hung: %d fetches, %d Redis errors; want 20 and 1", fetches.Load(), c.errors.Load())
	}
	s.Wrote(t.Context(), "k", "r", "1", true)
	if c.errors.Load() != 2 {
		t.Errorf("a write during the backoff was not tried: %d errors", c.errors.Load())
	}
}
