package graph

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// createRecord builds a record from its input, creates it, and tells the
// loaders and the replica (see wrote), so that later fields see the write.
func createRecord[T any, P clevertim.RecordPtr[T]](ctx context.Context, create func(context.Context, *T) (*T, error), build func(*T) error) (*T, error) {
	rec := new(T)
	if err := build(rec); err != nil {
		return nil, err
	}
	out, err := create(ctx, rec)
	if err != nil {
		return nil, err
	}
	wrote[T, P](ctx, P(out).RecordID(), out)
	return out, nil
}

// updateRecord reads the record fresh, applies the input's changes and sends
// the whole record back, so that fields the input does not name keep their
// values whether Clevertim merges or replaces. With expected set, a record
// modified since then is not updated: the answer is the current record with
// a CONFLICT error. A write between our read and our update can still be
// overwritten: Clevertim has no conditional update.
func updateRecord[T any, P clevertim.RecordPtr[T]](ctx context.Context, resource described, id clevertim.ID,
	get func(context.Context, clevertim.ID) (*T, error), update func(context.Context, clevertim.ID, *T) (*T, error),
	lastModified func(*T) time.Time, expected *time.Time, apply func(*T) error) (*T, error) {
	id, err := resource.localID(id)
	if err != nil {
		return nil, err
	}
	rec, err := get(ctx, id)
	if err != nil {
		return nil, err
	}
	if expected != nil && !lastModified(rec).Equal(*expected) {
		// Refused: the CONFLICT error goes with the record as it is now, in
		// the shape the caller selected, so it can merge and try again.
		graphql.AddError(ctx, &ConflictError{Resource: resource.kindName(), ID: id, Expected: *expected, LastModified: lastModified(rec)})
		return rec, nil
	}
	if err := apply(rec); err != nil {
		return nil, err
	}
	out, err := update(ctx, id, rec)
	if err != nil {
		return nil, err
	}
	wrote[T, P](ctx, id, out)
	return out, nil
}

// deleteRecord deletes a record and answers its global id, the id clients
// cached it by.
func deleteRecord(ctx context.Context, resource described, del func(context.Context, clevertim.ID) error, id clevertim.ID) (clevertim.ID, error) {
	id, err := resource.localID(id)
	if err != nil {
		return "", err
	}
	if err := del(ctx, id); err != nil {
		return "", err
	}
	resource.deleted(ctx, id)
	return model.GlobalID(resource.graphQLType(), string(id)), nil
}

// Setters apply one optional input field: absent keeps the current value,
// null clears it, a value replaces it.

func setText(dst *string, in graphql.Omittable[*string]) {
	if v, ok := in.ValueOK(); ok {
		*dst = ""
		if v != nil {
			*dst = *v
		}
	}
}

func setPtr[T any](dst **T, in graphql.Omittable[*T]) {
	if v, ok := in.ValueOK(); ok {
		*dst = v
	}
}

func setBool(dst *bool, in graphql.Omittable[*bool]) {
	if v, ok := in.ValueOK(); ok {
		*dst = v != nil && *v
	}
}

func setList[L ~[]E, E any](dst *L, in graphql.Omittable[[]E]) {
	if v, ok := in.ValueOK(); ok {
		*dst = L(slices.Clone(v))
	}
}

// applyCustomer applies the changes contacts and companies share.
func applyCustomer(ctx context.Context, c *clevertim.Customer, ch model.CustomerChanges, scope clevertim.CustomFieldScope) error {
	setText(&c.Description, ch.Description)
	setList(&c.Emails, ch.Emails)
	setList(&c.Websites, ch.Websites)
	setList(&c.Tags, ch.Tags)
	setPtr(&c.CustomerType, ch.CustomerType)
	if v, ok := ch.Phones.ValueOK(); ok {
		c.Phones = make([]clevertim.Phone, len(v))
		for i, p := range v {
			c.Phones[i] = clevertim.Phone{Type: p.Type, Number: p.Number}
		}
	}
	if v, ok := ch.SocialMedia.ValueOK(); ok {
		c.SocialMedia = make([]clevertim.SocialMediaID, len(v))
		for i, s := range v {
			c.SocialMedia[i] = clevertim.SocialMediaID{Venue: s.Venue, Handle: s.Handle}
		}
	}
	if a, ok := ch.Address.ValueOK(); ok && a == nil {
		c.Address, c.City, c.Postcode, c.Region, c.Country = "", "", "", "", ""
	} else if ok {
		setText(&c.Address, a.Street)
		setText(&c.City, a.City)
		setText(&c.Postcode, a.Postcode)
		setText(&c.Region, a.Region)
		setText(&c.Country, a.Country)
	}
	if err := applyCustomFields(ctx, &c.CustomFields, ch.CustomFields, scope); err != nil {
		return err
	}
	return applyVisibility(ctx, &c.Visibility, ch.Visibility)
}

