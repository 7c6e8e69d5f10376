package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

func applyOpportunity(ctx context.Context, o *clevertim.Opportunity, ch model.OpportunityChanges) error {
	setText(&o.Description, ch.Description)
	setText(&o.Status, ch.Status)
	setText(&o.Currency, ch.Currency)
	if v, ok := ch.Value.ValueOK(); ok {
		o.Value = ""
		if v != nil {
			o.Value = *v
		}
	}
	if err := setCustomer(ctx, &o.CustomerID, ch.CustomerID, "customerId"); err != nil {
		return err
	}
	if err := users.set(ctx, &o.LeadUserID, ch.LeadUserID, "leadUserId"); err != nil {
		return err
	}
	setList(&o.Tags, ch.Tags)
	if err := applyCustomFields(ctx, &o.CustomFields, ch.CustomFields, clevertim.ScopeOpportunities); err != nil {
		return err
	}
	return applyVisibility(ctx, &o.Visibility, ch.Visibility)
}

// setCustomer sets a `cust` reference after checking that it names a
// contact or company the key can see.
func setCustomer(ctx context.Context, dst **clevertim.ID, in graphql.Omittable[*clevertim.ID], field string) error {
	if id := in.Value(); id != nil {
		local, err := localID(*id, field, customerTypes...)
		if err != nil {
			return err
		}
		in = graphql.OmittableOf(&local)
	}
	setPtr(dst, in)
	if id := in.Value(); id != nil {
		_, err := customersOf(ctx).Load(ctx, *id)
		return refError(err, field, "contact or company", *id)
	}
	return nil
}

// refError turns "the referenced record does not exist" into an input error
// on the field; other failures (Clevertim unavailable) stay what they are.
func refError(err error, field, what string, id clevertim.ID) error {
	if errors.Is(err, clevertim.ErrNotFound) {
		return inputError(field, "there is no %s with id %s", what, id)
	}
	return err
}
