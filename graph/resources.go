package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// A resource says once what the graph needs to know about one kind of
// record: its GraphQL type, its loader, how a filter matches it, how each
// orderBy field sorts it, which reverse links are derived from its
// collection, and which custom field type points at it. Resolvers, the
// query planner and custom field links are derived from these entries (see
// the table at the end of this file).
type resource[T any, P clevertim.RecordPtr[T], F any, OF ~string] struct {
	typeName string
	kind     loaders.Kind[T]
	// match reports whether a record matches a filter; nil for a resource
	// without filters.
	match func(*F, *T) bool
	// equalities are the filter's conditions on enum-like fields that an
	// index per snapshot answers (filters.go).
	equalities []equality[T, F]
	// orders sorts by each orderBy field; every value of the schema's enum
	// but ID (id order, the order without orderBy) has an entry.
	orders map[OF]sortBy[T]
	// reverse are the links Clevertim does not offer, keyed by
	// "Parent.field": the reference of a record to its parent. They read the
	// whole collection, once per request.
	reverse map[string]func(*T) *clevertim.ID
	// linkedAs is the custom field type whose values are ids of this
	// resource; empty when none.
	linkedAs clevertim.CustomFieldType
}

// Resources without filter or orderBy arguments.
type (
	noFilter struct{}
	noOrder  string
)

// loader is the request's loader of the resource.
func (r *resource[T, P, F, OF]) loader(l *loaders.Loaders) *loaders.Resource[T] {
	return loaders.Of[T, P](l, &r.kind)
}

// get loads one record by its id: Clevertim's, or, from an id argument, its
// global id (another type's is BAD_USER_INPUT on id).
func (r *resource[T, P, F, OF]) get(ctx context.Context, id clevertim.ID) (*T, error) {
	id, err := localID(id, "id", r.typeName)
	if err != nil {
		return nil, err
	}
	return r.loader(loaders.For(ctx)).Load(ctx, id)
}

// ref resolves an optional reference: nil when unset, the record when it
// exists, and a NOT_FOUND error at the field's path when it dangles.
func (r *resource[T, P, F, OF]) ref(ctx context.Context, id *clevertim.ID) (*T, error) {
	if id == nil || *id == "" {
		return nil, nil
	}
	return r.get(ctx, *id)
}

// many resolves a list of ids. Records that are gone are left out, each
// reported as its own error at the field's path, so the rest still shows.
func (r *resource[T, P, F, OF]) many(ctx context.Context, ids []clevertim.ID) ([]*T, error) {
	recs, errs := r.loader(loaders.For(ctx)).LoadMany(ctx, ids)
	if err := reportMissing(ctx, errs); err != nil {
		return nil, err
	}
	return recs, nil
}

// set sets a reference to a record of this resource from an input field,
// after checking that the record exists.
func (r *resource[T, P, F, OF]) set(ctx context.Context, dst **clevertim.ID, in graphql.Omittable[*clevertim.ID], field string) error {
	if id := in.Value(); id != nil {
		local, err := localID(*id, field, r.typeName)
		if err != nil {
			return err
		}
		in = graphql.OmittableOf(&local)
	}
	setPtr(dst, in)
	if id := in.Value(); id != nil {
		_, err := r.get(ctx, *id)
		return refError(err, field, r.kind.Name, *id)
	}
	return nil
}

// localID reads an id argument of this resource (see localID).
func (r *resource[T, P, F, OF]) localID(id clevertim.ID) (clevertim.ID, error) {
	return localID(id, "id", r.typeName)
}

// all is every record the key may see, fetched once per request.
func (r *resource[T, P, F, OF]) all(ctx context.Context) ([]*T, error) {
	return r.loader(loaders.For(ctx)).All(ctx)
}

