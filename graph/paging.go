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
// the order and the record's sort key, so a cursor stays valid while the
// caller keeps the same filter and order, even when records are added or
// removed elsewhere in the list.
func connect[T any](recs []*T, match func(*T) bool, ord ordering[T], id func(*T) clevertim.ID, p page) (*model.Connection[T], error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	type item struct {
		rec *T
		key string
	}
	items := make([]item, 0, len(recs))
	for _, r := range recs {
		if match == nil || match(r) {
			items = append(items, item{r, ord.key(r) + "\x00" + idKey(id(r))})
		}
	}
	compare := func(a, b string) int {
		if ord.desc {
			return strings.Compare(b, a)
		}
		return strings.Compare(a, b)
	}
	slices.SortFunc(items, func(a, b item) int { return compare(a.key, b.key) })

	start, end := 0, len(items)
	if p.after != nil {
		k, err := decodeCursor(*p.after, ord, "after")
		if err != nil {
			return nil, err
		}
		start, _ = slices.BinarySearchFunc(items, k, func(it item, k string) int {
			return cmp.Or(compare(it.key, k), -1) // first item strictly after k
		})
	}
	if p.before != nil {
		k, err := decodeCursor(*p.before, ord, "before")
		if err != nil {
			return nil, err
		}
		end, _ = slices.BinarySearchFunc(items, k, func(it item, k string) int { return compare(it.key, k) })
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
	conn := &model.Connection[T]{
		Edges:      make([]*model.Edge[T], 0, end-start),
		Nodes:      make([]*T, 0, end-start),
		TotalCount: len(items),
		PageInfo:   &model.PageInfo{HasPreviousPage: start > 0, HasNextPage: end < len(items)},
	}
	for _, it := range items[start:end] {
		conn.Edges = append(conn.Edges, &model.Edge[T]{Node: it.rec, Cursor: encodeCursor(ord, it.key)})
		conn.Nodes = append(conn.Nodes, it.rec)
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn, nil
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

func encodeCursor[T any](ord ordering[T], key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorVersion + "\x01" + orderTag(ord) + "\x01" + key))
}

func decodeCursor[T any](cursor string, ord ordering[T], arg string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	parts := strings.SplitN(string(raw), "\x01", 3)
	if err != nil || len(parts) != 3 || parts[0] != cursorVersion {
		return "", inputError(arg, "%q is not a cursor of this connection", cursor)
	}
	if parts[1] != orderTag(ord) {
		return "", inputError(arg, "the cursor was issued for the order %s, not %s; start again from the first page", parts[1], orderTag(ord))
	}
	return parts[2], nil
}

// idKey makes ids sort in numeric order as text; non-numeric ids come after.
func idKey(id clevertim.ID) string {
	if n, ok := id.Int(); ok && n >= 0 {
		return fmt.Sprintf("%020d", n)
	}
	return "~" + string(id)
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
