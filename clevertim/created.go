package clevertim

import (
	"crypto/sha256"
	"errors"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// createLedger is what keeps a create whose answer was lost from adopting a
// record that is not its own (see findCreated).
//
// Identical creates of one key go one at a time, so that when one looks for
// its record no other is in flight, and every record this client has
// returned for a create is remembered: a reconciliation never adopts one of
// those.
type createLedger struct {
	oneAtATime *keyedSlots[createKey]
	returned   *lru.Cache[returnedKey, struct{}]
}

type createKey struct {
	key      KeyHash
	resource string
	body     [sha256.Size]byte
}

type returnedKey struct {
	key      KeyHash
	resource string
	id       ID
}

// maxReturned bounds the ids remembered. Only the records added in the last
// seconds (the window of findCreated) matter, so the oldest can go; an LRU
// without expiry, because hashicorp's expirable one runs a goroutine that
// never stops.
const maxReturned = 50_000

func newCreateLedger() *createLedger {
	returned, err := lru.New[returnedKey, struct{}](maxReturned)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return &createLedger{oneAtATime: newKeyedSlots[createKey](1), returned: returned}
}

// claim records id as returned for a create, and reports whether it was
// free.
func (l *createLedger) claim(key KeyHash, resource string, id ID) bool {
	ok, _ := l.returned.ContainsOrAdd(returnedKey{key, resource, id}, struct{}{})
	return !ok
}

func (l *createLedger) claimed(key KeyHash, resource string, id ID) bool {
	return l.returned.Contains(returnedKey{key, resource, id})
}

// createWindowMargin widens the window of findCreated for clocks that
// differ between Clevertim's machines (the one writing Date and the one
// writing ao).
const createWindowMargin = time.Second

// Reasons a lost create's outcome stays unknown.
var (
	errNoServerClock  = errors.New("no Date header in Clevertim's answers to tell its clock by")
	errManyCandidates = errors.New("several records added since could be the one this create made")
)
