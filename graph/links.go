package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// reportMissing adds not-found errors to the response and returns the first
// other error, which fails the field.
func reportMissing(ctx context.Context, errs []error) error {
	for _, err := range errs {
		if !errors.Is(err, clevertim.ErrNotFound) {
			return err
		}
	}
	for _, err := range errs {
		graphql.AddError(ctx, err)
	}
	return nil
}

// optionalID is nil for an empty id: Clevertim writes "no user" as "".
func optionalID(id clevertim.ID) *clevertim.ID {
	if id == "" {
		return nil
	}
	return &id
}

func customerRef(ctx context.Context, id *clevertim.ID) (model.Customer, error) {
	if id == nil || *id == "" {
		return nil, nil
	}
	return customersOf(ctx).Load(ctx, *id)
}

func privateTo(ctx context.Context, v clevertim.Visibility) (*clevertim.User, error) {
	if !v.IsPrivate {
		return nil, nil
	}
	return users.ref(ctx, v.PrivateTo)
}

// groupsOf lists the groups whose bit is in the record's mask.
func groupsOf(ctx context.Context, v clevertim.Visibility) ([]*clevertim.Group, error) {
	if v.GroupMask == 0 {
		return []*clevertim.Group{}, nil
	}
	all, err := groups.all(ctx)
	if err != nil {
		return nil, err
	}
	out := []*clevertim.Group{}
	for _, g := range all {
		if v.GroupMask.Has(g.Bit) {
			out = append(out, g)
		}
	}
	return out, nil
}

// linkedRecords resolves the records a reference custom field points at.
func linkedRecords(ctx context.Context, v *clevertim.FieldValue) ([]model.LinkedRecord, error) {
	def, err := customFields.get(ctx, v.FieldID)
	if err != nil || !def.Type.IsReference() {
		return []model.LinkedRecord{}, err
	}
	at := slices.IndexFunc(allResources, func(r described) bool { return r.linkedType() == def.Type })
	if at < 0 {
		return []model.LinkedRecord{}, nil
	}
	ids := make([]clevertim.ID, len(v.Values))
	for i, s := range v.Values {
		ids[i] = clevertim.ID(s)
	}
	recs, errs := allResources[at].loadLinked(ctx, ids)
	if err := reportMissing(ctx, errs); err != nil {
		return nil, err
	}
	if recs == nil {
		recs = []model.LinkedRecord{}
	}
	return recs, nil
}
