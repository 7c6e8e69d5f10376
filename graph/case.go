package graph

import (
	"context"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

func applyCase(ctx context.Context, c *clevertim.Case, ch model.CaseChanges) error {
	setText(&c.Description, ch.Description)
	if err := setCustomer(ctx, &c.CustomerID, ch.CustomerID, "customerId"); err != nil {
		return err
	}
	if err := users.set(ctx, &c.LeadUserID, ch.LeadUserID, "leadUserId"); err != nil {
		return err
	}
	setList(&c.Tags, ch.Tags)
	if err := applyCustomFields(ctx, &c.CustomFields, ch.CustomFields, clevertim.ScopeCases); err != nil {
		return err
	}
	return applyVisibility(ctx, &c.Visibility, ch.Visibility)
}
