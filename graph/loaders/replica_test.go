package loaders

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

type rec struct {
	ID   clevertim.ID `json:"id"`
	Text string       `json:"text"`
}

func idOf(r *rec) clevertim.ID { return r.ID }

// tagged is a record with lists and a pointer, as Clevertim's are.
type tagged struct {
	ID   clevertim.ID  `json:"id"`
	Text string        `json:"text"`
	Tags []string      `json:"tags"`
	Own  []string      `json:"own"`
	Lead *clevertim.ID `json:"lead"`
}

func taggedID(r *tagged) clevertim.ID { return r.ID }

func records(n int, text string) []*rec {
	out := make([]*rec, n)
	for i := range out {
		out[i] = &rec{ID: clevertim.IDFromInt(int64(i + 1)), Text: fmt.Sprintf("%s %d %s", text, i, strings.Repeat("x", 200))}
	}
	return out
}

// upstreamOf counts list calls; a list blocks while gate is held.
type upstreamOf struct {
	calls atomic.Int64
	gate  sync.RWMutex
	recs  func() []*rec
}

func (u *upstreamOf) list(context.Context) ([]*rec, error) {
	u.calls.Add(1)
	u.gate.RLock()
	defer u.gate.RUnlock()
	return u.recs(), nil
}

func (u *upstreamOf) get(_ context.Context, id clevertim.ID) (*rec, error) {
	u.calls.Add(1)
	for _, r := range u.recs() {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, clevertim.ErrNotFound
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestReplica(maxBytes int64) (*Replica, *clock) {
	c := NewReplica(time.Minute, maxBytes, nil)
	clk := &clock{now: time.Unix(1e9, 0)}
	c.now = clk.Now
	return c, clk
}

func key(s string) [sha256.Size]byte { return sha256.Sum256([]byte(s)) }

// listed is key k's list of n records over c, read once.
func listed(t *testing.T, c *Replica, k string, n int, text string) func(context.Context) (*Snapshot[rec], error) {
	t.Helper()
	u := &upstreamOf{recs: func() []*rec { return records(n, text) }}
	_, list, _ := through(c, key(k), "rec", idOf, u.get, u.list)
	readAll(t, 1, list)
	return list
}

// readAll runs n concurrent reads and returns how many got a snapshot.
func readAll(t *testing.T, n int, list func(context.Context) (*Snapshot[rec], error)) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if s, err := list(context.Background()); err != nil || len(s.Records()) == 0 {
				t.Errorf("read: %v", err)
			}
		})
	}
	wg.Wait()
}

func TestReplica_MissesShareOneFetch(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	u := &upstreamOf{recs: func() []*rec { return records(10, "a") }}
	_, list, _ := through(c, key("k"), "rec", idOf, u.get, u.list)
	u.gate.Lock()
	done := make(chan struct{})
	go func() { readAll(t, 32, list); close(done) }()
	// Let the readers pile up on the one fetch in flight, then let it go.
	for u.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	u.gate.Unlock()
	<-done
	if n := u.calls.Load(); n != 1 {
		t.Errorf("32 concurrent misses sent %d fetches, want 1", n)
	}
}

func TestReplica_StaleWhileRevalidate(t *testing.T) {
	t.Parallel()
	c, clk := newTestReplica(0)
	version := atomic.Value{}
	version.Store("v1")
	u := &upstreamOf{recs: func() []*rec { return records(10, version.Load().(string)) }}
	_, list, _ := through(c, key("k"), "rec", idOf, u.get, u.list)
	readAll(t, 1, list)
	clk.Add(59 * time.Second)
	readAll(t, 8, list)
	if n := u.calls.Load(); n != 1 {
		t.Fatalf("reads within the TTL sent %d fetches, want 1", n)
	}
	// Stale: every reader gets the copy in hand at once; one refresh runs,
	// held at the gate while they read.
	clk.Add(30 * time.Second)
	version.Store("v2")
	u.gate.Lock()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			s, err := list(context.Background())
			if err != nil || !strings.HasPrefix(s.Records()[0].Text, "v1") {
				t.Errorf("a stale read waited or got %v", err)
			}
		})
	}
	wg.Wait()
	u.gate.Unlock()
	for c.fetchedAt(key("k")) != clk.Now() {
		time.Sleep(time.Millisecond) // the refresh lands in the background
	}
	if n := u.calls.Load(); n != 2 {
		t.Errorf("16 stale reads sent %d refreshes, want 1", n-1)
	}
	if s, _ := list(context.Background()); !strings.HasPrefix(s.Records()[0].Text, "v2") {
		t.Error("the refresh was not served")
	}
	// Older than twice the TTL: the read waits for a fresh copy.
	clk.Add(121 * time.Second)
	version.Store("v3")
	if s, _ := list(context.Background()); !strings.HasPrefix(s.Records()[0].Text, "v3") || u.calls.Load() != 3 {
		t.Errorf("a copy older than 2×TTL was served (%d fetches)", u.calls.Load())
	}
}

