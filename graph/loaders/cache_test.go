package loaders

import (
	"context"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

type rec struct{ id clevertim.ID }

func TestCache_ExpiryKeysAndGenerations(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	c := NewCache(time.Minute, 0)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	calls := 0
	get := func(_ context.Context, id clevertim.ID) (*rec, error) { calls++; return &rec{id}, nil }
	list := func(context.Context) ([]*rec, error) { calls++; return []*rec{{"1"}, {"2"}}, nil }
	idOf := func(r *rec) clevertim.ID { return r.id }
	keyA, keyB := clevertim.KeyHash{'a'}, clevertim.KeyHash{'b'}
	aGet, aList, _ := cachedFetches(c, keyA, "thing", idOf, get, list)
	bGet, _, _ := cachedFetches(c, keyB, "thing", idOf, get, list)

	_, _ = aGet(ctx, "7")
	_, _ = aGet(ctx, "7")
	if calls != 1 {
		t.Fatalf("repeat get: %d upstream calls, want 1", calls)
	}
	_, _ = bGet(ctx, "7")
	if calls != 2 {
		t.Fatalf("another key was served from the first key's entry (%d calls)", calls)
	}
	if coll, err := aList(ctx); err != nil || len(coll.recs) != 2 || coll.byID["2"] == nil {
		t.Fatalf("list: %+v %v", coll, err)
	}
	_, _ = aGet(ctx, "2") // answered by the cached collection
	if calls != 3 {
		t.Fatalf("get after list: %d calls, want 3", calls)
	}
	now = now.Add(61 * time.Second)
	_, _ = aGet(ctx, "7")
	if calls != 4 {
		t.Fatalf("expired entry served (%d calls)", calls)
	}
	// A fetch that overlaps an invalidation is not stored.
	slow := func(_ context.Context, id clevertim.ID) (*rec, error) { calls++; c.Invalidate(); return &rec{id}, nil }
	sGet, _, _ := cachedFetches(c, keyA, "other", idOf, slow, list)
	_, _ = sGet(ctx, "9")
	_, _ = sGet(ctx, "9")
	if calls != 6 {
		t.Fatalf("a read that raced a write was cached (%d calls)", calls)
	}
	c.Invalidate()
	if c.Len() != 0 {
		t.Fatal("invalidate left entries")
	}
	if NewCache(0, 0) != nil {
		t.Fatal("a zero TTL made a cache")
	}
}

// TestCache_Bounded: a full cache drops its least recently used entries,
// not everything.
func TestCache_Bounded(t *testing.T) {
	t.Parallel()
	c := NewCache(time.Minute, 10)
	calls := 0
	get := func(_ context.Context, id clevertim.ID) (*rec, error) { calls++; return &rec{id}, nil }
	g, _, _ := cachedFetches(c, clevertim.KeyHash{}, "thing", func(r *rec) clevertim.ID { return r.id }, get, nil)
	for i := range 11 {
		_, _ = g(context.Background(), clevertim.IDFromInt(int64(i)))
	}
	if c.Len() > 10 {
		t.Fatalf("%d entries, bound 10", c.Len())
	}
	calls = 0
	for i := 1; i <= 10; i++ {
		_, _ = g(context.Background(), clevertim.IDFromInt(int64(i)))
	}
	if calls != 0 {
		t.Errorf("%d of the 10 latest entries were dropped", calls)
	}
}
