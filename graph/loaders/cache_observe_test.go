package loaders

import (
	"context"
	"sync"
	"testing"
)

type countingObserver struct {
	mu                   sync.Mutex
	hits, misses, evicts int
}

func (o *countingObserver) CacheLookup(_ string, hit bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if hit {
		o.hits++
	} else {
		o.misses++
	}
}

func (o *countingObserver) CacheEvicted(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.evicts += n
}

func TestReplica_ObserverHearsLookupsAndEvictions(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	obs := &countingObserver{}
	c.Observe(obs)
	u := &upstreamOf{recs: func() []*rec { return records(3, "a") }}
	g, l, _ := through(c, key("k"), "thing", idOf, u.get, u.list)
	ctx := context.Background()
	_, _ = g(ctx, "1") // miss
	_, _ = g(ctx, "1") // hit
	_, _ = l(ctx)      // miss
	_, _ = l(ctx)      // hit
	_, _ = g(ctx, "2") // hit: in the collection
	if obs.hits != 3 || obs.misses != 2 || obs.evicts != 0 {
		t.Errorf("hits %d misses %d evictions %d, want 3, 2, 0", obs.hits, obs.misses, obs.evicts)
	}
	// Room for one collection: a second key's evicts the first.
	c.maxBytes = c.Bytes()
	v := &upstreamOf{recs: func() []*rec { return records(3, "b") }}
	_, l2, _ := through(c, key("k2"), "thing", idOf, v.get, v.list)
	_, _ = l2(ctx)
	if obs.evicts == 0 {
		t.Error("no eviction heard")
	}
}
