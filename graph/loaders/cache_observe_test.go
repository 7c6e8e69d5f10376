package loaders

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
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

func TestCache_ObserverHearsLookupsAndEvictions(t *testing.T) {
	t.Parallel()
	c := NewCache(time.Minute, 3)
	obs := &countingObserver{}
	c.Observe(obs)
	get := func(_ context.Context, id clevertim.ID) (*rec, error) { return &rec{id}, nil }
	list := func(context.Context) ([]*rec, error) { return []*rec{{"1"}}, nil }
	g, l, _ := cachedFetches(c, clevertim.KeyHash{1}, "thing", func(r *rec) clevertim.ID { return r.id }, get, list)
	ctx := context.Background()
	_, _ = g(ctx, "1") // miss
	_, _ = g(ctx, "1") // hit
	_, _ = l(ctx)      // miss
	_, _ = l(ctx)      // hit
	_, _ = g(ctx, "2") // miss; 3 entries now
	_, _ = g(ctx, "3") // miss; full: the least recently used entry goes
	if obs.hits != 2 || obs.misses != 4 || obs.evicts != 1 {
		t.Errorf("hits %d misses %d evictions %d, want 2, 4, 1", obs.hits, obs.misses, obs.evicts)
	}
}
