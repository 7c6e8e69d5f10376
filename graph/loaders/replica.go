package loaders

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"reflect"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// Replica keeps, per API key, the collections Clevertim returned to that
// key, across requests, behind -cache-ttl (the staleness bound):
//
//   - A collection younger than the TTL is served as is. Older, the copy in
//     hand is served and one background refresh starts (single flight); a
//     read waits only when the copy is older than twice the TTL, or absent.
//     Concurrent misses of one key and resource share one fetch.
//   - A write through the facade replaces the record in the writer's copy
//     with what Clevertim returned, and the parents whose id lists it
//     changes are read again by id (Reread); other keys' copies lose that
//     record (their visibility of the new version may differ): by id it is
//     fetched for them, lists miss it until their next refresh. No key's
//     cache is emptied.
//   - Records that several keys were sent byte for byte alike are stored
//     once, addressed by a hash of their JSON; each key's copy holds
//     pointers. A key is only answered from what Clevertim returned to it.
//   - Memory is bounded in bytes: a record counts its JSON bytes once
//     however many keys hold it, plus recordOverhead per key holding it;
//     past maxBytes the least recently used collections, across keys, go.
type Replica struct {
	ttl      time.Duration
	maxBytes int64
	now      func() time.Time
	flights  *upstream.Flights
	observer CacheObserver // see Observe
	remote   SharedStore   // see Share

	mu      sync.Mutex
	lru     *list.List // of *replicaEntry, most recently used first
	entries map[entryKey]*list.Element
	bytes   int64
	shared  map[[sha256.Size]byte]*sharedRecord
	// digestOf finds a stored record's digest from its pointer, so that a
	// key's copy holds pointers only.
	digestOf map[any][sha256.Size]byte
	// writes numbers the writes through the facade; lastWrite is, per entry
	// a write touched, the number of the latest, so that a fetch that
	// started before a write does not overwrite it. lastWrite is bounded:
	// what it forgets is covered by forgotten, the latest write it dropped.
	writes    uint64
	lastWrite *lru.Cache[entryKey, uint64]
	forgotten uint64
	// remoteWrites counts the other processes' writes applied (Share).
	remoteWrites uint64
}

// entryKey names one key's collection of one resource, or one record read
// by id when id is set.
type entryKey struct {
	key      [sha256.Size]byte // of the API key: the replica holds no keys
	resource reflect.Type
	id       clevertim.ID
}

type replicaEntry struct {
	k          entryKey
	value      any // *Snapshot[T], or *T for one record
	fetched    time.Time
	bytes      int64
	refreshing bool
	expired    bool // must be read again before it is served
}

type sharedRecord struct {
	rec  any
	refs int
	size int64
}

// recordOverhead is what a key's copy costs per record besides the record:
// its pointer in the list and its place in the id index.
const recordOverhead = 48

// DefaultReplicaBytes suits a 2-core, 4 GB container: the heap the replica
// takes is about 2.2 times what it counts (decoded records are larger than
// their JSON; indexes and content addresses), and the garbage collector
// lets the heap grow to twice the live data.
const DefaultReplicaBytes = 512 << 20

// NewReplica returns a replica whose copies are fresh for ttl, holding at
// most maxBytes (DefaultReplicaBytes when zero or negative), sharing its
// fetches in flight through flights (its own when nil). A zero or negative
// ttl returns nil: no replica.
func NewReplica(ttl time.Duration, maxBytes int64, flights *upstream.Flights) *Replica {
	if ttl <= 0 {
		return nil
	}
	if maxBytes <= 0 {
		maxBytes = DefaultReplicaBytes
	}
	if flights == nil {
		flights = upstream.NewFlights()
	}
	c := &Replica{ttl: ttl, maxBytes: maxBytes, now: time.Now, lru: list.New(), flights: flights,
		entries: map[entryKey]*list.Element{}, shared: map[[sha256.Size]byte]*sharedRecord{},
		digestOf: map[any][sha256.Size]byte{},
	}
	// Evictions happen inside Add, under c.mu.
	c.lastWrite, _ = lru.NewWithEvict(maxStats, func(_ entryKey, seq uint64) { c.forgotten = max(c.forgotten, seq) })
	return c
}

// Bytes is what the replica holds, as it counts it.
func (c *Replica) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Len is the number of entries.
func (c *Replica) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// freshness is what a read may do with an entry.
type freshness int

const (
	absent freshness = iota // or expired, or older than twice the TTL: wait
	stale                   // serve it, refresh in the background
	fresh
)