// list is a top-level list: the whole collection, filtered, sorted and paged.
func (r *resource[T, P, F, OF]) list(ctx context.Context, p page, f *F, o *model.Order[OF]) (*model.Connection[T], error) {
	if err := checkFilterIDs(f, "filter"); err != nil {
		return nil, err
	}
	snap, err := r.loader(loaders.For(ctx)).Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return connectIndexed[T, P](ctx, snap, r.matcher(f), equalityIn(r.equalities, f), r.ordering(o), p)
}

// links is a to-many link that the parent record lists by id, loaded in one
// batch per level, then filtered, sorted and paged like a top-level list.
func (r *resource[T, P, F, OF]) links(ctx context.Context, ids []clevertim.ID, p page, f *F, o *model.Order[OF]) (*model.Connection[T], error) {
	if err := checkFilterIDs(f, "filter"); err != nil {
		return nil, err
	}
	recs, err := r.many(ctx, ids)
	if err != nil {
		return nil, err
	}
	return connect[T, P](recs, r.matcher(f), r.ordering(o), p)
}

// reverseLinks is a derived link (r.reverse[link]): the records of the
// collection that refer to parent. The collection is fetched once per
// request, however many parents ask.
func (r *resource[T, P, F, OF]) reverseLinks(ctx context.Context, link string, parent clevertim.ID, p page, f *F, o *model.Order[OF]) (*model.Connection[T], error) {
	refOf, ok := r.reverse[link]
	if !ok {
		panic(fmt.Sprintf("graph: %s is not a reverse link of %s", link, r.typeName))
	}
	if err := checkFilterIDs(f, "filter"); err != nil {
		return nil, err
	}
	snap, err := r.loader(loaders.For(ctx)).Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	// The link's records by parent, grouped once per snapshot.
	byParent := snap.Index("link:"+link, func(recs []*T) any {
		groups := map[clevertim.ID][]*T{}
		for _, rec := range recs {
			if ref := refOf(rec); ref != nil {
				groups[*ref] = append(groups[*ref], rec)
			}
		}
		return groups
	}).(map[clevertim.ID][]*T)
	return connect[T, P](byParent[parent], r.matcher(f), r.ordering(o), p)
}

func (r *resource[T, P, F, OF]) matcher(f *F) func(*T) bool {
	if f == nil || r.match == nil {
		return nil
	}
	return func(rec *T) bool { return r.match(f, rec) }
}

// ordering is the sort an orderBy input asks for; without one, id order.
func (r *resource[T, P, F, OF]) ordering(o *model.Order[OF]) ordering[T] {
	if o == nil {
		return ordering[T]{name: "ID"}
	}
	if o.Field == "ID" {
		return ordering[T]{name: "ID", desc: o.Desc()}
	}
	by, ok := r.orders[o.Field]
	if !ok {
		// The schema's enum and the table disagree: a test checks they do not.
		panic(fmt.Sprintf("graph: %s has no ordering by %s", r.typeName, o.Field))
	}
	return ordering[T]{name: string(o.Field), desc: o.Desc(), sortBy: by}
}

// customersOf is the request's loader of `cust` references (a contact or a
// company).
func customersOf(ctx context.Context) *loaders.CustomerLoader {
	l := loaders.For(ctx)
	return l.Customers(contacts.loader(l), companies.loader(l))
}

// described is a resource seen without its types, for the planner and for
// custom field links.
type described interface {
	graphQLType() string
	loaderOf(*loaders.Loaders) interface {
		Prefetch(context.Context) func()
		WantsCollection(n int) bool
	}
	reverseLinkNames() []string
	loaderKind() any // *loaders.Kind[T]
	// deleted tells the loaders and the replica the record is gone.
	deleted(ctx context.Context, id clevertim.ID)
	linkedType() clevertim.CustomFieldType
	loadLinked(ctx context.Context, ids []clevertim.ID) ([]model.LinkedRecord, []error)
	loadNode(ctx context.Context, id clevertim.ID) (model.Node, error)
	localID(id clevertim.ID) (clevertim.ID, error)
	kindName() string
}

func (r *resource[T, P, F, OF]) graphQLType() string { return r.typeName }