// fetchedAt is when k's collection of rec was stored; zero when absent.
func (c *Replica) fetchedAt(k [sha256.Size]byte) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ek, el := range c.entries {
		if ek.key == k && ek.id == "" {
			return el.Value.(*replicaEntry).fetched
		}
	}
	return time.Time{}
}

func TestReplica_WritesUpdateTheWriterAndDropFromOthers(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	u := &upstreamOf{recs: func() []*rec { return records(5, "a") }}
	_, aList, _ := through(c, key("a"), "rec", idOf, u.get, u.list)
	_, bList, _ := through(c, key("b"), "rec", idOf, u.get, u.list)
	readAll(t, 1, aList)
	readAll(t, 1, bList)
	wrote(c, key("a"), "3", &rec{ID: "3", Text: "written by a"}, idOf, true)
	wrote(c, key("a"), "9", &rec{ID: "9", Text: "created by a"}, idOf, true)
	calls := u.calls.Load()
	a, _ := aList(context.Background())
	if a.byID["3"].Text != "written by a" || a.byID["9"] == nil || len(a.Records()) != 6 {
		t.Errorf("the writer's copy: %v", a.Records())
	}
	b, _ := bList(context.Background()) // served stale, refreshed behind
	if _, ok := b.byID["3"]; ok || len(b.Records()) != 4 {
		t.Errorf("another key kept or got the written record: %d records", len(b.Records()))
	}
	if u.calls.Load() != calls && u.calls.Load() != calls+1 {
		t.Errorf("%d fetches after the write", u.calls.Load()-calls)
	}
	wrote[rec](c, key("a"), "9", nil, idOf, true)
	if a, _ := aList(context.Background()); a.byID["9"] != nil {
		t.Error("a deleted record stayed in the writer's copy")
	}
}

func TestReplica_EvictsLeastRecentlyUsedBytes(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	listed(t, c, "k1", 100, "same")
	one := c.Bytes()
	// Room for about two keys' worth of distinct records.
	c, _ = newTestReplica(2*one + one/2)
	for i := range 4 {
		text := fmt.Sprintf("key%d", i) // distinct records: nothing shared
		listed(t, c, text, 100, text)
		if c.Bytes() > c.maxBytes {
			t.Fatalf("%d bytes held, bound %d", c.Bytes(), c.maxBytes)
		}
	}
	if c.Len() != 2 {
		t.Errorf("%d collections kept, want the 2 most recent", c.Len())
	}
	if _, f := c.lookup(entryKey{key: key("key0"), resource: reflect.TypeFor[rec]()}); f != absent {
		t.Error("the least recently used collection was kept")
	}
}

func TestReplica_ASecondKeySharesRecords(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	a := listed(t, c, "a", 1000, "shared")
	first := c.Bytes()
	b := listed(t, c, "b", 1000, "shared")
	added := c.Bytes() - first
	if added*4 > first {
		t.Errorf("a second key over the same records added %d bytes to %d (> 25 %%)", added, first)
	}
	sa, _ := a(context.Background())
	sb, _ := b(context.Background())
	if sa.Records()[0] != sb.Records()[0] {
		t.Error("identical records are stored twice")
	}
}

// A fetch that started before a write of its key does not overwrite the
// write: its answer is served to its reader but not kept.
func TestReplica_AFetchThatRacedAWriteIsNotKept(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	var u *upstreamOf
	u = &upstreamOf{recs: func() []*rec {
		if u.calls.Load() == 1 {
			wrote(c, key("k"), "1", &rec{ID: "1", Text: "new"}, idOf, true)
		}
		return records(3, "old")
	}}
	_, list, _ := through(c, key("k"), "rec", idOf, u.get, u.list)
	readAll(t, 1, list)
	readAll(t, 1, list)
	if n := u.calls.Load(); n != 2 {
		t.Errorf("%d fetches: the read that raced the write was kept", n)
	}
}

