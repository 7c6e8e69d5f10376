package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

type caseChanges struct {
	description            graphql.Omittable[*string]
	customerID, leadUserID graphql.Omittable[*clevertim.ID]
	tags                   graphql.Omittable[[]string]
	customFields           graphql.Omittable[[]*model.CustomFieldValueInput]
	visibility             graphql.Omittable[*model.VisibilityInput]
}

func applyCase(ctx context.Context, c *clevertim.Case, ch caseChanges) error {
	setText(&c.Description, ch.description)
	if err := setCustomer(ctx, &c.CustomerID, ch.customerID, "customerId"); err != nil {
		return err
	}
	if err := setRef(ctx, loaders.For(ctx).Users, &c.LeadUserID, ch.leadUserID, "leadUserId", "user"); err != nil {
		return err
	}
	setList(&c.Tags, ch.tags)
	if err := applyCustomFields(ctx, &c.CustomFields, ch.customFields, clevertim.ScopeCases); err != nil {
		return err
	}
	return applyVisibility(ctx, &c.Visibility, ch.visibility)
}
