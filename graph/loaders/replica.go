package loaders

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"hash/maphash"
	"maps"
	"math"
	"reflect"
	"slices"
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
//   - Records that several keys were sent alike are stored once, found by
//     a 64-bit hash of their JSON and shared only when equal in every field
//     (reflect.DeepEqual: a collision never shares); each key's copy holds
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
	// lastCollection is, per resource, the collection entry stored last,
	// whoever's: what a key's first read of it may share fields with
	// (lastSnapshot), found without walking the LRU under mu.
	lastCollection map[reflect.Type]entryKey
	// stores hold the records keys hold, one *recordStore[T] per
	// resource, found by the sum of their content (see sum).
	seed   maphash.Seed
	stores map[reflect.Type]any
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
	value      holder // *Snapshot[T], or *single[T] for one record
	fetched    time.Time
	bytes      int64
	refreshing bool
	expired    bool // must be read again before it is served
}

// recordStore holds the records of one resource that keys hold. One map
// keyed by 8 bytes, with 16 bytes a record, is what a record costs besides
// itself: the sum each holder keeps beside its pointer finds the record
// again when the holder lets it go.
type recordStore[T any] struct {
	records map[uint64]storedRecord[T]
	// collided are the records whose sum another, different, stored
	// record has: a 64-bit collision, so practically always empty.
	collided map[uint64][]storedRecord[T]
}

// storedRecord is one record and how many entries hold it. Its size is
// its JSON's: a record is bounded well below 2 GiB (clevertim's
// maxRecordBytes).
type storedRecord[T any] struct {
	rec  *T
	refs int32
	size int32
}

// storeOf is the replica's store of T. Called with c.mu held.
func storeOf[T any](c *Replica) *recordStore[T] {
	t := reflect.TypeFor[T]()
	if s, ok := c.stores[t]; ok {
		return s.(*recordStore[T])
	}
	s := &recordStore[T]{records: map[uint64]storedRecord[T]{}, collided: map[uint64][]storedRecord[T]{}}
	c.stores[t] = s
	return s
}

// recordOverhead is what a key's copy costs per record besides the record:
// its pointer and sum in the snapshot and its place in the id index.
const recordOverhead = 48

// DefaultReplicaBytes suits a 2-core, 4 GB container: the heap the replica
// takes is about 1.7 times what it counts (decoded records are larger than
// their JSON; indexes and the stores' maps; BenchmarkReplica measures it),
// and the garbage collector lets the heap grow to twice the live data.
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
		entries: map[entryKey]*list.Element{}, seed: maphash.MakeSeed(), stores: map[reflect.Type]any{},
		lastCollection: map[reflect.Type]entryKey{},
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

// sum addresses a record by its resource and JSON bytes. The seed is the
// process's own, so no caller can aim records at one sum.
func (c *Replica) sum(resource reflect.Type, raw []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(resource.String())
	h.WriteByte(0)
	h.Write(raw)
	return h.Sum64()
}

// content is what storeCollection and storeRecord intern: a record read
// for one key, its JSON's size and sum.
type content[T any] struct {
	rec  *T
	size int32
	sum  uint64
}

// contentOf marshals rec for its sum and size. A record that does not
// marshal gets a sum of its key's own, so that no other key's record is
// even compared with it.
func contentOf[T any](c *Replica, k entryKey, rec *T, id clevertim.ID) content[T] {
	raw, err := json.Marshal(rec)
	if err != nil {
		raw = append(k.key[:], id...)
	}
	return content[T]{rec: rec, size: int32(min(len(raw), math.MaxInt32)), sum: c.sum(k.resource, raw)}
}

// intern returns the stored record equal to in.rec, storing in.rec when
// there is none, and counts one more holder. equal is the candidate found
// equal outside the lock (nil if none), unequal the one found different:
// any other record stored under the sum since is compared here. Called
// with c.mu held.
func (s *recordStore[T]) intern(c *Replica, in content[T], equal, unequal *T) *T {
	same := func(stored *T) bool {
		return stored == equal || stored != unequal && reflect.DeepEqual(stored, in.rec)
	}
	first, ok := s.records[in.sum]
	switch {
	case !ok:
		s.records[in.sum] = storedRecord[T]{rec: in.rec, refs: 1, size: in.size}
		c.bytes += int64(in.size)
		return in.rec
	case same(first.rec):
		first.refs++
		s.records[in.sum] = first
		return first.rec
	}
	others := s.collided[in.sum]
	for i := range others {
		if same(others[i].rec) {
			others[i].refs++
			return others[i].rec
		}
	}
	s.collided[in.sum] = append(others, storedRecord[T]{rec: in.rec, refs: 1, size: in.size})
	c.bytes += int64(in.size)
	return in.rec
}

