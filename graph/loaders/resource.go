package loaders

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// NotFoundError is a record that does not exist or that the API key may not
// see; Clevertim does not tell the two apart.
type NotFoundError struct {
	Resource string
	ID       clevertim.ID
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %s not found", e.Resource, e.ID) }

// Is makes a NotFoundError match clevertim.ErrNotFound.
func (e *NotFoundError) Is(target error) bool { return target == clevertim.ErrNotFound }

// Resource loads records of one kind by id, and the whole collection at
// most once per request.
type Resource[T any] struct {
	name  string
	opts  Options
	small bool
	get   func(context.Context, clevertim.ID) (*T, error)
	list  func(context.Context) (*Snapshot[T], error)
	// peek answers from the cross-request cache without waiting for a
	// batch; nil without a cache.
	peek  func(clevertim.ID) (*T, bool)
	stats statsKey
	// wrote applies a write of this request to the replica; fetch reads
	// one record from Clevertim, past the replica.
	wrote func(id clevertim.ID, rec *T, others bool)
	fetch func(context.Context, clevertim.ID) (*T, error)
	has   func() bool // whether the replica holds the key's collection
	// expire makes the key's next read of the collection wait for Clevertim.
	expire func()

	mu     sync.Mutex
	loader *dataloader.Loader[clevertim.ID, *T]
	all    *collection[T]
}

// collection is one GET /r shared by everyone in the request who needs it.
type collection[T any] struct {
	done chan struct{}
	snap *Snapshot[T]
	recs []*T
	byID map[clevertim.ID]*T
	err  error
}

func newResource[T any](name string, opts Options, small bool,
	get func(context.Context, clevertim.ID) (*T, error), list func(context.Context) ([]*T, error),
	idOf func(*T) clevertim.ID, keyHash [sha256.Size]byte) *Resource[T] {
	sk := statsKey{key: keyHash, resource: name}
	measured := func(ctx context.Context) ([]*T, error) {
		recs, err := list(ctx)
		if err == nil {
			opts.Stats.put(sk, measure(recs), small)
		}
		return recs, err
	}
	fetch := get
	get, indexed, peek := through(opts.Replica, keyHash, name, idOf, get, measured)
	r := &Resource[T]{name: name, opts: opts, small: small, get: get, list: indexed, peek: peek, stats: sk,
		wrote: func(id clevertim.ID, rec *T, others bool) {
			wrote(opts.Replica, keyHash, id, rec, idOf, others)
			if opts.Replica != nil && rec != nil {
				// Read by id too, when the key has no copy of the collection.
				storeRecord(opts.Replica, entryKey{key: keyHash, resource: reflect.TypeFor[T](), id: id}, rec, opts.Replica.epoch())
			}
		},
		fetch: fetch,
		has: func() bool {
			return opts.Replica != nil && opts.Replica.holds(entryKey{key: keyHash, resource: reflect.TypeFor[T]()})
		},
		expire: func() {
			if opts.Replica != nil {
				opts.Replica.expire(entryKey{key: keyHash, resource: reflect.TypeFor[T]()})
			}
		}}
	r.reset()
	return r
}

// Small reports whether the collection is always fetched whole: users,
// groups, custom fields and folders are few.
func (r *Resource[T]) Small() bool { return r.small }

func (r *Resource[T]) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loader = dataloader.NewBatchedLoader(r.batch, append(tracerOption[clevertim.ID, *T](r.opts.Tracer, r.name),
		dataloader.WithWait[clevertim.ID, *T](r.opts.Wait))...)
	r.all = nil
}

func (r *Resource[T]) current() *dataloader.Loader[clevertim.ID, *T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loader
}

// Load returns one record; a record that does not exist (or may not be seen)
// is a *NotFoundError.
func (r *Resource[T]) Load(ctx context.Context, id clevertim.ID) (*T, error) {
	if c := r.started(); c != nil {
		return c.lookup(ctx, r, id)
	}
	if r.peek != nil {
		if rec, ok := r.peek(id); ok {
			return rec, nil
		}
	}
	return r.current().Load(ctx, id)()
}

// lookup finds a record in the collection, waiting for it if it is still in
// flight: once a request fetches the collection, no loader needs to wait
// for a batch.
func (c *collection[T]) lookup(ctx context.Context, r *Resource[T], id clevertim.ID) (*T, error) {
	<-c.done
	if c.err != nil {
		return nil, c.err
	}
	if rec, ok := c.byID[id]; ok {
		return rec, nil
	}
	if c.snap != nil && c.snap.dropped[id] {
		// Another key wrote it: what this key sees of it now, only
		// Clevertim can say.
		rec, err := r.get(ctx, id)
		if errors.Is(err, clevertim.ErrNotFound) {
			err = r.notFound(id)
		}
		return rec, err
	}
	return nil, r.notFound(id)
}

// LoadMany returns the records that exist, in the order of ids, and one
// error per id that failed.
func (r *Resource[T]) LoadMany(ctx context.Context, ids []clevertim.ID) ([]*T, []error) {
	recs, errs := r.loadEach(ctx, ids)
	out := make([]*T, 0, len(recs))
	var failed []error
	for i, rec := range recs {
		if errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		out = append(out, rec)
	}
	return out, failed
}

