package loaders

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
	list  func(context.Context) ([]*T, error)
	idOf  func(*T) clevertim.ID

	mu     sync.Mutex
	loader *dataloader.Loader[clevertim.ID, *T]
	all    *collection[T]
}

// collection is one GET /r shared by everyone in the request who needs it.
type collection[T any] struct {
	done   chan struct{}
	loader *dataloader.Loader[clevertim.ID, *T] // the one to prime
	recs   []*T
	byID   map[clevertim.ID]*T
	err    error
}

func newResource[T any](name string, opts Options, small bool,
	get func(context.Context, clevertim.ID) (*T, error), list func(context.Context) ([]*T, error),
	idOf func(*T) clevertim.ID) *Resource[T] {
	r := &Resource[T]{name: name, opts: opts, small: small, get: get, list: list, idOf: idOf}
	r.reset()
	return r
}

func (r *Resource[T]) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loader = dataloader.NewBatchedLoader(r.batch, dataloader.WithWait[clevertim.ID, *T](r.opts.Wait))
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
	loader := r.current()
	return loader.Load(ctx, id)()
}

// LoadMany returns the records that exist, in the order of ids, and one
// error per id that failed.
func (r *Resource[T]) LoadMany(ctx context.Context, ids []clevertim.ID) ([]*T, []error) {
	if len(ids) == 0 {
		return nil, nil
	}
	loader := r.current()
	recs, errs := loader.LoadMany(ctx, ids)()
	out := make([]*T, 0, len(recs))
	var failed []error
	for i, rec := range recs {
		if i < len(errs) && errs[i] != nil {
			failed = append(failed, errs[i])
			continue
		}
		out = append(out, rec)
	}
	return out, failed
}

// Prime adds records fetched elsewhere (by a list or a write) to the cache.
func (r *Resource[T]) Prime(ctx context.Context, recs ...*T) {
	loader := r.current()
	for _, rec := range recs {
		loader.Prime(ctx, r.idOf(rec), rec)
	}
}

// All returns every record the key may see, fetching the collection once per
// request however many resolvers ask, and primes the cache with it.
func (r *Resource[T]) All(ctx context.Context) ([]*T, error) {
	c := r.collection(ctx)
	<-c.done
	return c.recs, c.err
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
	r.all = &collection[T]{done: make(chan struct{}), loader: r.loader}
	return r.all, true
}

func (r *Resource[T]) fill(ctx context.Context, c *collection[T]) {
	defer close(c.done)
	c.recs, c.err = r.list(ctx)
	if c.err != nil {
		return
	}
	c.byID = make(map[clevertim.ID]*T, len(c.recs))
	for _, rec := range c.recs {
		id := r.idOf(rec)
		c.byID[id] = rec
		c.loader.Prime(ctx, id, rec)
	}
}

func (r *Resource[T]) notFound(id clevertim.ID) error {
	return &NotFoundError{Resource: r.name, ID: id}
}

// batch fetches the keys the cheapest way: from the collection when it is
// small, already fetched or being fetched, or when the batch is large;
// otherwise one GET per key, a bounded number at a time.
func (r *Resource[T]) batch(ctx context.Context, keys []clevertim.ID) []*dataloader.Result[*T] {
	results := make([]*dataloader.Result[*T], len(keys))
	if r.small || r.started() != nil || len(keys) > r.opts.ListThreshold {
		c := r.collection(ctx)
		<-c.done
		for i, id := range keys {
			switch rec, ok := c.byID[id]; {
			case c.err != nil:
				results[i] = &dataloader.Result[*T]{Error: c.err}
			case ok:
				results[i] = &dataloader.Result[*T]{Data: rec}
			default:
				results[i] = &dataloader.Result[*T]{Error: r.notFound(id)}
			}
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