// applyCustomFields changes the values the input names and keeps the others,
// checking each new value against its field's definition.
func applyCustomFields(ctx context.Context, dst *clevertim.CustomFieldValues, in graphql.Omittable[[]*model.CustomFieldValueInput], scope clevertim.CustomFieldScope) error {
	inputs := in.Value()
	if len(inputs) == 0 {
		return nil
	}
	defs, err := customFields.all(ctx)
	if err != nil {
		return err
	}
	if *dst == nil {
		*dst = clevertim.CustomFieldValues{}
	}
	for i, v := range inputs {
		field := "customFields[" + strconv.Itoa(i) + "]"
		value, hasValue := v.Value.ValueOK()
		values, hasValues := v.Values.ValueOK()
		if hasValue && value != nil && hasValues && values != nil {
			return inputError(field, "give value or values, not both")
		}
		var val clevertim.CustomFieldValue
		switch {
		case hasValue && value != nil:
			val.Values = []string{*value}
		case hasValues && values != nil:
			val.Values = values
		}
		fieldID, err := localID(v.FieldID, field+".fieldId", customFields.typeName)
		if err != nil {
			return err
		}
		if err := localRefValues(defs, fieldID, val.Values, field, hasValues && values != nil); err != nil {
			return err
		}
		def, err := clevertim.CheckCustomFieldValue(defs, scope, fieldID, val)
		if err != nil {
			return inInput(field, err)
		}
		if len(val.Values) == 0 {
			delete(*dst, def.ID)
			continue
		}
		val.List = def.Multiple
		(*dst)[def.ID] = val
	}
	return nil
}

// localRefValues reads the values of a reference custom field (USER,
// CONTACT, ...) like any other reference: a global id of the record type
// the field points at, or Clevertim's id. It rewrites them in place.
func localRefValues(defs []*clevertim.CustomField, fieldID clevertim.ID, values []string, field string, many bool) error {
	i := slices.IndexFunc(defs, func(d *clevertim.CustomField) bool { return d.ID == fieldID })
	if i < 0 || !defs[i].Type.IsReference() {
		return nil // CheckCustomFieldValue says what is wrong
	}
	r := slices.IndexFunc(allResources, func(r described) bool { return r.linkedType() == defs[i].Type })
	if r < 0 {
		return nil
	}
	for j, s := range values {
		at := field + ".value"
		if many {
			at = field + ".values[" + strconv.Itoa(j) + "]"
		}
		id, err := localID(clevertim.ID(s), at, allResources[r].graphQLType())
		if err != nil {
			return err
		}
		values[j] = string(id)
	}
	return nil
}

// inInput places a client validation error, whose field is relative, at
// field in the caller's input: "customFields[2]" and "value" make
// "customFields[2].value".
func inInput(field string, err error) error {
	var invalid *clevertim.ValidationError
	if errors.As(err, &invalid) {
		return inputError(field+"."+invalid.Field, "%s", invalid.Message)
	}
	return err
}

// applyVisibility sets who may see a record: one user, some groups, or
// everyone (null, or neither given).
func applyVisibility(ctx context.Context, dst *clevertim.Visibility, in graphql.Omittable[*model.VisibilityInput]) error {
	v, ok := in.ValueOK()
	if !ok {
		return nil
	}
	*dst = clevertim.Visibility{}
	if v == nil {
		return nil
	}
	user, groupIDs := v.PrivateTo.Value(), v.GroupIds.Value()
	if user != nil {
		local, err := localID(*user, "visibility.privateTo", users.typeName)
		if err != nil {
			return err
		}
		user = &local
	}
	groupIDs, err := localIDs(groupIDs, "visibility.groupIds", groups.typeName)
	if err != nil {
		return err
	}
	switch {
	case user != nil && len(groupIDs) > 0:
		return inputError("visibility", "give privateTo or groupIds, not both")
	case user != nil:
		if _, err := users.get(ctx, *user); err != nil {
			return refError(err, "visibility.privateTo", "user", *user)
		}
		dst.IsPrivate, dst.PrivateTo = true, user
	case len(groupIDs) > 0:
		for _, id := range groupIDs {
			g, err := groups.get(ctx, id)
			if err != nil {
				return refError(err, "visibility.groupIds", "group", id)
			}
			dst.GroupMask |= clevertim.GroupMask(g.Bit)
		}
	}
	return nil
}

// taskDate converts a schedule input; null or an empty input clears it.
func taskDate(field string, in *model.TaskDateTimeInput) (*clevertim.TaskDate, error) {
	if in == nil {
		return nil, nil
	}
	date, clock := "", ""
	if v := in.Date.Value(); v != nil {
		date = *v
	}
	if v := in.Time.Value(); v != nil {
		clock = *v
	}
	d, err := clevertim.ParseTaskDate(date, clock)
	if err != nil {
		return nil, inputError(field, "%v", err)
	}
	return d, nil
}
