package loaders

// CacheObserver hears what the replica does, for metrics.
type CacheObserver interface {
	// CacheLookup is a read of resource answered from the replica (hit,
	// fresh or stale) or sent upstream (miss).
	CacheLookup(resource string, hit bool)
	// CacheEvicted is n collections or records dropped to stay within
	// -cache-max-bytes.
	CacheEvicted(n int)
}

// Observe reports the replica's lookups and evictions to o. Call it before
// the replica is used.
func (c *Replica) Observe(o CacheObserver) { c.observer = o }

func (c *Replica) looked(resource string, hit bool) {
	if c.observer != nil {
		c.observer.CacheLookup(resource, hit)
	}
}

func (c *Replica) evicted(n int) {
	if c.observer != nil && n > 0 {
		c.observer.CacheEvicted(n)
	}
}
