package loaders

import (
	"context"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// The benchmark account's collections at 1k and 50k contacts (JSON bytes as
// Clevertim sends them), on the benchmark's link: 20 ms a request.
var (
	link20ms  = upstream.LinkModel{RTT: 20 * time.Millisecond, BytesPerSecond: 20 << 20}
	notes150k = collectionSize{count: 150_000, bytes: 55 << 20}
	notes3k   = collectionSize{count: 3_000, bytes: 1_100_000}
	demoNotes = collectionSize{count: 60, bytes: 60 * 400}
)

func costOptions(m upstream.LinkModel) Options {
	o := DefaultOptions().WithDefaults()
	o.KeyConcurrency = 16
	o.Link = upstream.FixedLink(m)
	return o
}

func TestCheaperByID(t *testing.T) {
	t.Parallel()
	o := costOptions(link20ms)
	for _, c := range []struct {
		name  string
		n     int
		size  collectionSize
		known knowledge
		want  bool
	}{
		{"15 of 150k notes", 15, notes150k, known, true},
		// The pipeline board's notes at 50k: nine rounds of 20 ms against
		// 55 MB.
		{"101 of 150k notes", 101, notes150k, known, true},
		{"300 of 150k notes", 300, notes150k, known, true},
		// At 1k the collection is 1.1 MB: 75 ms against 180 ms by id.
		{"101 of 3k notes", 101, notes3k, known, false},
		{"12 of 3k notes: one round", 12, notes3k, known, true},
		{"size unknown, within the bound", 15, collectionSize{}, unknown, true},
		{"size unknown, past the bound", o.ListThreshold + 1, collectionSize{}, unknown, false},
		// A guess only sends more ids by id.
		{"101 notes, guessed as large as 150k", 101, notes150k, guessed, true},
		{"15 notes, guessed as small as the demo's", 15, demoNotes, guessed, true},
		{"30 notes, guessed as small as the demo's", 30, demoNotes, guessed, false},
		{"15 of 60 small notes", 15, demoNotes, known, false},
		{"2 of 60 small notes", 2, demoNotes, known, true},
		{"12 of 60 small notes: one round, a fifth of the bytes", 12, demoNotes, known, true},
		{"12 of 13 small notes: one round, as many bytes", 12, collectionSize{count: 13, bytes: 13 * 400}, known, false},
		{"an empty collection", 1, collectionSize{}, known, false},
	} {
		if got := o.cheaperByID(c.n, c.size, c.known, 0); got != c.want {
			byID, whole := o.estimate(c.n, c.size, c.known)
			t.Errorf("%s: by id = %v, want %v (by id %v, whole %v)", c.name, got, c.want, byID, whole)
		}
	}
}

// The link decides: on a fast local link the 1k account's notes are read
// whole for 60 ids, over a slow one (high latency) even for 13; at the
// same latency, a slower throughput moves the choice to ids.
func TestCheaperByID_FollowsTheLink(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		link upstream.LinkModel
		n    int
		size collectionSize
		want bool
	}{
		{"fast link, 60 of 3k notes", upstream.LinkModel{RTT: 2 * time.Millisecond, BytesPerSecond: 200 << 20}, 60, notes3k, false},
		{"200 ms a request, 13 of 3k notes", upstream.LinkModel{RTT: 200 * time.Millisecond, BytesPerSecond: 20 << 20}, 13, notes3k, false},
		{"20 ms, 1 MB/s, 30 of 3k notes", upstream.LinkModel{RTT: 20 * time.Millisecond, BytesPerSecond: 1 << 20}, 30, notes3k, true},
		{"20 ms, 100 MB/s, 30 of 3k notes", upstream.LinkModel{RTT: 20 * time.Millisecond, BytesPerSecond: 100 << 20}, 30, notes3k, false},
	} {
		o := costOptions(c.link)
		if got := o.cheaperByID(c.n, c.size, known, 0); got != c.want {
			byID, whole := o.estimate(c.n, c.size, known)
			t.Errorf("%s: by id = %v, want %v (by id %v, whole %v)", c.name, got, c.want, byID, whole)
		}
	}
}

