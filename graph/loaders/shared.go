package loaders

import (
	"container/list"
	"context"
	"encoding/hex"
	"encoding/json"
	"maps"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// SharedStore is what the replicas of several processes share (Redis, see
// internal/rediscache), so that a collection one process fetched serves
// all. key is the hex SHA-256 of an API key, resource a record type's
// name: no key and no content crosses it but the collections themselves.
// It never fails a read because of itself: its own failures are misses.
type SharedStore interface {
	// Fetch returns the collection's JSON from the store while it is
	// fresh, with its age; else runs fetch, one process at a time across
	// all (the others wait for its result), and stores what it returns.
	Fetch(ctx context.Context, key, resource string, fetch func(context.Context) ([]byte, error)) ([]byte, time.Duration, error)
	// Wrote reports that key wrote the record id of resource (with
	// others, a change other keys may see; without, a reread of key's own
	// copy): the store stops serving the copies it may change, and the
	// other processes' replicas hear it.
	Wrote(ctx context.Context, key, resource, id string, others bool)
	// Subscribe calls f for the writes the other processes report, until
	// ctx is done.
	Subscribe(ctx context.Context, f func(key, resource, id string, others bool))
}

// Share makes the replica fetch collections through s and hear the other
// processes' writes, until ctx is done. Call it before the replica is used.
func (c *Replica) Share(ctx context.Context, s SharedStore) {
	c.remote = s
	s.Subscribe(ctx, c.remoteWrote)
}

// listShared is list through the shared store, when there is one; age is
// how old the copy it returns is.
func listShared[T any](ctx context.Context, c *Replica, k entryKey, list func(context.Context) ([]*T, error)) (
	[]*T, time.Duration, error) {
	if c.remote == nil {
		recs, err := list(ctx)
		return recs, 0, err
	}
	var recs []*T
	ran := false
	raw, age, err := c.remote.Fetch(ctx, hex.EncodeToString(k.key[:]), k.resource.String(),
		func(ctx context.Context) ([]byte, error) {
			var err error
			if recs, err = list(ctx); err != nil {
				return nil, err
			}
			ran = true
			return json.Marshal(recs)
		})
	if err != nil || ran {
		return recs, 0, err
	}
	if err := json.Unmarshal(raw, &recs); err != nil {
		// Not what a replica stored (another version's format): the
		// store is only an optimisation.
		recs, err := list(ctx)
		return recs, 0, err
	}
	return recs, age, nil
}

// shareWrite reports a write through the facade to the other processes.
func (c *Replica) shareWrite(writer [32]byte, resource string, id clevertim.ID, others bool) {
	if c.remote == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.remote.Wrote(ctx, hex.EncodeToString(writer[:]), resource, string(id), others)
}

// dropper is a snapshot that can lose one record without knowing its type.
type dropper interface {
	// drop returns the snapshot without the record id and lets that
	// record go; ok is false when it has none. Called with c.mu held.
	drop(c *Replica, id clevertim.ID) (snap holder, ok bool)
}

func (s *Snapshot[T]) drop(c *Replica, id clevertim.ID) (holder, bool) {
	old, ok := s.byID[id]
	if !ok {
		return s, false
	}
	recs := make([]*T, 0, len(s.recs)-1)
	sums := make([]uint64, 0, len(s.recs)-1)
	for i, r := range s.recs {
		if r == old {
			storeOf[T](c).unhold(c, s.sums[i], r)
			continue
		}
		recs, sums = append(recs, r), append(sums, s.sums[i])
	}
	byID := maps.Clone(s.byID)
	delete(byID, id)
	dropped := maps.Clone(s.dropped)
	if dropped == nil {
		dropped = map[clevertim.ID]bool{}
	}
	dropped[id] = true
	return &Snapshot[T]{recs: recs, sums: sums, byID: byID, dropped: dropped}, true
}

// remoteWrote applies a write another process made, knowing only who
// wrote which record, not what Clevertim returned: the writer's collections
// are read again before the writer is served from them (its write may
// change their id lists, and the writing process rereads only its own
// copies); with others, the other keys' copies lose that record (fetched by
// id when asked for) until their next refresh, as in the writing process.
func (c *Replica) remoteWrote(keyHex, resource, id string, others bool) {
	var writer [32]byte
	if n, err := hex.Decode(writer[:], []byte(keyHex)); err != nil || n != len(writer) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	c.touched(entryKey{key: writer})
	for k, el := range c.entries {
		e := el.Value.(*replicaEntry)
		switch {
		case k.key == writer && k.id == "":
			e.expired = true
			c.touched(k)
		case k.resource.String() != resource, !others:
		case k.id != "":
			if k.id == clevertim.ID(id) {
				c.forget(el)
			}
		default:
			d, ok := e.value.(dropper)
			if !ok {
				continue
			}
			snap, had := d.drop(c, clevertim.ID(id))
			if !had {
				continue
			}
			e.bytes -= recordOverhead
			c.bytes -= recordOverhead
			c.setValue(e, snap)
			c.touched(k)
		}
	}
	c.remoteWrites++
}

// forget drops an entry a write made wrong, and keeps a fetch that
// started before the write from storing it again. Called with c.mu held.
func (c *Replica) forget(el *list.Element) {
	e := el.Value.(*replicaEntry)
	c.lru.Remove(el)
	delete(c.entries, e.k)
	c.release(e)
	c.touched(e.k)
}

// RemoteWrites is how many writes of other processes the replica applied.
func (c *Replica) RemoteWrites() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remoteWrites
}
