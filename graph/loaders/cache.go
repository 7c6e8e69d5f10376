package loaders

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// Cache keeps what upstream reads returned, across requests, for a short
// time. It is opt-in: a deployment that accepts reads up to TTL old trades
// freshness for fewer upstream requests. Entries are keyed by API key, so one
// key's records never answer another key's request. Every write through the
// facade empties it for every key, since one user's write changes what the
// others see; writes made elsewhere (Clevertim's own UI) show after TTL.
type Cache struct {
	ttl        time.Duration
	maxEntries int
	now        func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by Invalidate, so fetches started before it are not stored
	entries map[cacheKey]cacheEntry

	observer CacheObserver // see Observe
}

type cacheKey struct {
	key      [sha256.Size]byte // of the API key: the cache holds no keys
	resource string
	id       clevertim.ID // empty for a whole collection
}

type cacheEntry struct {
	value   any
	expires time.Time
}

// NewCache returns a cache whose entries live for ttl. A zero or negative
// ttl returns nil: no caching.
func NewCache(ttl time.Duration, maxEntries int) *Cache {
	if ttl <= 0 {
		return nil
	}
	if maxEntries <= 0 {
		maxEntries = 100_000
	}
	return &Cache{ttl: ttl, maxEntries: maxEntries, now: time.Now, entries: map[cacheKey]cacheEntry{}}
}

func (c *Cache) get(k cacheKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || c.now().After(e.expires) {
		return nil, false
	}
	return e.value, true
}

// generation is read before a fetch and given back to put.
func (c *Cache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *Cache) put(k cacheKey, v any, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // a write happened while this was fetched: it may be stale
	}
	if len(c.entries) >= c.maxEntries {
		before := len(c.entries)
		now := c.now()
		for key, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.maxEntries {
			clear(c.entries)
		}
		c.evicted(before - len(c.entries))
	}
	c.entries[k] = cacheEntry{value: v, expires: c.now().Add(c.ttl)}
}

// Invalidate empties the cache for every key.
func (c *Cache) Invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// Len is the number of entries, expired ones included.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// cachedCollection is a fetched list with its index by id, as a request
// uses it and as the cache keeps it. It is read only once built.
type cachedCollection[T any] struct {
	recs []*T
	byID map[clevertim.ID]*T
}

// through wraps a resource's fetches with the cache, and returns peek, which
// answers from the cache alone (nil without a cache). A cached collection
// also answers gets by id.
func through[T any](c *Cache, apiKey, resource string, idOf func(*T) clevertim.ID,
	get func(context.Context, clevertim.ID) (*T, error), list func(context.Context) ([]*T, error)) (
	func(context.Context, clevertim.ID) (*T, error), func(context.Context) (*cachedCollection[T], error), func(clevertim.ID) (*T, bool)) {
	indexed := func(ctx context.Context) (*cachedCollection[T], error) {
		recs, err := list(ctx)
		if err != nil {
			return nil, err
		}
		byID := make(map[clevertim.ID]*T, len(recs))
		for _, r := range recs {
			byID[idOf(r)] = r
		}
		return &cachedCollection[T]{recs: recs, byID: byID}, nil
	}
	if c == nil {
		return get, indexed, nil
	}
	hash := sha256.Sum256([]byte(apiKey))
	all := cacheKey{key: hash, resource: resource}
	peek := func(id clevertim.ID) (*T, bool) {
		if v, ok := c.get(all); ok {
			if rec, ok := v.(*cachedCollection[T]).byID[id]; ok {
				return rec, true
			}
		}
		if v, ok := c.get(cacheKey{key: hash, resource: resource, id: id}); ok {
			return v.(*T), true
		}
		return nil, false
	}
	cachedGet := func(ctx context.Context, id clevertim.ID) (*T, error) {
		rec, ok := peek(id)
		c.lookup(resource, ok)
		if ok {
			return rec, nil
		}
		one := cacheKey{key: hash, resource: resource, id: id}
		gen := c.generation()
		rec, err := get(ctx, id)
		if err == nil {
			c.put(one, rec, gen)
		}
		return rec, err
	}
	cachedList := func(ctx context.Context) (*cachedCollection[T], error) {
		v, ok := c.get(all)
		c.lookup(resource, ok)
		if ok {
			return v.(*cachedCollection[T]), nil
		}
		gen := c.generation()
		coll, err := indexed(ctx)
		if err == nil {
			c.put(all, coll, gen)
		}
		return coll, err
	}
	return cachedGet, cachedList, peek
}
