package clevertim

import (
	"encoding/json"
	"runtime"
	"sync"
	"weak"
)

// asStored remembers the JSON that records read one at a time (Get, and the
// answers of Create and Update) were decoded from, so that Update can send
// back the fields its caller did not change exactly as Clevertim stored
// them: the model reads null, "" and a missing list alike, and writing its
// reading back would turn an untouched null into "".
//
// It is keyed by the record's address, weakly: the entry goes when the
// caller drops the record, and the model carries no hidden field that would
// make two equal records compare unequal.
type asStored struct{ m sync.Map } // weak.Pointer[T] -> json.RawMessage

func rememberStored[T any](s *asStored, rec *T, raw json.RawMessage) {
	key := weak.Make(rec)
	s.m.Store(key, raw)
	runtime.AddCleanup(rec, func(k weak.Pointer[T]) { s.m.Delete(k) }, key)
}

// storedOf is the JSON rec was read from, or nil for a record this client
// did not read (built by the caller, or a copy).
func storedOf[T any](s *asStored, rec *T) json.RawMessage {
	v, ok := s.m.Load(weak.Make(rec))
	if !ok {
		return nil
	}
	return v.(json.RawMessage)
}
