package loaders

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// Fetching records by id or the whole collection: Clevertim has no batch
// read, so n records cost n requests by id, or one request for every record
// the key may see. Which is faster depends on the collection's size, which
// only a full read shows (Stats remembers it per key and resource), and on
// the link: its round trip and throughput, learned from the requests sent
// (upstream.Link).
//
// n GETs by id take ceil(n / parallel) round trips, parallel being the
// batch's concurrency within the key's; the collection takes one round
// trip and its bytes at the link's throughput. Before a full read has shown
// the collection's size, it is guessed as large as the key's largest
// collection read (Stats.guess); before any, n ids go by id up to
// ListThreshold (two rounds): past it, the collection is read once, and its
// size decides from then on.

// requestOverhead is what one more request costs beyond its record, in
// bytes: the request and response headers and the envelope, some 300 bytes
// each way over HTTP/1.1. It biases the choice towards fewer requests when
// the times are close.
const requestOverhead = 640

// budgetHeadroom is how many requests of the operation's budget a batch by
// id leaves unspent, so that the levels after it can still read their
// collections whole.
const budgetHeadroom = 8

// Stats keeps, per API key (hashed) and resource, what the last full read of
// the collection showed. It is shared by every request, so that a request
// that never read the collection can still tell that 15 notes out of 150,000
// are 15 small GETs, not 55 MB. Bounded: an evicted entry only makes the
// next decision fall back to the rule for an unknown size.
type Stats struct {
	sizes *lru.Cache[statsKey, collectionSize]
	// read is, per key, the last size of each collection it read whole
	// (small resources aside): the largest of them is the guess for a
	// collection it has not read (guess). At most one entry per resource.
	// mu orders the updates of a key's map.
	mu   sync.Mutex
	read *lru.Cache[[sha256.Size]byte, map[string]collectionSize]
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
	l, err := lru.New[[sha256.Size]byte, map[string]collectionSize](maxStats)
	if err != nil {
		panic(err)
	}
	return &Stats{sizes: c, read: l}
}

func (s *Stats) get(k statsKey) (collectionSize, bool) {
	if s == nil {
		return collectionSize{}, false
	}
	return s.sizes.Get(k)
}

// knowledge is how much is known of a collection's size.
type knowledge int

const (
	unknown knowledge = iota
	guessed           // from the key's largest collection
	known             // from its own last full read
)

// guess is the size of a collection: what its last full read showed, or,
// before one, the size of the key's largest collection read. An account's
// collections grow together: on an account whose contacts are 30 MB, a
// notes collection never read is not assumed small enough to fetch whole
// for 100 notes.
func (s *Stats) guess(k statsKey) (collectionSize, knowledge) {
	if s == nil {
		return collectionSize{}, unknown
	}
	if size, ok := s.get(k); ok {
		return size, known
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if read, ok := s.read.Get(k.key); ok && len(read) > 0 {
		var largest collectionSize
		for _, size := range read {
			if size.bytes > largest.bytes {
				largest = size
			}
		}
		return largest, guessed
	}
	return collectionSize{}, unknown
}

// put records a full read; small resources (users, groups...) do not
// count towards the key's largest.
func (s *Stats) put(k statsKey, size collectionSize, small bool) {
	if s == nil {
		return
	}
	s.sizes.Add(k, size)
	if small {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	read, ok := s.read.Get(k.key)
	if !ok {
		read = make(map[string]collectionSize, 4)
		s.read.Add(k.key, read)
	}
	read[k.resource] = size
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

// costModel is what one batch's choices cost in time.
type costModel struct {
	link upstream.LinkModel
	// parallel is how many GETs by id one batch has in flight: its own
	// bound, within the key's.
	parallel int
}

func (o Options) model() costModel {
	parallel := o.Concurrency
	if o.KeyConcurrency > 0 {
		parallel = min(parallel, o.KeyConcurrency)
	}
	return costModel{link: o.Link.Model(), parallel: max(parallel, 1)}
}

// byID is the time of n GETs by id of records of perRecord bytes.
func (m costModel) byID(n int, perRecord int64) time.Duration {
	rounds := (n + m.parallel - 1) / m.parallel
	return time.Duration(rounds)*m.link.RTT + m.transfer(int64(n)*(perRecord+requestOverhead))
}

// whole is the time of one read of a collection of that many bytes.
func (m costModel) whole(bytes int64) time.Duration {
	return m.link.RTT + m.transfer(bytes+requestOverhead)
}

func (m costModel) transfer(bytes int64) time.Duration {
	return time.Duration(float64(bytes) / m.link.BytesPerSecond * float64(time.Second))
}

// estimate is what n records of a collection of that size cost by id and
// whole; of an unknown size, the round trips only.
func (o Options) estimate(n int, size collectionSize, k knowledge) (byID, whole time.Duration) {
	m := o.model()
	if k == unknown || size.count == 0 {
		return m.byID(n, 0), m.whole(0)
	}
	return m.byID(n, size.bytes/int64(size.count)), m.whole(size.bytes)
}

// cheaperByID decides for n ids: by id when that is faster than the
// collection; while the size is unknown, up to ListThreshold. A guessed
// size only ever sends more ids by id: reading a collection on a guess
// would bet the account's bytes (and, with the replica, records it holds
// by id already) on it. An empty collection answers everything in one
// request. after is how many round trips must pass before the ids are known
// (their parents' levels), for a collection that would start now and run
// alongside them: 0 for a batch, whose ids are in hand.
func (o Options) cheaperByID(n int, size collectionSize, k knowledge, after int) bool {
	if k != known && n <= o.ListThreshold {
		return true
	}
	if k == unknown {
		return false
	}
	if size.count == 0 {
		return false
	}
	byID, whole := o.estimate(n, size, k)
	return time.Duration(after)*o.model().link.RTT+byID < whole
}

// reserve sets n requests of the operation's budget aside for a batch by
// id (upstream.Reserve); false when the budget does not leave them, and the
// batch should read the collection instead. Options with a negative Budget
// ignore the budget here (and let the tracker refuse what is over).
func (o Options) reserve(ctx context.Context, n int) (context.Context, func(), bool) {
	if o.Budget < 0 {
		return ctx, func() {}, true
	}
	return upstream.Reserve(ctx, n, budgetHeadroom)
}