func (r *resource[T, P, F, OF]) loaderOf(l *loaders.Loaders) interface {
	Prefetch(context.Context) func()
	WantsCollection(n int) bool
} {
	return r.loader(l)
}

func (r *resource[T, P, F, OF]) reverseLinkNames() []string {
	names := make([]string, 0, len(r.reverse))
	for name := range r.reverse {
		names = append(names, name)
	}
	return names
}

func (r *resource[T, P, F, OF]) linkedType() clevertim.CustomFieldType { return r.linkedAs }

func (r *resource[T, P, F, OF]) loaderKind() any { return &r.kind }

func (r *resource[T, P, F, OF]) deleted(ctx context.Context, id clevertim.ID) {
	wrote[T, P](ctx, id, nil)
}

func (r *resource[T, P, F, OF]) kindName() string { return r.kind.Name }

func (r *resource[T, P, F, OF]) loadNode(ctx context.Context, id clevertim.ID) (model.Node, error) {
	return r.get(ctx, id)
}

func (r *resource[T, P, F, OF]) loadLinked(ctx context.Context, ids []clevertim.ID) ([]model.LinkedRecord, []error) {
	recs, errs := r.loader(loaders.For(ctx)).LoadMany(ctx, ids)
	out := make([]model.LinkedRecord, len(recs))
	for i, rec := range recs {
		out[i] = rec
	}
	return out, errs
}

