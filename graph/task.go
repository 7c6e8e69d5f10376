package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

type taskChanges struct {
	typ                                           graphql.Omittable[*clevertim.TaskType]
	location                                      graphql.Omittable[*string]
	customerID, caseID, opportunityID, assigneeID graphql.Omittable[*clevertim.ID]
	start, end                                    graphql.Omittable[*model.TaskDateTimeInput]
	recurrence                                    graphql.Omittable[*model.TaskRecurrenceInput]
	visibility                                    graphql.Omittable[*model.VisibilityInput]
}

func applyTask(ctx context.Context, t *clevertim.Task, ch taskChanges) error {
	l := loaders.For(ctx)
	setPtr(&t.Type, ch.typ)
	setText(&t.Location, ch.location)
	if err := setCustomer(ctx, &t.CustomerID, ch.customerID, "customerId"); err != nil {
		return err
	}
	if err := setRef(ctx, l.Cases, &t.CaseID, ch.caseID, "caseId", "case"); err != nil {
		return err
	}
	if err := setRef(ctx, l.Opportunities, &t.OpportunityID, ch.opportunityID, "opportunityId", "opportunity"); err != nil {
		return err
	}
	if err := setRef(ctx, l.Users, &t.AssigneeID, ch.assigneeID, "assigneeId", "user"); err != nil {
		return err
	}
	for _, d := range []struct {
		dst   **clevertim.TaskDate
		in    graphql.Omittable[*model.TaskDateTimeInput]
		field string
	}{{&t.Start, ch.start, "start"}, {&t.End, ch.end, "end"}} {
		if v, ok := d.in.ValueOK(); ok {
			date, err := taskDate(d.field, v)
			if err != nil {
				return err
			}
			*d.dst = date
		}
	}
	if v, ok := ch.recurrence.ValueOK(); ok {
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
	return applyVisibility(ctx, &t.Visibility, ch.visibility)
}

func (r *mutationResolver) changeTask(ctx context.Context, id clevertim.ID, expected *time.Time, apply func(*clevertim.Task) error) (*clevertim.Task, error) {
	client := loaders.For(ctx).Client()
	return updateRecord(ctx, "task", id, client.Tasks.Get, client.Tasks.Update,
		func(t *clevertim.Task) time.Time { return t.LastModified }, expected, apply)
}
