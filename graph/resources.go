package graph

import (
	"context"
	"fmt"
	"time"

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
type resource[T any, P record[T], F any, OF ~string] struct {
	typeName string
	loader   func(*loaders.Loaders) *loaders.Resource[T]
	// match reports whether a record matches a filter; nil for a resource
	// without filters.
	match func(*F, *T) bool
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

// get loads one record.
func (r *resource[T, P, F, OF]) get(ctx context.Context, id clevertim.ID) (*T, error) {
	return r.loader(loaders.For(ctx)).Load(ctx, id)
}

// list is a top-level list: the whole collection, filtered, sorted and paged.
func (r *resource[T, P, F, OF]) list(ctx context.Context, p page, f *F, o *model.Order[OF]) (*model.Connection[T], error) {
	all, err := r.loader(loaders.For(ctx)).All(ctx)
	if err != nil {
		return nil, err
	}
	return connect[T, P](all, r.matcher(f), r.ordering(o), p)
}

// links is a to-many link that the parent record lists by id, loaded in one
// batch per level, then filtered, sorted and paged like a top-level list.
func (r *resource[T, P, F, OF]) links(ctx context.Context, ids []clevertim.ID, p page, f *F, o *model.Order[OF]) (*model.Connection[T], error) {
	recs, err := loadList(ctx, r.loader(loaders.For(ctx)), ids)
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
	all, err := r.loader(loaders.For(ctx)).All(ctx)
	if err != nil {
		return nil, err
	}
	match := r.matcher(f)
	refers := func(rec *T) bool {
		ref := refOf(rec)
		return ref != nil && *ref == parent && (match == nil || match(rec))
	}
	return connect[T, P](all, refers, r.ordering(o), p)
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

// described is a resource seen without its types, for the planner and for
// custom field links.
type described interface {
	graphQLType() string
	loaderOf(*loaders.Loaders) interface {
		Prefetch(context.Context) func()
		Small() bool
	}
	reverseLinkNames() []string
	linkedType() clevertim.CustomFieldType
	loadLinked(ctx context.Context, ids []clevertim.ID) ([]model.LinkedRecord, []error)
}

func (r *resource[T, P, F, OF]) graphQLType() string { return r.typeName }

func (r *resource[T, P, F, OF]) loaderOf(l *loaders.Loaders) interface {
	Prefetch(context.Context) func()
	Small() bool
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

func (r *resource[T, P, F, OF]) loadLinked(ctx context.Context, ids []clevertim.ID) ([]model.LinkedRecord, []error) {
	recs, errs := r.loader(loaders.For(ctx)).LoadMany(ctx, ids)
	out := make([]model.LinkedRecord, len(recs))
	for i, rec := range recs {
		out[i] = rec
	}
	return out, errs
}

// The table: one entry per resource. Adding a resource is its schema file,
// its client model and service, its loader (graph/loaders), an entry here
// and its name in allResources.
var (
	contacts = &resource[clevertim.Contact, *clevertim.Contact, model.ContactFilter, model.ContactOrderField]{
		typeName: "Contact",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Contact] { return l.Contacts },
		match:    contactMatches,
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
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Company] { return l.Companies },
		match:    companyMatches,
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
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Opportunity] { return l.Opportunities },
		match:    opportunityMatches,
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
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Case] { return l.Cases },
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
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Task] { return l.Tasks },
		match:    taskMatches,
		orders: map[model.TaskOrderField]sortBy[clevertim.Task]{
			model.TaskOrderFieldName:         byText(func(t *clevertim.Task) string { return t.Name }),
			model.TaskOrderFieldStart:        byTaskDate(func(t *clevertim.Task) *clevertim.TaskDate { return t.Start }),
			model.TaskOrderFieldAddedOn:      byTime(func(t *clevertim.Task) *time.Time { return &t.AddedOn }),
			model.TaskOrderFieldLastModified: byTime(func(t *clevertim.Task) *time.Time { return &t.LastModified }),
		},
	}
	notes = &resource[clevertim.Note, *clevertim.Note, model.NoteFilter, model.NoteOrderField]{
		typeName: "Note",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Note] { return l.Notes },
		match:    noteMatches,
		orders: map[model.NoteOrderField]sortBy[clevertim.Note]{
			model.NoteOrderFieldAddedOn:      byTime(func(n *clevertim.Note) *time.Time { return &n.AddedOn }),
			model.NoteOrderFieldLastModified: byTime(func(n *clevertim.Note) *time.Time { return &n.LastModified }),
		},
	}
	comments = &resource[clevertim.Comment, *clevertim.Comment, model.CommentFilter, model.CommentOrderField]{
		typeName: "Comment",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Comment] { return l.Comments },
		match:    commentMatches,
		orders: map[model.CommentOrderField]sortBy[clevertim.Comment]{
			model.CommentOrderFieldAddedOn: byTime(func(c *clevertim.Comment) *time.Time { return &c.AddedOn }),
		},
	}
	customFields = &resource[clevertim.CustomField, *clevertim.CustomField, model.CustomFieldFilter, noOrder]{
		typeName: "CustomField",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.CustomField] { return l.CustomFields },
		match:    customFieldMatches,
	}
	users = &resource[clevertim.User, *clevertim.User, model.UserFilter, noOrder]{
		typeName: "User",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.User] { return l.Users },
		match:    userMatches,
		linkedAs: clevertim.FieldUser,
	}
	groups = &resource[clevertim.Group, *clevertim.Group, noFilter, noOrder]{
		typeName: "Group",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Group] { return l.Groups },
	}
	folders = &resource[clevertim.Folder, *clevertim.Folder, noFilter, noOrder]{
		typeName: "Folder",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.Folder] { return l.Folders },
	}
	files = &resource[clevertim.File, *clevertim.File, noFilter, noOrder]{
		typeName: "File",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.File] { return l.Files },
	}
	linkedFiles = &resource[clevertim.LinkedFile, *clevertim.LinkedFile, noFilter, noOrder]{
		typeName: "LinkedFile",
		loader:   func(l *loaders.Loaders) *loaders.Resource[clevertim.LinkedFile] { return l.LinkedFiles },
	}
)

// allResources lists the table's entries for the planner and custom field
// links.
var allResources = []described{
	contacts, companies, opportunities, cases, tasks, notes, comments,
	customFields, users, groups, folders, files, linkedFiles,
}
