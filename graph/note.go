package graph

import (
	"context"
	"errors"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

func applyNote(ctx context.Context, n *clevertim.Note, ch model.NoteChanges) error {
	if v, ok := ch.Type.ValueOK(); ok {
		if clevertim.CheckNoteType(n.Type, v) != nil {
			// The client's rule, said in the schema's names.
			return inputError("type", "EMAIL_RECEIVED is set by Clevertim only; use NOTE, EMAIL_SENT or SMS")
		}
		setPtr(&n.Type, ch.Type)
	}
	if ids, ok := ch.CustomerIDs.ValueOK(); ok {
		ids, err := localIDs(ids, "customerIds", customerTypes...)
		if err != nil {
			return err
		}
		if _, errs := customersOf(ctx).LoadMany(ctx, ids); len(errs) > 0 {
			var missing *loaders.NotFoundError
			if errors.As(errs[0], &missing) {
				return refError(errs[0], "customerIds", "contact or company", missing.ID)
			}
			return errs[0]
		}
		n.CustomerIDs = clevertim.IDList(ids)
	}
	if err := cases.set(ctx, &n.CaseID, ch.CaseID, "caseId"); err != nil {
		return err
	}
	if err := opportunities.set(ctx, &n.OpportunityID, ch.OpportunityID, "opportunityId"); err != nil {
		return err
	}
	return applyVisibility(ctx, &n.Visibility, ch.Visibility)
}