// loadEach returns a record or an error for each id, index for index.
func (r *Resource[T]) loadEach(ctx context.Context, ids []clevertim.ID) ([]*T, []error) {
	recs, errs := make([]*T, len(ids)), make([]error, len(ids))
	if len(ids) == 0 {
		return recs, errs
	}
	if c := r.started(); c != nil {
		for i, id := range ids {
			recs[i], errs[i] = c.lookup(ctx, r, id)
		}
		return recs, errs
	}
	missing := ids
	var at []int // where each missing id goes
	if r.peek != nil {
		missing = nil
		for i, id := range ids {
			if rec, ok := r.peek(id); ok {
				recs[i] = rec
				continue
			}
			missing, at = append(missing, id), append(at, i)
		}
		if len(missing) == 0 {
			return recs, errs
		}
	}
	got, gotErrs := r.current().LoadMany(ctx, missing)()
	for j := range missing {
		i := j
		if at != nil {
			i = at[j]
		}
		recs[i] = got[j]
		if gotErrs != nil { // nil when every id loaded
			errs[i] = gotErrs[j]
		}
	}
	return recs, errs
}

// All returns every record the key may see, fetching the collection once per
// request however many resolvers ask.
func (r *Resource[T]) All(ctx context.Context) ([]*T, error) {
	c := r.collection(ctx)
	<-c.done
	return c.recs, c.err
}

// Snapshot is the collection as All reads it, with the indexes built on it:
// with the replica, shared by every request of the key until it is
// refreshed.
func (r *Resource[T]) Snapshot(ctx context.Context) (*Snapshot[T], error) {
	c := r.collection(ctx)
	<-c.done
	return c.snap, c.err
}

func (r *Resource[T]) started() *collection[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all
}

func (r *Resource[T]) collection(ctx context.Context) *collection[T] {
	c, fresh := r.claim()
	if fresh {
		r.fill(ctx, c)
	}
	return c
}

// Prefetch starts fetching the collection without waiting for it, so that
// loads arriving later find it in flight. The returned function waits
// until it is done.
func (r *Resource[T]) Prefetch(ctx context.Context) (wait func()) {
	c, fresh := r.claim()
	if fresh {
		go r.fill(ctx, c)
	}
	return func() { <-c.done }
}

// claim returns the request's collection, creating it when it is the first
// to ask (fresh), which makes the caller responsible for filling it.
func (r *Resource[T]) claim() (c *collection[T], fresh bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.all != nil {
		return r.all, false
	}
	r.all = &collection[T]{done: make(chan struct{})}
	return r.all, true
}

func (r *Resource[T]) fill(ctx context.Context, c *collection[T]) {
	defer close(c.done)
	ctx, end := collectionSpan(ctx, r.opts.Tracer, r.name)
	defer end()
	// Loads look records up in the index (lookup) rather than in the
	// loader's cache: priming thousands of thunks per request costs more
	// than it saves.
	coll, err := r.list(ctx)
	if err != nil {
		c.err = err
		return
	}
	c.snap, c.recs, c.byID = coll, coll.recs, coll.byID
}

func (r *Resource[T]) notFound(id clevertim.ID) error {
	return &NotFoundError{Resource: r.name, ID: id}
}

// WantsCollection reports whether n records of this resource are cheaper
// read with the whole collection than one by one: always for a small
// resource or a collection the request already has, else by cheaperByID.
// The loaders and the query planner decide with it alike; a batch also
// needs the operation's budget to leave its requests (Options.reserve).
func (r *Resource[T]) WantsCollection(n int) bool {
	if r.small || r.started() != nil {
		return true
	}
	size, k := r.opts.Stats.guess(r.stats)
	return !r.opts.cheaperByID(n, size, k, 0)
}

// WantsCollectionAfter is WantsCollection for n records whose ids are known
// only after `rounds` round trips (the levels of their parents): the query
// planner's question. A collection started now runs alongside those levels;
// GETs by id can only follow them.
func (r *Resource[T]) WantsCollectionAfter(n, rounds int) bool {
	if r.small || r.started() != nil {
		return true
	}
	size, k := r.opts.Stats.guess(r.stats)
	return !r.opts.cheaperByID(n, size, k, rounds)
}

// Count is how many records the key's last full read of the collection
// held; false before one.
func (r *Resource[T]) Count() (int, bool) {
	size, ok := r.opts.Stats.get(r.stats)
	return size.count, ok
}

// times is what n records cost by id and whole, as WantsCollection weighs
// them; a collection the request has costs nothing. Before the size is
// known or guessed, the times count the round trips only.
func (r *Resource[T]) times(n int) (byID, whole time.Duration) {
	if r.small || r.started() != nil {
		return 0, 0
	}
	size, k := r.opts.Stats.guess(r.stats)
	return r.opts.estimate(n, size, k)
}

// batch fetches the keys the cheapest way (WantsCollection): from the
// collection, or one GET per key, a bounded number at a time.
func (r *Resource[T]) batch(ctx context.Context, keys []clevertim.ID) []*dataloader.Result[*T] {
	results := make([]*dataloader.Result[*T], len(keys))
	whole := r.WantsCollection(len(keys))
	if !whole {
		var release func()
		var ok bool
		if ctx, release, ok = r.opts.reserve(ctx, len(keys)); ok {
			defer release()
		} else {
			whole = true
		}
	}
	if whole {
		c := r.collection(ctx)
		for i, id := range keys {
			rec, err := c.lookup(ctx, r, id)
			results[i] = &dataloader.Result[*T]{Data: rec, Error: err}
		}
		return results
	}
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	for i, id := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			rec, err := r.get(ctx, id)
			if errors.Is(err, clevertim.ErrNotFound) {
				err = r.notFound(id)
			}
			results[i] = &dataloader.Result[*T]{Data: rec, Error: err}
		}()
	}
	wg.Wait()
	return results
}