// Two keys sent the same records hold them once: the second key adds only
// its pointers (recordOverhead a record) and the one record it was sent
// differently, which is kept apart and served to it alone. Letting the
// first key go frees what only it held.
func TestReplica_CountsSharedRecordsOnce(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	const n = 50
	jsonBytes := func(recs []*rec) (sum int64) {
		for _, r := range recs {
			raw, _ := json.Marshal(r)
			sum += int64(len(raw))
		}
		return sum
	}
	fromA := records(n, "same")
	fromB := records(n, "same")
	fromB[6].Text = "what b sees of record 7"
	aList := listedAs(t, c, "a", fromA)
	if got, want := c.Bytes(), jsonBytes(fromA)+n*recordOverhead; got != want {
		t.Fatalf("one key: %d bytes counted, want %d", got, want)
	}
	bList := listedAs(t, c, "b", fromB)
	if got, want := c.Bytes(), jsonBytes(fromA)+jsonBytes(fromB[6:7])+2*n*recordOverhead; got != want {
		t.Errorf("two keys: %d bytes counted, want %d (the differing record once more, the rest not)", got, want)
	}
	if got := c.storedRecords(); got != n+1 {
		t.Errorf("%d records stored, want %d", got, n+1)
	}
	a, _ := aList(context.Background())
	b, _ := bList(context.Background())
	for i := range n {
		ra, rb := a.Records()[i], b.Records()[i]
		if (ra == rb) != (i != 6) {
			t.Errorf("record %s: shared %v", ra.ID, ra == rb)
		}
	}
	if a.byID["7"].Text != "same 6 "+strings.Repeat("x", 200) || b.byID["7"].Text != "what b sees of record 7" {
		t.Errorf("record 7: a read %.20q, b read %.20q", a.byID["7"].Text, b.byID["7"].Text)
	}
	c.mu.Lock()
	c.forget(c.entries[entryKey{key: key("a"), resource: reflect.TypeFor[rec]()}])
	c.mu.Unlock()
	if got, want := c.Bytes(), jsonBytes(fromB)+n*recordOverhead; got != want || c.storedRecords() != n {
		t.Errorf("after a went: %d bytes, %d records; want %d bytes, %d records", got, c.storedRecords(), want, n)
	}
}

// Records whose sums collide are compared, not trusted: a different record
// under the same sum is kept apart, each served as it was read, and each
// counted and freed on its own.
func TestReplica_ASumCollisionIsNotShared(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	one, other := &rec{ID: "1", Text: "one"}, &rec{ID: "1", Text: "other"}
	same := &rec{ID: "1", Text: "one"}
	c.mu.Lock()
	defer c.mu.Unlock()
	const sum = 42
	st := storeOf[rec](c)
	got := []*rec{
		st.intern(c, content[rec]{rec: one, size: 10, sum: sum}, nil, nil),
		st.intern(c, content[rec]{rec: other, size: 20, sum: sum}, nil, nil),
		st.intern(c, content[rec]{rec: same, size: 10, sum: sum}, nil, nil),
	}
	if got[0] != one || got[1] != other || got[2] != one {
		t.Fatalf("interned %p %p %p; want one (%p), other (%p), one", got[0], got[1], got[2], one, other)
	}
	if c.bytes != 30 {
		t.Errorf("%d bytes counted, want 30", c.bytes)
	}
	st.unhold(c, sum, one)
	st.unhold(c, sum, other)
	if c.bytes != 10 || len(st.collided) != 0 {
		t.Errorf("after other went: %d bytes, %d collided sums; want 10, 0", c.bytes, len(st.collided))
	}
	st.unhold(c, sum, one)
	if c.bytes != 0 || len(st.records) != 0 {
		t.Errorf("after all went: %d bytes, %d records", c.bytes, len(st.records))
	}
}

// A record a key was sent differently keeps its own value where it
// differs, and the other key's memory where it does not.
func TestReplica_DifferingRecordsShareEqualFields(t *testing.T) {
	t.Parallel()
	read := func(own string) []*tagged {
		return []*tagged{{ID: "1", Text: strings.Repeat("t", 100), Tags: []string{"vip", "partner"}, Own: []string{own}}}
	}
	c, _ := newTestReplica(0)
	a := storeCollection(c, entryKey{key: key("a"), resource: reflect.TypeFor[tagged]()}, read("a"), taggedID, 0, 0).Records()[0]
	b := storeCollection(c, entryKey{key: key("b"), resource: reflect.TypeFor[tagged]()}, read("b"), taggedID, 0, 0).Records()[0]
	if a == b || b.Own[0] != "b" || a.Own[0] != "a" {
		t.Fatalf("a read %v, b read %v", a, b)
	}
	if unsafe.StringData(a.Text) != unsafe.StringData(b.Text) || &a.Tags[0] != &b.Tags[0] {
		t.Error("b keeps its own copy of the fields it has equal to a's")
	}
	// A refresh that finds the record changed keeps what did not change.
	c, _ = newTestReplica(0)
	a = storeCollection(c, entryKey{key: key("a"), resource: reflect.TypeFor[tagged]()}, read("a"), taggedID, 0, 0).Records()[0]
	a2 := storeCollection(c, entryKey{key: key("a"), resource: reflect.TypeFor[tagged]()}, read("a2"), taggedID, 0, 0).Records()[0]
	if a2.Own[0] != "a2" || unsafe.StringData(a2.Text) != unsafe.StringData(a.Text) {
		t.Error("a's refreshed record keeps its own copy of the fields it has equal to a's previous one")
	}
}