// lookup returns an entry's value and what may be done with it, and marks
// it used.
func (c *Replica) lookup(k entryKey) (any, freshness) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return nil, absent
	}
	e := el.Value.(*replicaEntry)
	c.lru.MoveToFront(el)
	age := c.now().Sub(e.fetched)
	switch {
	case e.expired || age > 2*c.ttl:
		return nil, absent
	case age > c.ttl:
		return e.value, stale
	}
	return e.value, fresh
}

// expire makes the next read of k wait for a fresh copy.
func (c *Replica) expire(k entryKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		el.Value.(*replicaEntry).expired = true
	}
	c.touched(k)
}

// holds reports whether k is kept.
func (c *Replica) holds(k entryKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.entries[k]
	return ok
}

// epoch is the write count a fetch starts at, for store.
func (c *Replica) epoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// lastWritten is the number of the latest write that touched k. Called with
// c.mu held.
func (c *Replica) lastWritten(k entryKey) uint64 {
	if seq, ok := c.lastWrite.Peek(k); ok {
		return seq
	}
	return c.forgotten
}

// touched records a write to k. Called with c.mu held.
func (c *Replica) touched(k entryKey) { c.lastWrite.Add(k, c.writes) }

// startRefresh reports whether the caller should refresh k: only one
// refresh of an entry runs at a time.
func (c *Replica) startRefresh(k entryKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[k]
	if !ok {
		return false
	}
	e := el.Value.(*replicaEntry)
	if e.refreshing {
		return false
	}
	e.refreshing = true
	return true
}

func (c *Replica) endRefresh(k entryKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		el.Value.(*replicaEntry).refreshing = false
	}
}

// digest addresses a record by its resource and JSON bytes.
func digest(resource reflect.Type, raw []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(resource.String()))
	h.Write([]byte{0})
	h.Write(raw)
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// intern returns the stored record equal byte for byte to rec, storing rec
// when there is none, and counts one more holder. Called with c.mu held.
func (c *Replica) intern(d [sha256.Size]byte, rec any, size int64) any {
	if s, ok := c.shared[d]; ok {
		s.refs++
		return s.rec
	}
	c.shared[d] = &sharedRecord{rec: rec, refs: 1, size: size}
	c.digestOf[rec] = d
	c.bytes += size
	return rec
}

// unhold drops one hold on a stored record. Called with c.mu held.
func (c *Replica) unhold(rec any) {
	d, ok := c.digestOf[rec]
	if !ok {
		return
	}
	s := c.shared[d]
	if s.refs--; s.refs == 0 {
		delete(c.shared, d)
		delete(c.digestOf, rec)
		c.bytes -= s.size
	}
}

// holder is a value whose records an entry holds: a snapshot.
type holder interface{ eachRecord(func(any)) }

func (s *Snapshot[T]) eachRecord(f func(any)) {
	for _, r := range s.recs {
		f(r)
	}
}

// release drops an entry's holds on its records. Called with c.mu held.
func (c *Replica) release(e *replicaEntry) {
	if h, ok := e.value.(holder); ok {
		h.eachRecord(c.unhold)
	} else if e.value != nil {
		c.unhold(e.value)
	}
	c.bytes -= e.bytes
}

// store keeps an entry unless a write touched it since epoch, then evicts
// least recently used entries down to maxBytes. Called with c.mu held.
func (c *Replica) store(e *replicaEntry, epoch uint64) bool {
	// The writer's whole key counts too: a fetch of a collection it had no
	// copy of yet may have started before its write.
	if c.lastWritten(e.k) > epoch || c.lastWritten(entryKey{key: e.k.key}) > epoch {
		c.bytes += e.bytes // release takes back what was never added
		c.release(e)
		return false
	}
	if old, ok := c.entries[e.k]; ok {
		c.release(old.Value.(*replicaEntry))
		c.lru.Remove(old)
	}
	e.fetched = c.now()
	c.bytes += e.bytes
	c.entries[e.k] = c.lru.PushFront(e)
	evicted := 0
	for c.bytes > c.maxBytes && c.lru.Len() > 1 {
		last := c.lru.Back()
		old := last.Value.(*replicaEntry)
		c.lru.Remove(last)
		delete(c.entries, old.k)
		c.release(old)
		evicted++
	}
	c.evicted(evicted)
	return true
}