// unhold drops one hold on the stored record rec, whose sum is sum. Called
// with c.mu held.
func (s *recordStore[T]) unhold(c *Replica, sum uint64, rec *T) {
	others := s.collided[sum]
	if first, ok := s.records[sum]; ok && first.rec == rec {
		if first.refs--; first.refs > 0 {
			s.records[sum] = first
			return
		}
		c.bytes -= int64(first.size)
		if len(others) == 0 {
			delete(s.records, sum)
			return
		}
		s.records[sum] = others[0]
		others = others[1:]
	} else {
		i := slices.IndexFunc(others, func(o storedRecord[T]) bool { return o.rec == rec })
		if i < 0 {
			return
		}
		if others[i].refs--; others[i].refs > 0 {
			return
		}
		c.bytes -= int64(others[i].size)
		others = slices.Delete(others, i, i+1)
	}
	if len(others) == 0 {
		delete(s.collided, sum)
	} else {
		s.collided[sum] = others
	}
}

// holder is the value of an entry: the records it holds.
type holder interface {
	// unholdAll drops the entry's holds on its records. Called with c.mu
	// held.
	unholdAll(c *Replica)
	// heldBy makes e the entry the value's indexes are counted in (see
	// Snapshot.Index), and returns the bytes its indexes counted in the
	// entry it leaves. Called with c.mu held.
	heldBy(c *Replica, e *replicaEntry) (counted int64)
}

// indexBytes is what an index built on a held snapshot counts per record
// against maxBytes: an ordering's places, or an equality index's groups of
// them, take about 52 bytes a record. Counted, the indexes a key's queries
// build are bounded with the records, whatever orderings and filters they
// use.
const indexBytes = 56

func (s *Snapshot[T]) heldBy(c *Replica, e *replicaEntry) int64 {
	counted := s.counted
	s.counted, s.entry = 0, e
	// Set once, when the snapshot is first held, before any request sees
	// it; the entry it counts in is read under c.mu.
	if e != nil && s.charge == nil {
		s.charge = func(n int64) {
			c.mu.Lock()
			defer c.mu.Unlock()
			e := s.entry
			if e == nil {
				return // replaced since: nothing to count it in
			}
			if el, ok := c.entries[e.k]; !ok || el.Value != e {
				return // evicted or stored anew since
			}
			e.bytes += n
			c.bytes += n
			s.counted += n
			c.evictOver()
		}
	}
	return counted
}

func (o *single[T]) heldBy(*Replica, *replicaEntry) int64 { return 0 }

// setValue makes v the entry's value in place of the one it had, whose
// indexes no longer count. Called with c.mu held.
func (c *Replica) setValue(e *replicaEntry, v holder) {
	if e.value != nil {
		counted := e.value.heldBy(c, nil)
		e.bytes -= counted
		c.bytes -= counted
	}
	e.value = v
	v.heldBy(c, e)
}

func (s *Snapshot[T]) unholdAll(c *Replica) {
	st := storeOf[T](c)
	for i, r := range s.recs {
		st.unhold(c, s.sums[i], r)
	}
}

// single is a record read by id, kept on its own.
type single[T any] struct {
	rec *T
	sum uint64
}

func (o *single[T]) unholdAll(c *Replica) { storeOf[T](c).unhold(c, o.sum, o.rec) }

// release drops an entry's holds on its records. Called with c.mu held.
func (c *Replica) release(e *replicaEntry) {
	if e.value != nil {
		e.value.unholdAll(c)
	}
	c.bytes -= e.bytes
}

// evictOver drops least recently used entries until the replica holds at
// most maxBytes (one at least stays). Called with c.mu held.
func (c *Replica) evictOver() {
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
	if e.k.id == "" {
		c.lastCollection[e.k.resource] = e.k
	}
	c.evictOver()
	return true
}

// lastSnapshot is k's own snapshot (a refresh), else the one of k's
// resource another key stored last, if it is still held, nil if none: its records are what k's
// new records may share equal fields with. Called with c.mu held.
func (c *Replica) lastSnapshot(k entryKey) any {
	if el, ok := c.entries[k]; ok {
		return el.Value.(*replicaEntry).value
	}
	if last, ok := c.lastCollection[k.resource]; ok {
		if el, ok := c.entries[last]; ok {
			return el.Value.(*replicaEntry).value
		}
	}
	return nil
}

// storeCollection interns recs and keeps them as k's snapshot; it returns
// the snapshot to serve (made of the interned records).
func storeCollection[T any](c *Replica, k entryKey, recs []*T, idOf func(*T) clevertim.ID, epoch uint64, age time.Duration) *Snapshot[T] {
	// Marshalling, hashing and comparing happen outside the lock: they are
	// the cost of a full read, and other keys' reads must not wait for
	// them.
	ins := make([]content[T], len(recs))
	for i, r := range recs {
		ins[i] = contentOf(c, k, r, idOf(r))
	}
	cands := make([]*T, len(recs))
	c.mu.Lock()
	st := storeOf[T](c)
	for i, in := range ins {
		cands[i] = st.records[in.sum].rec
	}
	last, _ := c.lastSnapshot(k).(*Snapshot[T])
	c.mu.Unlock()
	equal := make([]*T, len(recs))
	strs := newInterner()
	for i, cand := range cands {
		// Stored records are never changed, so what is found equal here
		// stays equal; intern makes sure it is still stored.
		if cand != nil && reflect.DeepEqual(cand, ins[i].rec) {
			equal[i], cands[i] = cand, nil
			continue
		}
		// Only records new to the replica are made smaller: a refresh
		// that finds its records unchanged, or a second key the first
		// key's, costs no more.
		kept := clone(strs, recs[i])
		if last != nil {
			if old, ok := last.byID[idOf(kept)]; ok {
				shareFields(reflect.ValueOf(kept).Elem(), reflect.ValueOf(old).Elem())
			}
		}
		ins[i].rec = kept
	}
	out := make([]*T, len(recs))
	sums := make([]uint64, len(recs))
	e := &replicaEntry{k: k, bytes: int64(len(recs)) * recordOverhead}
	c.mu.Lock()
	st = storeOf[T](c)
	for i, in := range ins {
		out[i], sums[i] = st.intern(c, in, equal[i], cands[i]), in.sum
	}
	c.mu.Unlock()
	// The index by id is built outside the lock too; the records are held
	// already, so nothing can release them meanwhile.
	snap := newSnapshot(out, sums, idOf)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setValue(e, snap)
	c.store(e, epoch)
	e.fetched = e.fetched.Add(-age) // a shared copy is as old as its fetch
	return snap
}

