package loaders

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// Cache keeps what upstream reads returned, across requests, for a short
// time. It is opt-in: a deployment that accepts reads up to TTL old trades
// freshness for fewer upstream requests. Entries are keyed by API key, so one
// key's records never answer another key's request. Every write through the
// facade empties it for every key, since one user's write changes what the
// others see; writes made elsewhere (Clevertim's own UI) show after TTL.
//
// When full, the least recently used entry goes. Entries carry their expiry
// and are ignored once past it, until pushed out: hashicorp's expirable LRU
// would drop them on time, but runs a goroutine per cache that never stops.
type Cache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by Invalidate, so fetches started before it are not stored
	entries *lru.Cache[cacheKey, cacheEntry]

	observer CacheObserver // see Observe
}

type cacheKey struct {
	key      clevertim.KeyHash // the cache holds no API keys
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
	entries, err := lru.New[cacheKey, cacheEntry](maxEntries)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &Cache{ttl: ttl, now: time.Now, entries: entries}
}

func (c *Cache) get(k cacheKey) (any, bool) {
	e, ok := c.entries.Get(k)
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
	if c.entries.Add(k, cacheEntry{value: v, expires: c.now().Add(c.ttl)}) {
		c.evicted(1)
	}
}

// Invalidate empties the cache for every key.
func (c *Cache) Invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries.Purge()
}

// Len is the number of entries, expired ones included.
func (c *Cache) Len() int { return c.entries.Len() }

// cachedCollection is a fetched list with its index by id, as a request
// uses it and as the cache keeps it. It is read only once built.
type cachedCollection[T any] struct {
	recs []*T
	byID map[clevertim.ID]*T
}

// cachedFetches wraps a resource's fetches with the cache, and returns peek,
// which answers from the cache alone (nil without a cache). A cached
// collection also answers gets by id. key identifies the API key the
// fetches act as.
func cachedFetches[T any](c *Cache, key clevertim.KeyHash, resource string, idOf func(*T) clevertim.ID,
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
	all := cacheKey{key: key, resource: resource}
	peek := func(id clevertim.ID) (*T, bool) {
		if v, ok := c.get(all); ok {
			if rec, ok := v.(*cachedCollection[T]).byID[id]; ok {
				return rec, true
			}
		}
		if v, ok := c.get(cacheKey{key: key, resource: resource, id: id}); ok {
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
		one := cacheKey{key: key, resource: resource, id: id}
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
