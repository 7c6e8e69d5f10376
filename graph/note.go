package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

type noteChanges struct {
	typ                   graphql.Omittable[*clevertim.NoteType]
	customerIDs           graphql.Omittable[[]clevertim.ID]
	caseID, opportunityID graphql.Omittable[*clevertim.ID]
	visibility            graphql.Omittable[*model.VisibilityInput]
}

func applyNote(ctx context.Context, n *clevertim.Note, ch noteChanges) error {
	l := loaders.For(ctx)
	if v, ok := ch.typ.ValueOK(); ok {
		if v != nil && *v == clevertim.NoteEmailDropped && (n.Type == nil || *n.Type != clevertim.NoteEmailDropped) {
			return inputError("type", "EMAIL_RECEIVED is set by Clevertim only; use NOTE, EMAIL_SENT or SMS")
		}
		setPtr(&n.Type, ch.typ)
	}
	if ids, ok := ch.customerIDs.ValueOK(); ok {
		if _, errs := l.Customers.LoadMany(ctx, ids); len(errs) > 0 {
			var missing *loaders.NotFoundError
			if errors.As(errs[0], &missing) {
				return refError(errs[0], "customerIds", "contact or company", missing.ID)
			}
			return errs[0]
		}
		n.CustomerIDs = clevertim.IDList(ids)
	}
	if err := setRef(ctx, l.Cases, &n.CaseID, ch.caseID, "caseId", "case"); err != nil {
		return err
	}
	if err := setRef(ctx, l.Opportunities, &n.OpportunityID, ch.opportunityID, "opportunityId", "opportunity"); err != nil {
		return err
	}
	return applyVisibility(ctx, &n.Visibility, ch.visibility)
}
