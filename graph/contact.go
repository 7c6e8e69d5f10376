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
	if err := companies.set(ctx, &c.CompanyID, ch.CompanyID, "companyId"); err != nil {
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
