package graph

import (
	"context"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

func applyContact(ctx context.Context, c *clevertim.Contact, ch model.ContactChanges) error {
	setText(&c.FirstName, ch.FirstName)
	setText(&c.LastName, ch.LastName)
	setText(&c.Title, ch.Title)
	if err := setRef(ctx, loaders.For(ctx).Companies, &c.CompanyID, ch.CompanyID, "companyId", "company"); err != nil {
		return err
	}
	return applyCustomer(ctx, &c.Customer, ch.CustomerChanges, clevertim.ScopeCustomers)
}

// photoURL is where the customer's photo is served, from the key's client.
func photoURL(ctx context.Context, id clevertim.ID, file string) *string {
	u := loaders.For(ctx).Client().PhotoURL(id, file)
	if u == "" {
		return nil
	}
	return &u
}

// The to-many links of every record: the server's id lists, loaded in one
// batch per level, then filtered, ordered and paged like a top-level list.

func notesOf(ctx context.Context, ids []clevertim.ID, p page, f *model.NoteFilter, o *model.NoteOrder) (*model.Connection[clevertim.Note], error) {
	recs, err := loadList(ctx, loaders.For(ctx).Notes, ids)
	if err != nil {
		return nil, err
	}
	return connect(recs, noteMatcher(f), noteOrdering(o), noteID, p)
}

func tasksOf(ctx context.Context, ids []clevertim.ID, p page, f *model.TaskFilter, o *model.TaskOrder) (*model.Connection[clevertim.Task], error) {
	recs, err := loadList(ctx, loaders.For(ctx).Tasks, ids)
	if err != nil {
		return nil, err
	}
	return connect(recs, taskMatcher(f), taskOrdering(o), taskID, p)
}

func casesOf(ctx context.Context, ids []clevertim.ID, p page, f *model.CaseFilter, o *model.CaseOrder) (*model.Connection[clevertim.Case], error) {
	recs, err := loadList(ctx, loaders.For(ctx).Cases, ids)
	if err != nil {
		return nil, err
	}
	return connect(recs, caseMatcher(f), caseOrdering(o), caseID, p)
}

func opportunitiesOf(ctx context.Context, ids []clevertim.ID, p page, f *model.OpportunityFilter, o *model.OpportunityOrder) (*model.Connection[clevertim.Opportunity], error) {
	recs, err := loadList(ctx, loaders.For(ctx).Opportunities, ids)
	if err != nil {
		return nil, err
	}
	return connect(recs, opportunityMatcher(f), opportunityOrdering(o), opportunityID, p)
}

func commentsOf(ctx context.Context, ids []clevertim.ID, p page, f *model.CommentFilter, o *model.CommentOrder) (*model.Connection[clevertim.Comment], error) {
	recs, err := loadList(ctx, loaders.For(ctx).Comments, ids)
	if err != nil {
		return nil, err
	}
	return connect(recs, commentMatcher(f), commentOrdering(o), commentID, p)
}