func storeRecord[T any](c *Replica, k entryKey, rec *T, epoch uint64) *T {
	in := contentOf(c, k, rec, k.id)
	c.mu.Lock()
	defer c.mu.Unlock()
	out := storeOf[T](c).intern(c, in, nil, nil)
	c.store(&replicaEntry{k: k, value: &single[T]{rec: out, sum: in.sum}, bytes: recordOverhead}, epoch)
	return out
}

// Snapshot is one read of a collection: its records, an index by id, and
// the indexes built on demand for it (orderings, reverse links), each built
// once. It is read only once built: a write makes a new snapshot.
type Snapshot[T any] struct {
	recs []*T
	// sums are the records' sums (Replica.sum), index for index; nil
	// without a replica.
	sums []uint64
	byID map[clevertim.ID]*T
	// dropped are records another key wrote since the read: they are
	// fetched by id when asked for, and missing from lists until the
	// snapshot is refreshed.
	dropped map[clevertim.ID]bool

	mu      sync.Mutex
	indexes map[string]*snapshotIndex
	// charge counts an index built on the snapshot in the replica entry
	// holding it (heldBy); nil for a request's own snapshot. entry and
	// counted (what it counted there) are guarded by the replica's mu.
	charge  func(bytes int64)
	entry   *replicaEntry
	counted int64
}

type snapshotIndex struct {
	once sync.Once
	v    any
}

func newSnapshot[T any](recs []*T, sums []uint64, idOf func(*T) clevertim.ID) *Snapshot[T] {
	byID := make(map[clevertim.ID]*T, len(recs))
	for _, r := range recs {
		byID[idOf(r)] = r
	}
	return &Snapshot[T]{recs: recs, sums: sums, byID: byID}
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
	ix.once.Do(func() {
		ix.v = build(s.recs)
		if s.charge != nil {
			s.charge(int64(len(s.recs)) * indexBytes)
		}
	})
	return ix.v
}

// with is the snapshot with rec (whose sum is sum) in place of the record
// of its id (added when absent), or without that record when rec is nil.
func (s *Snapshot[T]) with(id clevertim.ID, rec *T, sum uint64, idOf func(*T) clevertim.ID, dropped bool) *Snapshot[T] {
	recs := make([]*T, 0, len(s.recs)+1)
	sums := make([]uint64, 0, len(s.recs)+1)
	found := false
	for i, r := range s.recs {
		if idOf(r) != id {
			recs, sums = append(recs, r), append(sums, s.sums[i])
			continue
		}
		found = true
		if rec != nil {
			recs, sums = append(recs, rec), append(sums, sum)
		}
	}
	if !found && rec != nil {
		recs, sums = append(recs, rec), append(sums, sum)
	}
	out := newSnapshot(recs, sums, idOf)
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
	var in content[T]
	if rec != nil {
		in = contentOf(c, entryKey{key: writer, resource: resource}, rec, id)
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
			var oldSum uint64
			if had {
				oldSum = snap.sums[slices.Index(snap.recs, old)]
			}
			switch {
			case k.key == writer:
				var kept *T
				if rec != nil {
					kept = storeOf[T](c).intern(c, in, nil, nil)
					if !had {
						e.bytes += recordOverhead
						c.bytes += recordOverhead
					}
				} else if had {
					e.bytes -= recordOverhead
					c.bytes -= recordOverhead
				}
				if had {
					storeOf[T](c).unhold(c, oldSum, old)
				}
				c.setValue(e, snap.with(id, kept, in.sum, idOf, false))
			case had:
				// Clevertim has not said what this key sees of the new
				// version: asked for by id, it is fetched as this key;
				// lists miss it until the copy's next refresh (within the
				// TTL, as for writes made outside the facade).
				storeOf[T](c).unhold(c, oldSum, old)
				e.bytes -= recordOverhead
				c.bytes -= recordOverhead
				c.setValue(e, snap.with(id, nil, 0, idOf, true))
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
			return newSnapshot(recs, nil, idOf), nil
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
			return v.(*single[T]).rec, true
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
