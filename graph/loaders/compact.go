package loaders

import (
	"encoding/binary"
	"reflect"
)

// The replica keeps decoded records, which are larger than their JSON:
// every string, list and pointer is a header and an allocation of its own.
// Two things make the records of a collection read cheaper to keep, both
// done on records just decoded, before anyone else can see them, and both
// exact: only equal values are shared, and stored records are never
// changed (Snapshot), so sharing their memory is safe.

// interner makes equal strings of one collection read share one copy:
// statuses, types, tags, countries, cities, user ids and texts that repeat
// (a note's headline is often its text) are kept once per read, and so are
// pointers to equal strings (a note's type, the company of its contacts)
// and equal lists of strings (tags, a custom field's values, a note's
// customers). It lives for one read, so it holds nothing once the read is
// stored.
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

// share sets v to the first value the read met of v's type and content s,
// or remembers v as that value.
func (in *interner) share(v reflect.Value, s string) {
	k := typedString{v.Type(), s}
	if first, ok := in.first[k]; ok {
		v.Set(first)
		return
	}
	in.first[k] = v
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

// strings walks v, a record or a part of one, and replaces each string it
// may set with the first equal one the read met.
func (in *interner) strings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if s == "" || !v.CanSet() {
			return
		}
		if first, ok := in.strs[s]; ok {
			v.SetString(first)
			return
		}
		in.strs[s] = s
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		in.strings(v.Elem())
		if v.Elem().Kind() == reflect.String && v.CanSet() {
			in.share(v, v.Elem().String())
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			// Unexported fields (time.Time's, say) cannot be set, and
			// hold no string the replica keeps per record.
			if t.Field(i).IsExported() {
				in.strings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			in.strings(v.Index(i))
		}
		if v.Kind() == reflect.Slice && v.Len() > 0 && v.Type().Elem().Kind() == reflect.String && v.CanSet() {
			in.share(v, listContent(v))
		}
	case reflect.Map:
		// A map's values cannot be set in place: each is copied, shared
		// and put back under its key (which stays).
		it := v.MapRange()
		for it.Next() {
			val := reflect.New(v.Type().Elem()).Elem()
			val.Set(it.Value())
			in.strings(val)
			v.SetMapIndex(it.Key(), val)
		}
	}
}

// shareFields makes rec use old's memory for each field the two have
// equal: old is the record of the same id as another key was sent it, and
// two keys' versions of a record differ mostly in a list or two (the
// notes, tasks or opportunities each may see). rec and old are structs of
// one type, rec settable.
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
