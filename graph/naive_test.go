package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// naive walks the same data as the benchmark queries the way the official
// Python client does: each linked record is loaded when first touched, one
// request at a time, and kept once loaded. It is the baseline the facade is
// measured against.
type naive struct {
	c         *clevertim.Client
	contacts  map[clevertim.ID]*clevertim.Contact
	companies map[clevertim.ID]*clevertim.Company
	users     map[clevertim.ID]*clevertim.User
	fields    map[clevertim.ID]*clevertim.CustomField
	notes     map[clevertim.ID]*clevertim.Note
	comments  map[clevertim.ID]*clevertim.Comment
	tasks     map[clevertim.ID]*clevertim.Task
	cases     map[clevertim.ID]*clevertim.Case
	opps      map[clevertim.ID]*clevertim.Opportunity
}

// A session's cache lives as long as the session; each benchmark operation
// starts a new one, as a page load would.
func newNaive(c *clevertim.Client) *naive {
	return &naive{c: c, contacts: map[clevertim.ID]*clevertim.Contact{}, companies: map[clevertim.ID]*clevertim.Company{},
		users: map[clevertim.ID]*clevertim.User{}, fields: map[clevertim.ID]*clevertim.CustomField{},
		notes: map[clevertim.ID]*clevertim.Note{}, comments: map[clevertim.ID]*clevertim.Comment{},
		tasks: map[clevertim.ID]*clevertim.Task{}, cases: map[clevertim.ID]*clevertim.Case{},
		opps: map[clevertim.ID]*clevertim.Opportunity{}}
}

func cached[T any](ctx context.Context, m map[clevertim.ID]*T, id clevertim.ID, get func(context.Context, clevertim.ID) (*T, error)) (*T, error) {
	if v, ok := m[id]; ok {
		return v, nil
	}
	v, err := get(ctx, id)
	if err != nil {
		return nil, err
	}
	m[id] = v
	return v, nil
}

// customer tries the contact, then the company, as the official client does.
func (n *naive) customer(ctx context.Context, id clevertim.ID) (any, error) {
	if c, ok := n.contacts[id]; ok {
		return c, nil
	}
	if c, ok := n.companies[id]; ok {
		return c, nil
	}
	c, err := cached(ctx, n.contacts, id, n.c.Contacts.Get)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, clevertim.ErrNotFound) {
		return nil, err
	}
	return cached(ctx, n.companies, id, n.c.Companies.Get)
}

// skipMissing tolerates links to records the user may not see, as the
// facade does (it reports them as NOT_FOUND and goes on).
func skipMissing(err error) error {
	if errors.Is(err, clevertim.ErrNotFound) {
		return nil
	}
	return err
}

// pipelineBoard returns the number of comments it reached.
func (n *naive) pipelineBoard(ctx context.Context) (int, error) {
	all, err := n.c.Opportunities.List(ctx)
	if err != nil {
		return 0, err
	}
	comments, taken := 0, 0
	for _, o := range all {
		if !strings.EqualFold(o.Status, "open") || taken == 50 {
			continue
		}
		taken++
		if o.CustomerID != nil {
			cust, err := n.customer(ctx, *o.CustomerID)
			if err := skipMissing(err); err != nil {
				return 0, err
			}
			if c, ok := cust.(*clevertim.Contact); ok && c.CompanyID != nil {
				if _, err := cached(ctx, n.companies, *c.CompanyID, n.c.Companies.Get); skipMissing(err) != nil {
					return 0, err
				}
			}
		}
		if o.LeadUserID != nil {
			if _, err := cached(ctx, n.users, *o.LeadUserID, n.c.Users.Get); skipMissing(err) != nil {
				return 0, err
			}
		}
		for _, nid := range o.NoteIDs {
			note, err := cached(ctx, n.notes, nid, n.c.Notes.Get)
			if err != nil {
				return 0, err
			}
			for _, cid := range note.CommentIDs {
				cm, err := cached(ctx, n.comments, cid, n.c.Comments.Get)
				if err != nil {
					return 0, err
				}
				comments++
				if _, err := cached(ctx, n.users, cm.CreatedBy, n.c.Users.Get); err != nil {
					return 0, err
				}
			}
		}
	}
	return comments, nil
}

