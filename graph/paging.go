package graph

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sync/atomic"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// Page sizes: a connection asked for neither first nor last gets the
// default; asking for more than the maximum is refused.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// page is a connection's arguments.
type page struct {
	first, last   *int
	after, before *string
}

// ordering sorts records by one orderBy field, then by id. Without a field
// it sorts by id alone (id order is creation order).
type ordering[T any] struct {
	name string // the orderBy field, "ID" without one
	desc bool
	sortBy[T]
}

// sortBy is how one orderBy field sorts records: the kinds of its key's
// parts, and the key of a record, appended to a slice.
type sortBy[T any] struct {
	kinds []keyKind
	key   func([]sortKey, *T, *collator) []sortKey
}

// connect filters, sorts and pages records into a connection. Cursors carry
// the order and the record's place in it (its typed sort key and id), so a
// cursor stays valid while the caller keeps the same filter and order, even
// when records are added or removed elsewhere in the list.
func connect[T any, P clevertim.RecordPtr[T]](recs []*T, match func(*T) bool, ord ordering[T], p page) (*model.Connection[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return sortPlaces[T, P](recs, match, ord).page(nil, ord, p, nil)
}

// connectIndexed pages a whole collection through its index in ord, built
// once per snapshot: a page costs a binary search and the page. A filter
// with an indexed equality (eq, nil when it has none) starts from that
// value's places, grouped once per snapshot and ordering: alone, it costs
// the same as no filter; with other conditions, one pass over the value's
// places. Any other filter is one pass over the index in order. Never a sort.
func connectIndexed[T any, P clevertim.RecordPtr[T]](ctx context.Context, snap *loaders.Snapshot[T], match func(*T) bool, eq *equalityQuery[T], ord ordering[T], p page) (*model.Connection[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	tag := ord.tag()
	ix := snap.Index("order:"+tag, func(recs []*T) any { return sortPlaces[T, P](recs, nil, ord) }).(*sortedPlaces[T])
	if eq != nil {
		// Built from the ordering's places in one pass, so the places keep
		// their order: no sort, and no record is keyed twice.
		groups := snap.Index("equal:"+eq.field+":"+tag, func([]*T) any { return groupPlaces(ix, eq.value) }).(*equalityIndex[T])
		if sub, ok := groups.subset(eq.wanted, eq.fold); ok {
			ix = sub
			if eq.alone {
				match = nil
			}
		}
	}
	return ix.page(match, ord, p, workOf(ctx))
}

// sortedPlaces are records in one ordering: their places, sorted, and the
// records the places point into.
type sortedPlaces[T any] struct {
	items []place
	recs  []*T
}

func sortPlaces[T any, P clevertim.RecordPtr[T]](recs []*T, match func(*T) bool, ord ordering[T]) *sortedPlaces[T] {
	var coll *collator
	if slices.Contains(ord.kinds, keyText) {
		coll = newCollator()
	}
	items := make([]place, 0, len(recs))
	matched := make([]*T, 0, len(recs))
	// Every record's key in one array: one allocation, not one per record.
	keys := make([]sortKey, 0, len(recs)*len(ord.kinds))
	for _, r := range recs {
		if match == nil || match(r) {
			pl := place{id: P(r).RecordID(), at: len(matched)}
			if ord.key != nil {
				start := len(keys)
				keys = ord.key(keys, r, coll)
				pl.key = keys[start:len(keys):len(keys)]
			}
			items = append(items, pl)
			matched = append(matched, r)
		}
	}
	slices.SortFunc(items, ord.directed)
	return &sortedPlaces[T]{items: items, recs: matched}
}

// directed compares two places in the ordering's direction.
func (o ordering[T]) directed(a, b place) int {
	c := o.compare(a, b)
	if o.desc {
		return -c
	}
	return c
}

// page cuts the page p out of the sorted places, keeping those that match
// (all when match is nil, or when the places were sorted already filtered).
// w, when not nil, counts the places the page examined.
func (s *sortedPlaces[T]) page(match func(*T) bool, ord ordering[T], p page, w *pageWork) (*model.Connection[T], error) {
	items := s.items
	if match != nil {
		w.add(len(items))
		kept := make([]place, 0, len(items)/4)
		for _, it := range items {
			if match(s.recs[it.at]) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	var coll *collator
	if (p.after != nil || p.before != nil) && slices.Contains(ord.kinds, keyText) {
		coll = newCollator()
	}
	start, end := 0, len(items)
	if p.after != nil {
		after, err := decodeCursor(*p.after, ord, coll, "after")
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(items, after, func(it, k place) int {
			w.add(1)
			return cmp.Or(ord.directed(it, k), -1) // first item strictly after the cursor
		})
	}
	if p.before != nil {
		before, err := decodeCursor(*p.before, ord, coll, "before")
		if err != nil {
			return nil, err
		}
		end, _ = slices.BinarySearchFunc(items, before, func(it, k place) int {
			w.add(1)
			return ord.directed(it, k)
		})
	}
	end = max(end, start)
	if p.first == nil && p.last == nil {
		def := DefaultPageSize
		p.first = &def
	}
	if p.first != nil && end-start > *p.first {
		end = start + *p.first
	}
	if p.last != nil && end-start > *p.last {
		start = end - *p.last
	}
	pageItems := items[start:end]
	w.add(len(pageItems))
	nodes := make([]*T, len(pageItems))
	for i, it := range pageItems {
		nodes[i] = s.recs[it.at]
	}
	cursor := func(i int) string { return encodeCursor(ord, pageItems[i]) }
	return model.NewConnection(nodes, cursor, len(items), start > 0, end < len(items)), nil
}

// place is a record's position in an ordering: its sort key, then its id.
type place struct {
	key []sortKey
	id  clevertim.ID
	at  int // index of the record, for building the page
}

// compare orders two places, ascending.
func (o ordering[T]) compare(a, b place) int {
	for i, kind := range o.kinds {
		if c := kind.compare(a.key[i], b.key[i]); c != 0 {
			return c
		}
	}
	return compareIDs(a.id, b.id)
}

func (p page) check() error {
	for _, arg := range [...]struct {
		name string
		n    *int
	}{{"first", p.first}, {"last", p.last}} {
		if arg.n != nil && (*arg.n < 0 || *arg.n > MaxPageSize) {
			return inputError(arg.name, "must be between 0 and %d, got %d", MaxPageSize, *arg.n)
		}
	}
	return nil
}

// pageWork counts the places pages examine: those a filter ran on, the
// probes of a cursor's binary search and the page itself. Tests put one in
// the request's context to assert what a page costs by counts; without one
// nothing is counted.
type pageWork struct{ examined atomic.Int64 }

type pageWorkKey struct{}

func workOf(ctx context.Context) *pageWork {
	w, _ := ctx.Value(pageWorkKey{}).(*pageWork)
	return w
}

func (w *pageWork) add(n int) {
	if w != nil {
		w.examined.Add(int64(n))
	}
}

// cursor is what a cursor carries, as JSON in URL-safe base64: the order it
// was issued for, the typed sort key (null for an absent value) and the id.
type cursor struct {
	Version int          `json:"v"`
	Order   string       `json:"o"`
	Key     []*string    `json:"k"`
	ID      clevertim.ID `json:"id"`
}

const cursorVersion = 2

func (o ordering[T]) tag() string {
	if o.desc {
		return o.name + ":desc"
	}
	return o.name + ":asc"
}

func encodeCursor[T any](ord ordering[T], pl place) string {
	c := cursor{Version: cursorVersion, Order: ord.tag(), ID: pl.id, Key: make([]*string, len(ord.kinds))}
	for i, kind := range ord.kinds {
		c.Key[i] = kind.encode(pl.key[i])
	}
	raw, _ := json.Marshal(c) // strings and ints only: cannot fail
	return base64.RawURLEncoding.EncodeToString(raw)
}

// MaxCursorLen bounds a cursor: the facade's own are far shorter.
const MaxCursorLen = 4096

func decodeCursor[T any](s string, ord ordering[T], coll *collator, arg string) (place, error) {
	if len(s) > MaxCursorLen {
		return place{}, inputError(arg, "a cursor is at most %d characters, this one has %d", MaxCursorLen, len(s))
	}
	notCursor := inputError(arg, "%q is not a cursor of this connection", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return place{}, notCursor
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.Version != cursorVersion || c.ID == "" {
		return place{}, notCursor
	}
	if c.Order != ord.tag() {
		return place{}, inputError(arg, "the cursor was issued for the order %s, not %s; start again from the first page", c.Order, ord.tag())
	}
	if len(c.Key) != len(ord.kinds) {
		return place{}, notCursor
	}
	pl := place{id: c.ID, key: make([]sortKey, len(ord.kinds))}
	for i, kind := range ord.kinds {
		v, ok := kind.decode(c.Key[i], coll)
		if !ok {
			return place{}, notCursor
		}
		pl.key[i] = v
	}
	return pl, nil
}

// compareIDs orders numeric ids by value, before other ids in text order.
func compareIDs(a, b clevertim.ID) int { return a.Compare(b) }
