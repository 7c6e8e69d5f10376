// Package loaders batches and caches the reads of one GraphQL request: one
// dataloader per resource, keyed by id, created fresh for every request.
package loaders

import (
	"context"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// Options tune how loaders fetch.
type Options struct {
	// Wait is how long a loader collects keys before it fetches them. The
	// resolvers of one level ask within microseconds of each other, so a
	// short wait batches a level without adding a noticeable delay.
	Wait time.Duration
	// ListThreshold: a batch with more keys than this fetches the whole
	// collection with one GET /r instead of one GET /r/{id} per key.
	ListThreshold int
	// Concurrency bounds the GET /r/{id} requests one batch has in flight.
	Concurrency int
	// Cache, if set, keeps reads across requests (see Cache).
	Cache *Cache
}

// DefaultOptions suit a remote Clevertim.
func DefaultOptions() Options {
	return Options{Wait: 2 * time.Millisecond, ListThreshold: 12, Concurrency: 12}
}

// WithDefaults fills the zero fields from DefaultOptions.
func (o Options) WithDefaults() Options {
	def := DefaultOptions()
	if o.Wait <= 0 {
		o.Wait = def.Wait
	}
	if o.ListThreshold <= 0 {
		o.ListThreshold = def.ListThreshold
	}
	if o.Concurrency <= 0 {
		o.Concurrency = def.Concurrency
	}
	return o
}

// Loaders holds the loaders of one request, all acting as one API key.
type Loaders struct {
	client *clevertim.Client
	cache  *Cache
	resets []func() // every loader's reset, for Invalidate

	Contacts      *Resource[clevertim.Contact]
	Companies     *Resource[clevertim.Company]
	Opportunities *Resource[clevertim.Opportunity]
	Cases         *Resource[clevertim.Case]
	Tasks         *Resource[clevertim.Task]
	Notes         *Resource[clevertim.Note]
	Comments      *Resource[clevertim.Comment]
	CustomFields  *Resource[clevertim.CustomField]
	Users         *Resource[clevertim.User]
	Groups        *Resource[clevertim.Group]
	Folders       *Resource[clevertim.Folder]
	Files         *Resource[clevertim.File]
	LinkedFiles   *Resource[clevertim.LinkedFile]
	Customers     *CustomerLoader
}

// New builds the loaders of one request for the client's API key.
func New(client *clevertim.Client, opts Options) *Loaders {
	opts = opts.WithDefaults()
	l := &Loaders{client: client, cache: opts.Cache}
	const small = true // few records: always fetched whole
	l.Contacts = add(l, opts, "contact", client.Contacts, !small)
	l.Companies = add(l, opts, "company", client.Companies, !small)
	l.Opportunities = add(l, opts, "opportunity", client.Opportunities, !small)
	l.Cases = add(l, opts, "case", client.Cases, !small)
	l.Tasks = add(l, opts, "task", client.Tasks, !small)
	l.Notes = add(l, opts, "note", client.Notes, !small)
	l.Comments = add(l, opts, "comment", client.Comments, !small)
	l.CustomFields = add(l, opts, "custom field", client.CustomFields, small)
	l.Users = add(l, opts, "user", client.Users, small)
	l.Groups = add(l, opts, "group", client.Groups, small)
	l.Folders = add(l, opts, "folder", client.Folders, small)
	l.Files = add(l, opts, "file", client.Files, !small)
	l.LinkedFiles = add(l, opts, "linked file", client.LinkedFiles, !small)
	l.Customers = newCustomerLoader(l.Contacts, l.Companies, opts)
	l.resets = append(l.resets, l.Customers.reset)
	return l
}

// service is the part of a client service a loader uses.
type service[T any] interface {
	Get(context.Context, clevertim.ID) (*T, error)
	List(context.Context) ([]*T, error)
}

// record is what every Clevertim record is: something with an id.
type record[T any] interface {
	*T
	RecordID() clevertim.ID
}

func add[T any, P record[T]](l *Loaders, opts Options, name string, svc service[T], small bool) *Resource[T] {
	idOf := func(x *T) clevertim.ID { return P(x).RecordID() }
	r := newResource(name, opts, small, svc.Get, svc.List, idOf, l.client.APIKey())
	l.resets = append(l.resets, r.reset)
	return r
}

// Client is the API client of the request's key, for writes.
func (l *Loaders) Client() *clevertim.Client { return l.client }

// Invalidate forgets everything loaded so far, and empties the shared cache.
// A mutation calls it, so that what is read next reflects the write (a new
// note's id in its contact's notes, say).
func (l *Loaders) Invalidate() {
	l.cache.Invalidate()
	for _, reset := range l.resets {
		reset()
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
