package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

func applyTask(ctx context.Context, t *clevertim.Task, ch model.TaskChanges) error {
	setPtr(&t.Type, ch.Type)
	setText(&t.Location, ch.Location)
	if err := setCustomer(ctx, &t.CustomerID, ch.CustomerID, "customerId"); err != nil {
		return err
	}
	if err := cases.set(ctx, &t.CaseID, ch.CaseID, "caseId"); err != nil {
		return err
	}
	if err := opportunities.set(ctx, &t.OpportunityID, ch.OpportunityID, "opportunityId"); err != nil {
		return err
	}
	if err := users.set(ctx, &t.AssigneeID, ch.AssigneeID, "assigneeId"); err != nil {
		return err
	}
	for _, d := range []struct {
		dst   **clevertim.TaskDate
		in    graphql.Omittable[*model.TaskDateTimeInput]
		field string
	}{{&t.Start, ch.Start, "start"}, {&t.End, ch.End, "end"}} {
		if v, ok := d.in.ValueOK(); ok {
			date, err := taskDate(d.field, v)
			if err != nil {
				return err
			}
			*d.dst = date
		}
	}
	if v, ok := ch.Recurrence.ValueOK(); ok {
		none := clevertim.RecurNone
		t.Recurrence, t.RecurEvery, t.RecurOptions = &none, 1, clevertim.RecurrenceOptions{}
		if v != nil {
			every := v.Every.Value()
			if every != nil && *every < 1 {
				return inputError("recurrence.every", "must be 1 or more, got %d", *every)
			}
			t.Recurrence = &v.Frequency
			if every != nil {
				t.RecurEvery = *every
			}
			skip := v.SkipWeekends.Value()
			t.RecurOptions.SkipWeekends = skip != nil && *skip
		}
	}
	return applyVisibility(ctx, &t.Visibility, ch.Visibility)
}

func (r *mutationResolver) changeTask(ctx context.Context, id clevertim.ID, expected *time.Time, apply func(*clevertim.Task) error) (*clevertim.Task, error) {
	client := loaders.For(ctx).Client()
	return updateRecord(ctx, tasks, id, client.Tasks.Get, client.Tasks.Update,
		func(t *clevertim.Task) time.Time { return t.LastModified }, expected, apply)
}
