package loaders

import (
	"encoding/binary"
	"reflect"
)

// The replica keeps decoded records, which are larger than their JSON:
// every string, list and pointer is a header and an allocation of its own.
// Two things make a record new to the replica cheaper to keep, both exact
// (only equal values are shared) and both safe because stored records are
// never changed (Snapshot): the record kept is a copy made of the read's
// first equal strings and lists, and where another version of it is kept
// already, that version's equal fields.

// interner copies the records of one collection read so that equal strings
// share one copy: statuses, types, tags, countries, cities, user ids and
// texts that repeat (a note's headline is often its text) are kept once per
// read, and so are pointers to equal strings (a note's type, the company of
// its contacts) and equal lists of strings (tags, a custom field's values,
// a note's customers). It copies rather than changes the records it is
// given: concurrent readers of one collection share the decoded records
// (clevertim's read sharing), and must not see them change. It lives for
// one read, so it holds nothing once the read is stored.
type interner struct {
	strs  map[string]string
	first map[typedString]reflect.Value // pointers and lists, by content
}

// typedString is a pointer to a string or a list of strings: its type and
// its content (a list's strings each after its length, so that no two
// lists read alike).
type typedString struct {
	t reflect.Type
	s string
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, first: map[typedString]reflect.Value{}}
}

// clone returns a copy of rec, a pointer to a record, that shares with rec
// nothing but memory no one changes (strings, times), made of the read's
// first equal strings and lists.
func clone[T any](in *interner, rec *T) *T {
	out := new(T)
	in.fill(reflect.ValueOf(out).Elem(), reflect.ValueOf(rec).Elem())
	return out
}

// fill sets dst, which is the interner's own, to a copy of src.
func (in *interner) fill(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.String:
		s := src.String()
		if first, ok := in.strs[s]; ok {
			s = first
		} else {
			in.strs[s] = s
		}
		dst.SetString(s)
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		p := reflect.New(src.Type().Elem())
		in.fill(p.Elem(), src.Elem())
		if p.Elem().Kind() == reflect.String {
			p = in.share(p, p.Elem().String())
		}
		dst.Set(p)
	case reflect.Struct:
		// The whole value first: unexported fields (a time's) cannot be
		// set one by one, and hold nothing anyone changes.
		dst.Set(src)
		t := src.Type()
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				in.fill(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		if src.Len() == 0 {
			// Empty, not absent (null and [] read differently), and
			// holding none of src's memory.
			dst.Set(reflect.MakeSlice(src.Type(), 0, 0))
			return
		}
		l := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			in.fill(l.Index(i), src.Index(i))
		}
		if src.Type().Elem().Kind() == reflect.String {
			l = in.share(l, listContent(l))
		}
		dst.Set(l)
	case reflect.Array:
		for i := range src.Len() {
			in.fill(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		k, v := reflect.New(src.Type().Key()).Elem(), reflect.New(src.Type().Elem()).Elem()
		for it := src.MapRange(); it.Next(); {
			in.fill(k, it.Key())
			in.fill(v, it.Value())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	default:
		dst.Set(src)
	}
}

// share returns the first value the read met of v's type and content s,
// or remembers v as that value.
func (in *interner) share(v reflect.Value, s string) reflect.Value {
	k := typedString{v.Type(), s}
	if first, ok := in.first[k]; ok {
		return first
	}
	in.first[k] = v
	return v
}

// listContent is what share compares a list of strings by.
func listContent(v reflect.Value) string {
	var b []byte
	for i := range v.Len() {
		s := v.Index(i).String()
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return string(b)
}

// shareFields makes rec use old's memory for each field the two have
// equal: old is the record of the same id as the replica holds it already
// (another key's version, or this key's before a refresh), and two
// versions of a record differ mostly in a field or two (the notes, tasks or
// opportunities each key may see, the field a write changed). rec and old
// are structs of one type, rec settable and not yet seen by anyone else.
func shareFields(rec, old reflect.Value) {
	t := rec.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		mine, theirs := rec.Field(i), old.Field(i)
		switch mine.Kind() {
		case reflect.Struct:
			// Embedded parts (Record, Customer) hold fields; other
			// structs (times) are values with nothing to share.
			if f.Anonymous {
				shareFields(mine, theirs)
			}
		case reflect.String:
			if mine.String() == theirs.String() {
				mine.Set(theirs)
			}
		case reflect.Slice, reflect.Map, reflect.Pointer:
			if !mine.IsNil() && !theirs.IsNil() && reflect.DeepEqual(mine.Interface(), theirs.Interface()) {
				mine.Set(theirs)
			}
		}
	}
}