// listedAs is key k's list of recs over c, read once.
func listedAs(t *testing.T, c *Replica, k string, recs []*rec) func(context.Context) (*Snapshot[rec], error) {
	t.Helper()
	u := &upstreamOf{recs: func() []*rec { return recs }}
	_, list, _ := through(c, key(k), "rec", idOf, u.get, u.list)
	readAll(t, 1, list)
	return list
}

// storedRecords is how many records c stores, shared or not.
func (c *Replica) storedRecords() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := storeOf[rec](c)
	n := len(st.records)
	for _, o := range st.collided {
		n += len(o)
	}
	return n
}

// A read's equal strings and lists are kept once, in copies: the records
// given to the replica may be shared with other readers of the same answer
// (clevertim's read sharing) and are not changed.
func TestReplica_InternsCopiesOfARead(t *testing.T) {
	t.Parallel()
	lead := func() *clevertim.ID { id := clevertim.ID(strings.Repeat("7", 3)); return &id }
	read := []*tagged{
		{ID: "1", Text: strings.Repeat("t", 50), Tags: []string{strings.Repeat("v", 3)}, Lead: lead()},
		{ID: "2", Text: strings.Repeat("t", 50), Tags: []string{strings.Repeat("v", 3)}, Lead: lead()},
	}
	text1, tags1, lead1 := unsafe.StringData(read[1].Text), &read[1].Tags[0], read[1].Lead
	c, _ := newTestReplica(0)
	kept := storeCollection(c, entryKey{key: key("a"), resource: reflect.TypeFor[tagged]()}, read, taggedID, 0, 0).Records()
	if unsafe.StringData(read[1].Text) != text1 || &read[1].Tags[0] != tags1 || read[1].Lead != lead1 {
		t.Error("the records read were changed")
	}
	if kept[0] == read[0] || unsafe.StringData(kept[0].Text) != unsafe.StringData(kept[1].Text) ||
		&kept[0].Tags[0] != &kept[1].Tags[0] || kept[0].Lead != kept[1].Lead {
		t.Error("the records kept hold their own copies of equal strings, lists and pointers")
	}
	if !reflect.DeepEqual(kept[1], read[1]) {
		t.Errorf("kept %+v for %+v", kept[1], read[1])
	}
}

// The indexes queries build on a held snapshot count against maxBytes:
// once each, given back when a write replaces the snapshot, and able to
// evict, so that orderings and filters cannot grow the heap uncounted.
func TestReplica_CountsIndexes(t *testing.T) {
	t.Parallel()
	c, _ := newTestReplica(0)
	const n = 50
	list := listedAs(t, c, "a", records(n, "text"))
	before := c.Bytes()
	snap, _ := list(context.Background())
	build := func(recs []*rec) any { return len(recs) }
	snap.Index("one", build)
	snap.Index("one", build) // built once, counted once
	snap.Index("two", build)
	if got, want := c.Bytes()-before, int64(2*n*indexBytes); got != want {
		t.Errorf("two indexes counted %d bytes, want %d", got, want)
	}
	// A write gives the snapshot's place to another, without its indexes.
	wrote(c, key("a"), "3", &rec{ID: "3", Text: "changed"}, idOf, false)
	after, _ := list(context.Background())
	if after == snap {
		t.Fatal("the write did not replace the snapshot")
	}
	written := c.Bytes()
	if written >= before+int64(n*indexBytes) {
		t.Errorf("after the write %d bytes counted: the replaced snapshot's indexes still count (%d before them)", written, before)
	}
	snap.Index("three", build) // on the replaced snapshot: counts nowhere
	if c.Bytes() != written {
		t.Errorf("an index of a replaced snapshot counted: %d, want %d", c.Bytes(), written)
	}
	after.Index("one", build)
	if got := c.Bytes() - written; got != n*indexBytes {
		t.Errorf("the new snapshot's index counted %d, want %d", got, n*indexBytes)
	}
	// Past maxBytes, an index evicts the least recently used entries.
	small, _ := newTestReplica(0)
	l := listedAs(t, small, "a", records(n, "text"))
	s, _ := l(context.Background())
	listedAs(t, small, "b", records(n, "other"))
	small.mu.Lock()
	small.maxBytes = small.bytes + n*indexBytes/2
	small.mu.Unlock()
	s.Index("one", build)
	if small.Len() != 1 || small.Bytes() > small.maxBytes {
		t.Errorf("an index past the bound: %d entries, %d bytes held, bound %d", small.Len(), small.Bytes(), small.maxBytes)
	}
}