// contactPage returns the number of linked records it reached.
func (n *naive) contactPage(ctx context.Context, id clevertim.ID) (int, error) {
	c, err := cached(ctx, n.contacts, id, n.c.Contacts.Get)
	if err != nil {
		return 0, err
	}
	reached := 0
	if c.CompanyID != nil {
		if _, err := cached(ctx, n.companies, *c.CompanyID, n.c.Companies.Get); skipMissing(err) != nil {
			return 0, err
		}
	}
	for _, nid := range c.NoteIDs {
		if _, err := cached(ctx, n.notes, nid, n.c.Notes.Get); err != nil {
			return 0, err
		}
		reached++
	}
	for _, tid := range c.TaskIDs {
		if _, err := cached(ctx, n.tasks, tid, n.c.Tasks.Get); err != nil {
			return 0, err
		}
		reached++
	}
	for _, cid := range c.CaseIDs {
		if _, err := cached(ctx, n.cases, cid, n.c.Cases.Get); err != nil {
			return 0, err
		}
		reached++
	}
	for _, oid := range c.OpportunityIDs {
		if _, err := cached(ctx, n.opps, oid, n.c.Opportunities.Get); err != nil {
			return 0, err
		}
		reached++
	}
	for fid, v := range c.CustomFields {
		f, err := cached(ctx, n.fields, fid, n.c.CustomFields.Get)
		if err != nil {
			return 0, err
		}
		for _, s := range v.Values {
			ref := clevertim.ID(s)
			switch f.Type {
			case clevertim.FieldUser:
				_, err = cached(ctx, n.users, ref, n.c.Users.Get)
			case clevertim.FieldContact:
				_, err = cached(ctx, n.contacts, ref, n.c.Contacts.Get)
			case clevertim.FieldCompany:
				_, err = cached(ctx, n.companies, ref, n.c.Companies.Get)
			case clevertim.FieldCase:
				_, err = cached(ctx, n.cases, ref, n.c.Cases.Get)
			case clevertim.FieldOpportunity:
				_, err = cached(ctx, n.opps, ref, n.c.Opportunities.Get)
			default:
				continue
			}
			if skipMissing(err) != nil {
				return 0, err
			}
			reached++
		}
	}
	return reached, nil
}

// contactList returns the number of contacts listed.
func (n *naive) contactList(ctx context.Context) (int, error) {
	all, err := n.c.Contacts.List(ctx)
	if err != nil {
		return 0, err
	}
	slices.SortStableFunc(all, func(a, b *clevertim.Contact) int {
		return strings.Compare(strings.ToLower(a.LastName+"\x00"+a.FirstName), strings.ToLower(b.LastName+"\x00"+b.FirstName))
	})
	all = all[:min(100, len(all))]
	for _, c := range all {
		if c.CompanyID != nil {
			if _, err := cached(ctx, n.companies, *c.CompanyID, n.c.Companies.Get); skipMissing(err) != nil {
				return 0, err
			}
		}
	}
	return len(all), nil
}

// companyPage returns the number of open tasks it reached.
func (n *naive) companyPage(ctx context.Context, id clevertim.ID) (int, error) {
	if _, err := cached(ctx, n.companies, id, n.c.Companies.Get); err != nil {
		return 0, err
	}
	// Clevertim has no company -> contacts link: the client lists every contact.
	all, err := n.c.Contacts.List(ctx)
	if err != nil {
		return 0, err
	}
	open := 0
	for _, c := range all {
		if c.CompanyID == nil || *c.CompanyID != id {
			continue
		}
		for _, tid := range c.TaskIDs {
			t, err := cached(ctx, n.tasks, tid, n.c.Tasks.Get)
			if err != nil {
				return 0, err
			}
			if t.IsCompleted {
				continue
			}
			open++
			if t.AssigneeID != nil {
				if _, err := cached(ctx, n.users, *t.AssigneeID, n.c.Users.Get); skipMissing(err) != nil {
					return 0, err
				}
			}
		}
	}
	return open, nil
}

// write creates a note on the contact, then reads the contact's notes.
func (n *naive) write(ctx context.Context, id clevertim.ID) (int, error) {
	if _, err := n.c.Notes.Create(ctx, &clevertim.Note{Text: "Called about the renewal", CustomerIDs: clevertim.IDList{id}}); err != nil {
		return 0, err
	}
	c, err := n.c.Contacts.Get(ctx, id) // fresh: its notes list changed
	if err != nil {
		return 0, err
	}
	for _, nid := range c.NoteIDs {
		if _, err := cached(ctx, n.notes, nid, n.c.Notes.Get); err != nil {
			return 0, err
		}
	}
	return len(c.NoteIDs), nil
}