// The key's concurrency bounds a batch's: with 4 requests in flight per
// key, 48 ids take twelve rounds, not four.
func TestCheaperByID_KeyConcurrency(t *testing.T) {
	t.Parallel()
	o := costOptions(link20ms)
	size := collectionSize{count: 10_000, bytes: 4 << 20} // 220 ms whole
	if !o.cheaperByID(48, size, known, 0) {
		t.Error("48 ids in 4 rounds of 12: should go by id")
	}
	o.KeyConcurrency = 4
	if o.cheaperByID(48, size, known, 0) {
		t.Error("48 ids in 12 rounds of 4: should read the collection")
	}
}

// A batch by id reserves its requests from the operation's budget, and
// leaves budgetHeadroom for the levels after it.
func TestReserve(t *testing.T) {
	t.Parallel()
	o := costOptions(link20ms)
	tr := upstream.NewTracker(100)
	ctx := upstream.WithTracker(context.Background(), tr)
	ctx1, release1, ok := o.reserve(ctx, 60)
	if !ok {
		t.Fatal("60 of 100 refused")
	}
	if _, _, ok := o.reserve(ctx, 100-60-budgetHeadroom+1); ok {
		t.Error("reserved past the budget less its headroom")
	}
	_, release2, ok := o.reserve(ctx, 100-60-budgetHeadroom)
	if !ok {
		t.Error("what the budget leaves was refused")
	}
	release2()
	release1()
	if _, _, ok := o.reserve(ctx1, 100-budgetHeadroom); !ok {
		t.Error("released reservations still held")
	}
	o.Budget = -1
	if _, _, ok := o.reserve(ctx, 1000); !ok {
		t.Error("a negative Budget ignores the budget")
	}
}

// A collection the key never read is guessed as large as its largest one;
// small resources do not count, and other keys know nothing of it.
func TestStats_Guess(t *testing.T) {
	t.Parallel()
	s := NewStats()
	owner, other := [32]byte{1}, [32]byte{2}
	notes := statsKey{key: owner, resource: "note"}
	if _, k := s.guess(notes); k != unknown {
		t.Fatal("a guess before any read")
	}
	s.put(statsKey{key: owner, resource: "user"}, collectionSize{count: 10, bytes: 2000}, true)
	if _, k := s.guess(notes); k != unknown {
		t.Error("users, a small resource, made a guess")
	}
	contacts := collectionSize{count: 50_000, bytes: 30 << 20}
	s.put(statsKey{key: owner, resource: "contact"}, contacts, false)
	s.put(statsKey{key: owner, resource: "opportunity"}, collectionSize{count: 25_000, bytes: 9 << 20}, false)
	if got, k := s.guess(notes); k != guessed || got != contacts {
		t.Errorf("notes guessed %+v, %v; want the contacts' %+v", got, k, contacts)
	}
	if _, k := s.guess(statsKey{key: other, resource: "note"}); k != unknown {
		t.Error("another key's reads made a guess")
	}
	if _, ok := s.get(notes); ok {
		t.Error("a guess reported as a read")
	}
	// The largest shrinks: the guess follows its last read, and is the
	// opportunities' now, the largest the key has read.
	s.put(statsKey{key: owner, resource: "contact"}, collectionSize{count: 10, bytes: 5000}, false)
	if got, _ := s.guess(notes); got.bytes != 9<<20 {
		t.Errorf("notes guessed %+v after the contacts shrank, want the opportunities' 9 MiB", got)
	}
	s.put(statsKey{key: owner, resource: "opportunity"}, collectionSize{count: 20, bytes: 4000}, false)
	if got, _ := s.guess(notes); got.bytes != 5000 {
		t.Errorf("notes guessed %+v after both shrank", got)
	}
}