// storeCollection interns recs and keeps them as k's snapshot; it returns
// the snapshot to serve (made of the interned records).
func storeCollection[T any](c *Replica, k entryKey, recs []*T, idOf func(*T) clevertim.ID, epoch uint64, age time.Duration) *Snapshot[T] {
	// Marshalling and hashing happen outside the lock: they are the cost of
	// a full read, and other keys' reads must not wait for them.
	digests := make([][sha256.Size]byte, len(recs))
	sizes := make([]int64, len(recs))
	for i, r := range recs {
		raw, err := json.Marshal(r)
		if err != nil {
			// Not addressable: a digest of this key's own, so that no
			// other key is ever served it.
			raw = append(k.key[:], idOf(r)...)
		}
		digests[i] = digest(k.resource, raw)
		sizes[i] = int64(len(raw))
	}
	out := make([]*T, len(recs))
	e := &replicaEntry{k: k, bytes: int64(len(recs)) * recordOverhead}
	c.mu.Lock()
	for i, r := range recs {
		out[i] = c.intern(digests[i], r, sizes[i]).(*T)
	}
	c.mu.Unlock()
	// The index by id is built outside the lock too; the records are held
	// already, so nothing can release them meanwhile.
	snap := newSnapshot(out, idOf)
	e.value = snap
	c.mu.Lock()
	defer c.mu.Unlock()
	c.store(e, epoch)
	e.fetched = e.fetched.Add(-age) // a shared copy is as old as its fetch
	return snap
}

