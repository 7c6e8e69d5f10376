package graph

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
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

// ordering sorts records by one field, then by id. key must sort as text in
// the field's order.
type ordering[T any] struct {
	name string
	desc bool
	key  func(*T) string
}

// connect filters, sorts and pages records into a connection. Cursors encode
// the order and the record's place in it (sort key and id), so a cursor
// stays valid while the caller keeps the same filter and order, even when
// records are added or removed elsewhere in the list.
func connect[T any](recs []*T, match func(*T) bool, ord ordering[T], id func(*T) clevertim.ID, p page) (*model.Connection[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	items := make([]place, 0, len(recs))
	matched := make([]*T, 0, len(recs))
	for _, r := range recs {
		if match == nil || match(r) {
			pl := place{id: id(r), at: len(matched)}
			if ord.key != nil {
				pl.key = ord.key(r)
			}
			items = append(items, pl)
			matched = append(matched, r)
		}
	}
	compare := func(a, b place) int {
		c := a.compare(b)
		if ord.desc {
			return -c
		}
		return c
	}
	slices.SortFunc(items, compare)

	start, end := 0, len(items)
	if p.after != nil {
		after, err := decodeCursor(*p.after, ord, "after")
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(items, after, func(it, k place) int {
			return cmp.Or(compare(it, k), -1) // first item strictly after the cursor
		})
	}
	if p.before != nil {
		before, err := decodeCursor(*p.before, ord, "before")
		if err != nil {
			return nil, err
		}
		end, _ = slices.BinarySearchFunc(items, before, compare)
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
	nodes := make([]*T, len(pageItems))
	for i, it := range pageItems {
		nodes[i] = matched[it.at]
	}
	cursor := func(i int) string { return encodeCursor(ord, pageItems[i]) }
	return model.NewConnection(nodes, cursor, len(items), start > 0, end < len(items)), nil
}

// place is a record's position in an ordering: its sort key, then its id.
type place struct {
	key string
	id  clevertim.ID
	at  int // index of the record, for building the page
}

func (a place) compare(b place) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return compareIDs(a.id, b.id)
}

func (p page) check() error {
	for name, n := range map[string]*int{"first": p.first, "last": p.last} {
		if n != nil && (*n < 0 || *n > MaxPageSize) {
			return inputError(name, "must be between 0 and %d, got %d", MaxPageSize, *n)
		}
	}
	return nil
}

const cursorVersion = "c1"

func orderTag[T any](ord ordering[T]) string {
	if ord.desc {
		return ord.name + ":desc"
	}
	return ord.name + ":asc"
}

func encodeCursor[T any](ord ordering[T], pl place) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "\x01" + orderTag(ord) + "\x01" + pl.key + "\x01" + string(pl.id)))
}

func decodeCursor[T any](cursor string, ord ordering[T], arg string) (place, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.Split(string(raw), "\x01")
	if err != nil || len(parts) != 4 || parts[0] != cursorVersion || parts[3] == "" {
		return place{}, inputError(arg, "%q is not a cursor of this connection", cursor)
	}
	if parts[1] != orderTag(ord) {
		return place{}, inputError(arg, "the cursor was issued for the order %s, not %s; start again from the first page", parts[1], orderTag(ord))
	}
	return place{key: parts[2], id: clevertim.ID(parts[3])}, nil
}

// compareIDs orders numeric ids by value, before other ids in text order.
func compareIDs(a, b clevertim.ID) int {
	an, aok := a.Int()
	bn, bok := b.Int()
	switch {
	case aok && bok:
		return cmp.Compare(an, bn)
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(string(a), string(b))
}

// Sort keys for the field types the orderings use.

func textKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func timeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000")
}

func timePtrKey(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timeKey(*t)
}

// decimalKey orders decimal amounts as text: empty first, then negatives,
// then non-negative amounts by magnitude.
func decimalKey(d clevertim.Decimal) string {
	f, err := strconv.ParseFloat(string(d), 64)
	if err != nil {
		return ""
	}
	if f < 0 {
		return fmt.Sprintf("0%025.6f", 1e18+f)
	}
	return fmt.Sprintf("1%025.6f", f)
}

func direction(d model.OrderDirection) bool { return d == model.OrderDirectionDesc }
