package rediscache

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// APQExpiry is how long a registered persisted query stays in Redis
// without being used; each use renews it.
const APQExpiry = 24 * time.Hour

// APQ is gqlgen's automatic persisted query cache in Redis, behind this
// replica's own: a hash registered on one replica is known on all, and
// with Redis down each replica still knows what it saw.
type APQ struct {
	store    *Store
	local    graphql.Cache[string]
	maxBytes int
}

// NewAPQ keeps queries up to maxBytes long (the request body limit: a
// longer one never arrived whole) in Redis, and in local.
func (s *Store) NewAPQ(local graphql.Cache[string], maxBytes int) *APQ {
	return &APQ{store: s, local: local, maxBytes: maxBytes}
}

func (a *APQ) key(hash string) string { return a.store.cfg.Prefix + "apq:" + hash }

// Get looks locally, then in Redis.
func (a *APQ) Get(ctx context.Context, hash string) (string, bool) {
	if q, ok := a.local.Get(ctx, hash); ok {
		return q, true
	}
	if !sha256Hex(hash) || a.store.down() {
		// The caller chose it: no odd Redis keys.
		return "", false
	}
	cctx, cancel := a.store.call(ctx)
	defer cancel()
	q, err := a.store.rdb.GetEx(cctx, a.key(hash), APQExpiry).Result()
	if a.store.failed("apq_get", err) || err != nil || len(q) > a.maxBytes {
		return "", false
	}
	a.local.Add(ctx, hash, q)
	return q, true
}

// Add registers a query gqlgen has checked against its hash.
func (a *APQ) Add(ctx context.Context, hash, query string) {
	a.local.Add(ctx, hash, query)
	if len(query) > a.maxBytes || a.store.down() {
		return
	}
	cctx, cancel := a.store.call(ctx)
	defer cancel()
	a.store.failed("apq_set", a.store.rdb.Set(cctx, a.key(hash), query, APQExpiry).Err())
}

func sha256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
