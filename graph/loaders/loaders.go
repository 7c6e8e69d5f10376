// Package loaders batches and caches the reads of one GraphQL request: one
// dataloader per resource, keyed by id, created fresh for every request.
package loaders

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
)

// Options tune how loaders fetch.
type Options struct {
	// Wait is how long a loader collects keys before it fetches them. The
	// resolvers of one level ask within microseconds of each other, so a
	// short wait batches a level without adding a noticeable delay.
	Wait time.Duration
	// ListThreshold is the most keys one batch fetches one by one (GET
	// /r/{id} each) while the collection's size is unknown and the key has
	// read no collection to guess it from (Stats.guess); a larger batch
	// fetches the whole collection (GET /r), which shows its size. Once the
	// size is known or guessed, the time each way decides (see
	// cheaperByID). Default: two rounds of Concurrency.
	ListThreshold int
	// Concurrency bounds the GET /r/{id} requests one batch has in flight.
	Concurrency int
	// KeyConcurrency is the most requests the key has in flight, all
	// batches together (0: no limit); a batch counts on the smaller of the
	// two.
	KeyConcurrency int
	// Budget is the operation's upstream budget (0: none); a batch goes by
	// id only when the budget leaves its requests (upstream.Reserve).
	// Negative: choices ignore the budget, which still refuses requests
	// past it.
	Budget int
	// Link is the upstream's round trip and throughput, which the choice
	// between ids and a collection weighs; nil: upstream.DefaultLinkModel.
	// The handler makes one that learns; tests fix one (upstream.FixedLink).
	Link *upstream.Link
	// Stats, if set, remembers collection sizes across requests, so that
	// the choice between ids and a collection is made on what it costs.
	Stats *Stats
	// Replica, if set, keeps each key's collections across requests (see
	// Replica).
	Replica *Replica
	// Tracer, if set, gives every batch a span.
	Tracer trace.Tracer
}

// DefaultOptions suit a remote Clevertim.
func DefaultOptions() Options {
	return Options{Wait: 2 * time.Millisecond, ListThreshold: 24, Concurrency: 12}
}

// WithDefaults fills the zero fields from DefaultOptions.
func (o Options) WithDefaults() Options {
	def := DefaultOptions()
	if o.Wait <= 0 {
		o.Wait = def.Wait
	}
	if o.Concurrency <= 0 {
		o.Concurrency = def.Concurrency
	}
	if o.ListThreshold <= 0 {
		o.ListThreshold = 2 * o.Concurrency
	}
	return o
}

// Loaders holds the loaders of one request, all acting as one API key. A
// resource's loader is made the first time the request asks for it (Of),
// from the resource's Kind, declared once where the resource is described.
type Loaders struct {
	client  *clevertim.Client
	opts    Options
	keyHash [sha256.Size]byte // of the client's API key, hashed once

	// resources maps a *Kind to its *Resource. Every load looks its loader
	// up, so reads take no lock; mu orders the making of new ones.
	resources sync.Map
	mu        sync.Mutex
	customers *CustomerLoader
}

// New builds the loaders of one request for the client's API key.
func New(client *clevertim.Client, opts Options) *Loaders {
	return &Loaders{client: client, opts: opts.WithDefaults(), keyHash: [sha256.Size]byte(client.KeyHash())}
}

// Kind describes the loader of one resource.
type Kind[T any] struct {
	// Name names the resource in errors: "contact".
	Name string
	// Small resources (users, groups, custom fields, folders) are few: their
	// collection is always fetched whole.
	Small bool
	// Service is the client's service for the resource.
	Service func(*clevertim.Client) Service[T]
}

// Service is the part of a client service a loader uses.
type Service[T any] interface {
	Get(context.Context, clevertim.ID) (*T, error)
	List(context.Context) ([]*T, error)
}

// Of returns the request's loader of kind k, making it on first use. k must
// be the same pointer each time (a package-level declaration).
func Of[T any, P clevertim.RecordPtr[T]](l *Loaders, k *Kind[T]) *Resource[T] {
	if r, ok := l.resources.Load(k); ok {
		return r.(*Resource[T])
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.resources.Load(k); ok {
		return r.(*Resource[T])
	}
	svc := k.Service(l.client)
	idOf := func(x *T) clevertim.ID { return P(x).RecordID() }
	r := newResource(k.Name, l.opts, k.Small, svc.Get, svc.List, idOf, l.keyHash)
	l.resources.Store(k, r)
	return r
}

// Customers is the request's loader of `cust` references, which look among
// contacts, then companies.
func (l *Loaders) Customers(contacts *Resource[clevertim.Contact], companies *Resource[clevertim.Company]) *CustomerLoader {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.customers == nil {
		l.customers = newCustomerLoader(contacts, companies, l.opts)
	}
	return l.customers
}

// Client is the API client of the request's key, for writes.
func (l *Loaders) Client() *clevertim.Client { return l.client }

// Wrote tells the loaders that the request wrote the record id of kind k:
// rec is what Clevertim returned, nil for a delete. The request forgets what
// it loaded, so that what it reads next reflects the write (a new note's id
// in its contact's notes, say), and the replica updates in place (Replica).
func Wrote[T any, P clevertim.RecordPtr[T]](l *Loaders, k *Kind[T], id clevertim.ID, rec *T) {
	Of[T, P](l, k).wrote(id, rec, true)
	l.reset()
}

// Kept is the record id of kind k as the key's replica holds it (before a
// write, to know what it referred to); false without it.
func Kept[T any, P clevertim.RecordPtr[T]](l *Loaders, k *Kind[T], id clevertim.ID) (*T, bool) {
	r := Of[T, P](l, k)
	if r.peek == nil {
		return nil, false
	}
	return r.peek(id)
}

// Reread reads the record id of kind k from Clevertim into the key's
// replica, when the replica holds its collection: a parent whose id lists a
// write changed (a contact gaining a note). Other keys' copies keep theirs
// until their next refresh. A record the key cannot read is left alone.
func Reread[T any, P clevertim.RecordPtr[T]](ctx context.Context, l *Loaders, k *Kind[T], id clevertim.ID) error {
	r := Of[T, P](l, k)
	if !r.has() {
		return nil
	}
	rec, err := r.fetch(ctx, id)
	if errors.Is(err, clevertim.ErrNotFound) {
		return nil
	}
	if err != nil {
		// The key's copy of the parent is out of date: read it whole
		// before serving it again.
		r.expire()
		return err
	}
	r.wrote(id, rec, false)
	return nil
}

// reset forgets everything the request loaded.
func (l *Loaders) reset() {
	l.resources.Range(func(_, r any) bool {
		r.(interface{ reset() }).reset()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.customers != nil {
		l.customers.reset()
	}
}

type ctxKey struct{}

// With returns a context carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the request's loaders. It panics when the middleware did not
// install them: that is a wiring bug, not a runtime condition.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loaders: no loaders in context; is the middleware installed?")
	}
	return l
}