func storeRecord[T any](c *Replica, k entryKey, rec *T, epoch uint64) *T {
	raw, err := json.Marshal(rec)
	if err != nil {
		return rec
	}
	d := digest(k.resource, raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.intern(d, rec, int64(len(raw))).(*T)
	c.store(&replicaEntry{k: k, value: out, bytes: recordOverhead}, epoch)
	return out
}

// Snapshot is one read of a collection: its records, an index by id, and
// the indexes built on demand for it (orderings, reverse links), each built
// once. It is read only once built: a write makes a new snapshot.
type Snapshot[T any] struct {
	recs []*T
	byID map[clevertim.ID]*T
	// dropped are records another key wrote since the read: they are
	// fetched by id when asked for, and missing from lists until the
	// snapshot is refreshed.
	dropped map[clevertim.ID]bool

	mu      sync.Mutex
	indexes map[string]*snapshotIndex
}

type snapshotIndex struct {
	once sync.Once
	v    any
}

func newSnapshot[T any](recs []*T, idOf func(*T) clevertim.ID) *Snapshot[T] {
	byID := make(map[clevertim.ID]*T, len(recs))
	for _, r := range recs {
		byID[idOf(r)] = r
	}
	return &Snapshot[T]{recs: recs, byID: byID}
}

// Records are the snapshot's records, in Clevertim's order.
func (s *Snapshot[T]) Records() []*T { return s.recs }

// Index returns the snapshot's index called name, building it with build
// the first time: an ordering sorts the collection once per snapshot, not
// once per query.
func (s *Snapshot[T]) Index(name string, build func([]*T) any) any {
	s.mu.Lock()
	if s.indexes == nil {
		s.indexes = map[string]*snapshotIndex{}
	}
	ix, ok := s.indexes[name]
	if !ok {
		ix = &snapshotIndex{}
		s.indexes[name] = ix
	}
	s.mu.Unlock()
	ix.once.Do(func() { ix.v = build(s.recs) })
	return ix.v
}

// with is the snapshot with rec in place of the record of its id (added
// when absent), or without that record when rec is nil.
func (s *Snapshot[T]) with(id clevertim.ID, rec *T, idOf func(*T) clevertim.ID, dropped bool) *Snapshot[T] {
	recs := make([]*T, 0, len(s.recs)+1)
	found := false
	for _, r := range s.recs {
		if idOf(r) != id {
			recs = append(recs, r)
			continue
		}
		found = true
		if rec != nil {
			recs = append(recs, rec)
		}
	}
	if !found && rec != nil {
		recs = append(recs, rec)
	}
	out := newSnapshot(recs, idOf)
	out.dropped = maps.Clone(s.dropped)
	if dropped {
		if out.dropped == nil {
			out.dropped = map[clevertim.ID]bool{}
		}
		out.dropped[id] = true
	} else {
		delete(out.dropped, id)
	}
	return out
}

// wrote applies a write of the record id of resource by the key writer: rec
// is what Clevertim returned, nil for a delete. With others, the record is
// also dropped from other keys' copies; without, only the writer's copy
// changes (a parent read again after its id lists changed).
func wrote[T any](c *Replica, writer [sha256.Size]byte, id clevertim.ID, rec *T, idOf func(*T) clevertim.ID, others bool) {
	if c == nil {
		return
	}
	resource := reflect.TypeFor[T]()
	defer c.shareWrite(writer, resource.String(), id, others) // after the unlock below
	var raw []byte
	if rec != nil {
		raw, _ = json.Marshal(rec)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	c.touched(entryKey{key: writer})
	for k, el := range c.entries {
		e := el.Value.(*replicaEntry)
		switch {
		case k.resource != resource, !others && k.key != writer:
		case k.id != "":
			if k.id == id {
				c.forget(el)
			}
		default:
			snap := e.value.(*Snapshot[T])
			old, had := snap.byID[id]
			switch {
			case k.key == writer:
				var in *T
				if rec != nil {
					in = c.intern(digest(resource, raw), rec, int64(len(raw))).(*T)
					if !had {
						e.bytes += recordOverhead
						c.bytes += recordOverhead
					}
				} else if had {
					e.bytes -= recordOverhead
					c.bytes -= recordOverhead
				}
				if had {
					c.unhold(old)
				}
				e.value = snap.with(id, in, idOf, false)
			case had:
				// Clevertim has not said what this key sees of the new
				// version: asked for by id, it is fetched as this key;
				// lists miss it until the copy's next refresh (within the
				// TTL, as for writes made outside the facade).
				c.unhold(old)
				e.bytes -= recordOverhead
				c.bytes -= recordOverhead
				e.value = snap.with(id, nil, idOf, true)
			}
			c.touched(k)
		}
	}
}

// refreshContext is the context of a background refresh: the request's
// values (its key's client settings) without its cancellation, deadline or
// upstream tracker, which belong to a request that may already be answered.
func refreshContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx = upstream.WithTracker(context.WithoutCancel(ctx), nil)
	return context.WithTimeout(ctx, timeout)
}

// flightKey names a replica's fetch among the Flights' keys, apart from the
// URLs of the upstream reads.
func flightKey(k entryKey) string {
	return "replica\x00" + string(k.key[:]) + "\x00" + k.resource.String() + "\x00" + string(k.id)
}

// refreshTimeout bounds a background refresh, which no request waits for.
const refreshTimeout = time.Minute

// through wraps a resource's fetches with the replica, and returns peek,
// which answers from the replica alone (nil without one). Without a
// replica, each list is a snapshot of its own request.
func through[T any](c *Replica, hash [sha256.Size]byte, resource string, idOf func(*T) clevertim.ID,
	get func(context.Context, clevertim.ID) (*T, error), list func(context.Context) ([]*T, error)) (
	func(context.Context, clevertim.ID) (*T, error), func(context.Context) (*Snapshot[T], error), func(clevertim.ID) (*T, bool)) {
	if c == nil {
		return get, func(ctx context.Context) (*Snapshot[T], error) {
			recs, err := list(ctx)
			if err != nil {
				return nil, err
			}
			return newSnapshot(recs, idOf), nil
		}, nil
	}
	all := entryKey{key: hash, resource: reflect.TypeFor[T]()}
	// fetchAll is shared by the key's concurrent readers (no stampede),
	// through the handler's Flights: the fetch outlives any one reader that
	// leaves, the others count it as shared in extensions.upstream, and a
	// read that starts after a write never joins one from before it.
	fetchAll := func(ctx context.Context) (*Snapshot[T], error) {
		v, err := c.flights.Share(ctx, flightKey(all), func(ctx context.Context) (any, error) {
			// A flight that ended between the caller's lookup and this one
			// has stored a fresh copy: no second fetch.
			if v, f := c.lookup(all); f == fresh {
				return v, nil
			}
			epoch := c.epoch()
			recs, age, err := listShared(ctx, c, all, list)
			if err != nil {
				return nil, err
			}
			return storeCollection(c, all, recs, idOf, epoch, age), nil
		})
		if err != nil {
			return nil, err
		}
		return v.(*Snapshot[T]), nil
	}
	peek := func(id clevertim.ID) (*T, bool) {
		if v, f := c.lookup(all); f != absent {
			if rec, ok := v.(*Snapshot[T]).byID[id]; ok {
				return rec, true
			}
		}
		one := all
		one.id = id
		if v, f := c.lookup(one); f != absent {
			return v.(*T), true
		}
		return nil, false
	}
	cachedGet := func(ctx context.Context, id clevertim.ID) (*T, error) {
		rec, ok := peek(id)
		c.looked(resource, ok)
		if ok {
			return rec, nil
		}
		one := all
		one.id = id
		epoch := c.epoch()
		rec, err := get(ctx, id)
		if err != nil {
			return nil, err
		}
		return storeRecord(c, one, rec, epoch), nil
	}
	cachedList := func(ctx context.Context) (*Snapshot[T], error) {
		v, f := c.lookup(all)
		c.looked(resource, f != absent)
		switch f {
		case fresh:
			return v.(*Snapshot[T]), nil
		case stale:
			if c.startRefresh(all) {
				rctx, cancel := refreshContext(ctx, refreshTimeout)
				go func() {
					defer cancel()
					defer c.endRefresh(all)
					_, _ = fetchAll(rctx)
				}()
			}
			return v.(*Snapshot[T]), nil
		}
		return fetchAll(ctx)
	}
	return cachedGet, cachedList, peek
}
