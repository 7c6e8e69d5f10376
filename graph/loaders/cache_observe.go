package loaders

// CacheObserver hears what the cross-request cache does, for metrics.
type CacheObserver interface {
	// CacheLookup is a read of resource answered from the cache (hit) or
	// sent upstream (miss).
	CacheLookup(resource string, hit bool)
	// CacheEvicted is n live or expired entries dropped to stay in bounds.
	CacheEvicted(n int)
}

// Observe reports the cache's lookups and evictions to o. Call it before
// the cache is used.
func (c *Cache) Observe(o CacheObserver) { c.observer = o }

func (c *Cache) lookup(resource string, hit bool) {
	if c.observer != nil {
		c.observer.CacheLookup(resource, hit)
	}
}

func (c *Cache) evicted(n int) {
	if c.observer != nil && n > 0 {
		c.observer.CacheEvicted(n)
	}
}
