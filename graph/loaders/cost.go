package loaders

import (
	"crypto/sha256"
	"encoding/json"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Fetching records by id or the whole collection: Clevertim has no batch
// read, so n records cost n requests by id, or one request for every record
// the key may see. Which is cheaper depends on the collection's size, which
// only a full read shows; Stats remembers it per key and resource.

// requestOverhead is what one more request costs beyond its record, in
// bytes: the request and response headers, the envelope, and a share of a
// round trip's latency. It biases the choice towards fewer requests when
// the bytes are close.
const requestOverhead = 2048

// Stats keeps, per API key (hashed) and resource, what the last full read of
// the collection showed. It is shared by every request, so that a request
// that never read the collection can still tell that 15 notes out of 150,000
// are 15 small GETs, not 55 MB. Bounded: an evicted entry only makes the
// next decision fall back to the rule for an unknown size.
type Stats struct {
	sizes *lru.Cache[statsKey, collectionSize]
}

type statsKey struct {
	key      [sha256.Size]byte
	resource string
}

// collectionSize is what a full read of a collection returned.
type collectionSize struct {
	count int
	bytes int64 // JSON bytes of the records
}

// maxStats bounds the entries: 13 resources for some 5,000 keys, about
// 300 KB.
const maxStats = 65536

// NewStats returns an empty Stats.
func NewStats() *Stats {
	c, err := lru.New[statsKey, collectionSize](maxStats)
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return &Stats{sizes: c}
}

func (s *Stats) get(k statsKey) (collectionSize, bool) {
	if s == nil {
		return collectionSize{}, false
	}
	return s.sizes.Get(k)
}

func (s *Stats) put(k statsKey, size collectionSize) {
	if s != nil {
		s.sizes.Add(k, size)
	}
}

// measure estimates the JSON bytes of recs from an evenly spaced sample:
// marshalling 150,000 notes to learn their size would cost more than the
// decision saves.
func measure[T any](recs []*T) collectionSize {
	const sample = 64
	size := collectionSize{count: len(recs)}
	if len(recs) == 0 {
		return size
	}
	step := max(len(recs)/sample, 1)
	var bytes, seen int64
	for i := 0; i < len(recs); i += step {
		raw, err := json.Marshal(recs[i])
		if err != nil {
			continue
		}
		bytes += int64(len(raw))
		seen++
	}
	if seen > 0 {
		size.bytes = bytes * int64(len(recs)) / seen
	}
	return size
}

// byIDBound is the most ids one batch fetches one by one: two rounds of the
// batch's concurrency, and at most half the operation's upstream budget, so
// that one level cannot spend what the rest of the query needs.
func (o Options) byIDBound() int {
	bound := o.ListThreshold
	if o.Budget > 0 {
		bound = min(bound, o.Budget/2)
	}
	return bound
}

// cheaperByID decides for n ids: by id when they fit the bound, and, once a
// full read of the collection is known, when n requests cost fewer bytes
// than the collection (each record's average size plus requestOverhead). An
// unknown size is fetched by id up to the bound.
func (o Options) cheaperByID(n int, size collectionSize, known bool) bool {
	if n > o.byIDBound() {
		return false
	}
	if !known {
		return true
	}
	if size.count == 0 {
		return false // an empty collection answers everything in one request
	}
	perRecord := size.bytes / int64(size.count)
	return int64(n)*(perRecord+requestOverhead) < size.bytes
}
