package loaders

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// CustomerLoader resolves a `cust` reference, which names a contact or a
// company, without asking once per id.
type CustomerLoader struct {
	contacts  *Resource[clevertim.Contact]
	companies *Resource[clevertim.Company]
	opts      Options

	mu     sync.Mutex
	loader *dataloader.Loader[clevertim.ID, any]
}

func newCustomerLoader(contacts *Resource[clevertim.Contact], companies *Resource[clevertim.Company], opts Options) *CustomerLoader {
	c := &CustomerLoader{contacts: contacts, companies: companies, opts: opts}
	c.reset()
	return c
}

func (c *CustomerLoader) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loader = dataloader.NewBatchedLoader(c.batch, append(tracerOption[clevertim.ID, any](c.opts.Tracer, "customer"),
		dataloader.WithWait[clevertim.ID, any](c.opts.Wait))...)
}

func (c *CustomerLoader) current() *dataloader.Loader[clevertim.ID, any] {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loader
}

// collectionsKnown reports that both collections are fetched or in flight:
// lookups need no batch, so nothing waits for one.
func (c *CustomerLoader) collectionsKnown() bool {
	return c.contacts.started() != nil && c.companies.started() != nil
}

// Load returns a *clevertim.Contact or a *clevertim.Company.
func (c *CustomerLoader) Load(ctx context.Context, id clevertim.ID) (any, error) {
	if c.collectionsKnown() {
		return unpack(c.batch(ctx, []clevertim.ID{id})[0])
	}
	return c.current().Load(ctx, id)()
}

// LoadMany returns the customers that exist, in order, and the errors of
// those that do not.
func (c *CustomerLoader) LoadMany(ctx context.Context, ids []clevertim.ID) ([]any, []error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var recs []any
	var errs []error
	if c.collectionsKnown() {
		for _, res := range c.batch(ctx, ids) {
			recs, errs = append(recs, res.Data), append(errs, res.Error)
		}
	} else {
		recs, errs = c.current().LoadMany(ctx, ids)()
	}
	out := make([]any, 0, len(recs))
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

// batch looks for each id among contacts first, then among companies, as the
// official client does, but for the whole batch at once. A collection that
// is cheaper read whole is started at once, both together, so that they cost
// one round (wholeCompanies); the rest go by id through each resource's
// loader, which decides again with the ids it gets and the budget left.
func (c *CustomerLoader) batch(ctx context.Context, keys []clevertim.ID) []*dataloader.Result[any] {
	var wg sync.WaitGroup
	contactsWhole := c.contacts.WantsCollection(len(keys))
	if contactsWhole {
		wg.Go(func() { _, _ = c.contacts.All(ctx) })
	}
	if c.wholeCompanies(len(keys), contactsWhole) {
		wg.Go(func() { _, _ = c.companies.All(ctx) })
	}
	wg.Wait()
	results := make([]*dataloader.Result[any], len(keys))
	var people []clevertim.ID
	var at []int
	for i, id := range keys {
		if rec, ok := c.kept(id); ok {
			results[i] = &dataloader.Result[any]{Data: rec}
			continue
		}
		people, at = append(people, id), append(at, i)
	}
	recs, errs := c.contacts.loadEach(ctx, people)
	var missing []clevertim.ID
	var where []int
	for j, rec := range recs {
		i := at[j]
		switch err := errs[j]; {
		case err == nil:
			results[i] = &dataloader.Result[any]{Data: rec}
		case errors.Is(err, clevertim.ErrNotFound):
			missing = append(missing, keys[i])
			where = append(where, i)
		default:
			results[i] = &dataloader.Result[any]{Error: err}
		}
	}
	if len(missing) > 0 {
		comps, cerrs := c.companies.loadEach(ctx, missing)
		for j, i := range where {
			if cerrs[j] != nil {
				if errors.Is(cerrs[j], clevertim.ErrNotFound) {
					results[i] = &dataloader.Result[any]{Error: &NotFoundError{Resource: "customer", ID: keys[i]}}
				} else {
					results[i] = &dataloader.Result[any]{Error: cerrs[j]}
				}
				continue
			}
			results[i] = &dataloader.Result[any]{Data: comps[j]}
		}
	}
	return results
}

// wholeCompanies decides whether to read the companies whole alongside the
// contacts. By id, the companies come after the contacts (only the ids no
// contact has), so they cost the contacts' time plus their own round; whole,
// they are read in parallel with the contacts. How many of n customers are
// companies is estimated from the two collections' sizes (all n while
// either is unknown). While the companies' size is unknown, n decides as for
// any resource.
func (c *CustomerLoader) wholeCompanies(n int, contactsWhole bool) bool {
	firms, known := c.companies.opts.Stats.get(c.companies.stats)
	if !known || c.companies.small || c.companies.started() != nil {
		return c.companies.WantsCollection(n)
	}
	expected := float64(n) // companies among the n customers
	if people, ok := c.contacts.opts.Stats.get(c.contacts.stats); ok && people.count+firms.count > 0 {
		expected = float64(n*firms.count) / float64(people.count+firms.count)
	}
	contactsByID, contactsAll := c.contacts.times(n)
	before := contactsByID
	if contactsWhole {
		before = contactsAll
	}
	companiesByID, companiesAll := c.companies.times(max(int(math.Ceil(expected)), 1))
	if expected < 1 {
		// Likely no company at all (one customer in six is one on the
		// benchmark account): their round is paid that often.
		companiesByID = time.Duration(expected * float64(companiesByID))
	}
	return companiesAll < before+companiesByID
}

// kept is the customer id as the key's replica holds it: the contact, else
// the company. An id the replica holds as a company is one: contacts and
// companies are numbered from one sequence (a `cust` id names either, and
// ids are never reused), so asking /contact for it again is a 404 and a
// round trip for every company customer, each time the page is read warm.
// Should Clevertim ever number them apart, a contact the replica holds
// still wins.
func (c *CustomerLoader) kept(id clevertim.ID) (any, bool) {
	if c.companies.peek == nil || c.contacts.started() != nil {
		return nil, false // no replica, or the request has the contacts at hand
	}
	if contact, ok := c.contacts.peek(id); ok {
		return contact, true
	}
	if company, ok := c.companies.peek(id); ok {
		return company, true
	}
	return nil, false
}

func unpack(r *dataloader.Result[any]) (any, error) { return r.Data, r.Error }
