package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

type opportunityChanges struct {
	description, status, value, currency graphql.Omittable[*string]
	customerID, leadUserID               graphql.Omittable[*clevertim.ID]
	tags                                 graphql.Omittable[[]string]
	customFields                         graphql.Omittable[[]*model.CustomFieldValueInput]
	visibility                           graphql.Omittable[*model.VisibilityInput]
}

func applyOpportunity(ctx context.Context, o *clevertim.Opportunity, ch opportunityChanges) error {
	setText(&o.Description, ch.description)
	setText(&o.Status, ch.status)
	setText(&o.Currency, ch.currency)
	if v, ok := ch.value.ValueOK(); ok {
		o.Value = ""
		if v != nil {
			o.Value = clevertim.Decimal(*v)
		}
	}
	if err := setCustomer(ctx, &o.CustomerID, ch.customerID, "customerId"); err != nil {
		return err
	}
	if err := setRef(ctx, loaders.For(ctx).Users, &o.LeadUserID, ch.leadUserID, "leadUserId", "user"); err != nil {
		return err
	}
	setList(&o.Tags, ch.tags)
	if err := applyCustomFields(ctx, &o.CustomFields, ch.customFields, clevertim.ScopeOpportunities); err != nil {
		return err
	}
	return applyVisibility(ctx, &o.Visibility, ch.visibility)
}

// setCustomer sets a `cust` reference after checking that it names a
// contact or company the key can see.
func setCustomer(ctx context.Context, dst **clevertim.ID, in graphql.Omittable[*clevertim.ID], field string) error {
	setPtr(dst, in)
	if id := in.Value(); id != nil {
		_, err := loaders.For(ctx).Customers.Load(ctx, *id)
		return refError(err, field, "contact or company", *id)
	}
	return nil
}

// setRef sets a reference to a record of r after checking that it exists.
func setRef[T any](ctx context.Context, r *loaders.Resource[T], dst **clevertim.ID, in graphql.Omittable[*clevertim.ID], field, what string) error {
	setPtr(dst, in)
	if id := in.Value(); id != nil {
		_, err := r.Load(ctx, *id)
		return refError(err, field, what, *id)
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
