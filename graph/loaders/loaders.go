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
	key := client.KeyHash() // hashed once per request, not once per resource
	l.Contacts = newResource("contact", opts, false, client.Contacts.Get, client.Contacts.List, func(c *clevertim.Contact) clevertim.ID { return c.ID }, key)
	l.Companies = newResource("company", opts, false, client.Companies.Get, client.Companies.List, func(c *clevertim.Company) clevertim.ID { return c.ID }, key)
	l.Opportunities = newResource("opportunity", opts, false, client.Opportunities.Get, client.Opportunities.List, func(c *clevertim.Opportunity) clevertim.ID { return c.ID }, key)
	l.Cases = newResource("case", opts, false, client.Cases.Get, client.Cases.List, func(c *clevertim.Case) clevertim.ID { return c.ID }, key)
	l.Tasks = newResource("task", opts, false, client.Tasks.Get, client.Tasks.List, func(c *clevertim.Task) clevertim.ID { return c.ID }, key)
	l.Notes = newResource("note", opts, false, client.Notes.Get, client.Notes.List, func(c *clevertim.Note) clevertim.ID { return c.ID }, key)
	l.Comments = newResource("comment", opts, false, client.Comments.Get, client.Comments.List, func(c *clevertim.Comment) clevertim.ID { return c.ID }, key)
	// Users, groups and custom fields are few: always fetched whole.
	l.CustomFields = newResource("custom field", opts, true, client.CustomFields.Get, client.CustomFields.List, func(c *clevertim.CustomField) clevertim.ID { return c.ID }, key)
	l.Users = newResource("user", opts, true, client.Users.Get, client.Users.List, func(c *clevertim.User) clevertim.ID { return c.ID }, key)
	l.Groups = newResource("group", opts, true, client.Groups.Get, client.Groups.List, func(c *clevertim.Group) clevertim.ID { return c.ID }, key)
	l.Folders = newResource("folder", opts, true, client.Folders.Get, client.Folders.List, func(c *clevertim.Folder) clevertim.ID { return c.ID }, key)
	l.Files = newResource("file", opts, false, client.Files.Get, client.Files.List, func(c *clevertim.File) clevertim.ID { return c.ID }, key)
	l.LinkedFiles = newResource("linked file", opts, false, client.LinkedFiles.Get, client.LinkedFiles.List, func(c *clevertim.LinkedFile) clevertim.ID { return c.ID }, key)
	l.Customers = newCustomerLoader(l.Contacts, l.Companies, opts)
	return l
}

// Client is the API client of the request's key, for writes.
func (l *Loaders) Client() *clevertim.Client { return l.client }

// Invalidate forgets everything loaded so far, and empties the shared cache.
// A mutation calls it, so that what is read next reflects the write (a new
// note's id in its contact's notes, say).
func (l *Loaders) Invalidate() {
	l.cache.Invalidate()
	l.Contacts.reset()
	l.Companies.reset()
	l.Opportunities.reset()
	l.Cases.reset()
	l.Tasks.reset()
	l.Notes.reset()
	l.Comments.reset()
	l.CustomFields.reset()
	l.Users.reset()
	l.Groups.reset()
	l.Folders.reset()
	l.Files.reset()
	l.LinkedFiles.reset()
	l.Customers.reset()
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