// The table: one entry per resource. Adding a resource is its schema file,
// its client model and service, an entry here and its name in allResources.
var (
	contacts = &resource[clevertim.Contact, *clevertim.Contact, model.ContactFilter, model.ContactOrderField]{
		typeName: "Contact",
		kind:     loaders.Kind[clevertim.Contact]{Name: "contact", Service: func(c *clevertim.Client) loaders.Service[clevertim.Contact] { return c.Contacts }},
		match:    contactMatches,
		equalities: []equality[clevertim.Contact, model.ContactFilter]{{field: "customerType",
			value:  func(c *clevertim.Contact) (string, bool) { return customerTypeOf(&c.Customer) },
			wanted: func(f *model.ContactFilter) []string { return codeStrings(f.CustomerType.Value()) }}},
		orders: map[model.ContactOrderField]sortBy[clevertim.Contact]{
			model.ContactOrderFieldFirstName: byText(func(c *clevertim.Contact) string { return c.FirstName },
				func(c *clevertim.Contact) string { return c.LastName }),
			model.ContactOrderFieldLastName: byText(func(c *clevertim.Contact) string { return c.LastName },
				func(c *clevertim.Contact) string { return c.FirstName }),
			model.ContactOrderFieldAddedOn:       byTime(func(c *clevertim.Contact) *time.Time { return &c.AddedOn }),
			model.ContactOrderFieldLastModified:  byTime(func(c *clevertim.Contact) *time.Time { return &c.LastModified }),
			model.ContactOrderFieldLastContacted: byTime(func(c *clevertim.Contact) *time.Time { return c.LastContacted }),
		},
		reverse: map[string]func(*clevertim.Contact) *clevertim.ID{
			"Company.contacts": func(c *clevertim.Contact) *clevertim.ID { return c.CompanyID },
		},
		linkedAs: clevertim.FieldContact,
	}
	companies = &resource[clevertim.Company, *clevertim.Company, model.CompanyFilter, model.CompanyOrderField]{
		typeName: "Company",
		kind:     loaders.Kind[clevertim.Company]{Name: "company", Service: func(c *clevertim.Client) loaders.Service[clevertim.Company] { return c.Companies }},
		match:    companyMatches,
		equalities: []equality[clevertim.Company, model.CompanyFilter]{{field: "customerType",
			value:  func(c *clevertim.Company) (string, bool) { return customerTypeOf(&c.Customer) },
			wanted: func(f *model.CompanyFilter) []string { return codeStrings(f.CustomerType.Value()) }}},
		orders: map[model.CompanyOrderField]sortBy[clevertim.Company]{
			model.CompanyOrderFieldName:          byText(func(c *clevertim.Company) string { return c.Name }),
			model.CompanyOrderFieldAddedOn:       byTime(func(c *clevertim.Company) *time.Time { return &c.AddedOn }),
			model.CompanyOrderFieldLastModified:  byTime(func(c *clevertim.Company) *time.Time { return &c.LastModified }),
			model.CompanyOrderFieldLastContacted: byTime(func(c *clevertim.Company) *time.Time { return c.LastContacted }),
		},
		linkedAs: clevertim.FieldCompany,
	}
	opportunities = &resource[clevertim.Opportunity, *clevertim.Opportunity, model.OpportunityFilter, model.OpportunityOrderField]{
		typeName: "Opportunity",
		kind:     loaders.Kind[clevertim.Opportunity]{Name: "opportunity", Service: func(c *clevertim.Client) loaders.Service[clevertim.Opportunity] { return c.Opportunities }},
		match:    opportunityMatches,
		equalities: []equality[clevertim.Opportunity, model.OpportunityFilter]{
			{field: "status", value: statusOf, wanted: opportunityStatuses, fold: true}},
		orders: map[model.OpportunityOrderField]sortBy[clevertim.Opportunity]{
			model.OpportunityOrderFieldName:         byText(func(o *clevertim.Opportunity) string { return o.Name }),
			model.OpportunityOrderFieldValue:        byDecimal(func(o *clevertim.Opportunity) clevertim.Decimal { return o.Value }),
			model.OpportunityOrderFieldStatus:       byText(func(o *clevertim.Opportunity) string { return o.Status }),
			model.OpportunityOrderFieldAddedOn:      byTime(func(o *clevertim.Opportunity) *time.Time { return &o.AddedOn }),
			model.OpportunityOrderFieldLastModified: byTime(func(o *clevertim.Opportunity) *time.Time { return &o.LastModified }),
		},
		linkedAs: clevertim.FieldOpportunity,
	}
	cases = &resource[clevertim.Case, *clevertim.Case, model.CaseFilter, model.CaseOrderField]{
		typeName: "Case",
		kind:     loaders.Kind[clevertim.Case]{Name: "case", Service: func(c *clevertim.Client) loaders.Service[clevertim.Case] { return c.Cases }},
		match:    caseMatches,
		orders: map[model.CaseOrderField]sortBy[clevertim.Case]{
			model.CaseOrderFieldName:         byText(func(c *clevertim.Case) string { return c.Name }),
			model.CaseOrderFieldAddedOn:      byTime(func(c *clevertim.Case) *time.Time { return &c.AddedOn }),
			model.CaseOrderFieldLastModified: byTime(func(c *clevertim.Case) *time.Time { return &c.LastModified }),
		},
		linkedAs: clevertim.FieldCase,
	}
	tasks = &resource[clevertim.Task, *clevertim.Task, model.TaskFilter, model.TaskOrderField]{
		typeName: "Task",
		kind:     loaders.Kind[clevertim.Task]{Name: "task", Service: func(c *clevertim.Client) loaders.Service[clevertim.Task] { return c.Tasks }},
		match:    taskMatches,
		equalities: []equality[clevertim.Task, model.TaskFilter]{
			{field: "type", value: taskTypeOf, wanted: taskTypes},
			{field: "completed", value: taskCompletion, wanted: taskCompleted}},
		orders: map[model.TaskOrderField]sortBy[clevertim.Task]{
			model.TaskOrderFieldName:         byText(func(t *clevertim.Task) string { return t.Name }),
			model.TaskOrderFieldStart:        byTaskDate(func(t *clevertim.Task) *clevertim.TaskDate { return t.Start }),
			model.TaskOrderFieldEnd:          byTaskDate(func(t *clevertim.Task) *clevertim.TaskDate { return t.End }),
			model.TaskOrderFieldAddedOn:      byTime(func(t *clevertim.Task) *time.Time { return &t.AddedOn }),
			model.TaskOrderFieldLastModified: byTime(func(t *clevertim.Task) *time.Time { return &t.LastModified }),
		},
	}
	notes = &resource[clevertim.Note, *clevertim.Note, model.NoteFilter, model.NoteOrderField]{
		typeName:   "Note",
		kind:       loaders.Kind[clevertim.Note]{Name: "note", Service: func(c *clevertim.Client) loaders.Service[clevertim.Note] { return c.Notes }},
		match:      noteMatches,
		equalities: []equality[clevertim.Note, model.NoteFilter]{{field: "type", value: noteTypeOf, wanted: noteTypes}},
		orders: map[model.NoteOrderField]sortBy[clevertim.Note]{
			model.NoteOrderFieldAddedOn:      byTime(func(n *clevertim.Note) *time.Time { return &n.AddedOn }),
			model.NoteOrderFieldLastModified: byTime(func(n *clevertim.Note) *time.Time { return &n.LastModified }),
		},
	}
	comments = &resource[clevertim.Comment, *clevertim.Comment, model.CommentFilter, model.CommentOrderField]{
		typeName: "Comment",
		kind:     loaders.Kind[clevertim.Comment]{Name: "comment", Service: func(c *clevertim.Client) loaders.Service[clevertim.Comment] { return c.Comments }},
		match:    commentMatches,
		orders: map[model.CommentOrderField]sortBy[clevertim.Comment]{
			model.CommentOrderFieldAddedOn: byTime(func(c *clevertim.Comment) *time.Time { return &c.AddedOn }),
		},
	}
	customFields = &resource[clevertim.CustomField, *clevertim.CustomField, model.CustomFieldFilter, noOrder]{
		typeName: "CustomField",
		kind:     loaders.Kind[clevertim.CustomField]{Name: "custom field", Small: true, Service: func(c *clevertim.Client) loaders.Service[clevertim.CustomField] { return c.CustomFields }},
		match:    customFieldMatches,
	}
	users = &resource[clevertim.User, *clevertim.User, model.UserFilter, noOrder]{
		typeName: "User",
		kind:     loaders.Kind[clevertim.User]{Name: "user", Small: true, Service: func(c *clevertim.Client) loaders.Service[clevertim.User] { return c.Users }},
		match:    userMatches,
		linkedAs: clevertim.FieldUser,
	}
	groups = &resource[clevertim.Group, *clevertim.Group, noFilter, noOrder]{
		typeName: "Group",
		kind:     loaders.Kind[clevertim.Group]{Name: "group", Small: true, Service: func(c *clevertim.Client) loaders.Service[clevertim.Group] { return c.Groups }},
	}
	folders = &resource[clevertim.Folder, *clevertim.Folder, noFilter, noOrder]{
		typeName: "Folder",
		kind:     loaders.Kind[clevertim.Folder]{Name: "folder", Small: true, Service: func(c *clevertim.Client) loaders.Service[clevertim.Folder] { return c.Folders }},
	}
	files = &resource[clevertim.File, *clevertim.File, noFilter, noOrder]{
		typeName: "File",
		kind:     loaders.Kind[clevertim.File]{Name: "file", Service: func(c *clevertim.Client) loaders.Service[clevertim.File] { return c.Files }},
	}
	linkedFiles = &resource[clevertim.LinkedFile, *clevertim.LinkedFile, noFilter, noOrder]{
		typeName: "LinkedFile",
		kind:     loaders.Kind[clevertim.LinkedFile]{Name: "linked file", Service: func(c *clevertim.Client) loaders.Service[clevertim.LinkedFile] { return c.LinkedFiles }},
	}
)

// allResources lists the table's entries for the planner and custom field
// links.
var allResources = []described{
	contacts, companies, opportunities, cases, tasks, notes, comments,
	customFields, users, groups, folders, files, linkedFiles,
}
