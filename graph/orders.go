package graph

import (
	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// Orderings map each orderBy input to a sort key; the id breaks ties, and
// decides alone for ID and without orderBy (id order is creation order).

// byID orders by id alone: no sort key.
func byID[T any]() ordering[T] { return ordering[T]{name: "ID"} }

func contactOrdering(o *model.ContactOrder) ordering[clevertim.Contact] {
	if o == nil {
		return byID[clevertim.Contact]()
	}
	ord := ordering[clevertim.Contact]{name: string(o.Field), desc: direction(o.Direction)}
	switch o.Field {
	case model.ContactOrderFieldFirstName:
		ord.key = func(c *clevertim.Contact) string { return textKey(c.FirstName) + "\x00" + textKey(c.LastName) }
	case model.ContactOrderFieldLastName:
		ord.key = func(c *clevertim.Contact) string { return textKey(c.LastName) + "\x00" + textKey(c.FirstName) }
	case model.ContactOrderFieldAddedOn:
		ord.key = func(c *clevertim.Contact) string { return timeKey(c.AddedOn) }
	case model.ContactOrderFieldLastModified:
		ord.key = func(c *clevertim.Contact) string { return timeKey(c.LastModified) }
	case model.ContactOrderFieldLastContacted:
		ord.key = func(c *clevertim.Contact) string { return timePtrKey(c.LastContacted) }
	}
	return ord
}

func companyOrdering(o *model.CompanyOrder) ordering[clevertim.Company] {
	if o == nil {
		return byID[clevertim.Company]()
	}
	ord := ordering[clevertim.Company]{name: string(o.Field), desc: direction(o.Direction)}
	switch o.Field {
	case model.CompanyOrderFieldName:
		ord.key = func(c *clevertim.Company) string { return textKey(c.Name) }
	case model.CompanyOrderFieldAddedOn:
		ord.key = func(c *clevertim.Company) string { return timeKey(c.AddedOn) }
	case model.CompanyOrderFieldLastModified:
		ord.key = func(c *clevertim.Company) string { return timeKey(c.LastModified) }
	case model.CompanyOrderFieldLastContacted:
		ord.key = func(c *clevertim.Company) string { return timePtrKey(c.LastContacted) }
	}
	return ord
}

func opportunityOrdering(o *model.OpportunityOrder) ordering[clevertim.Opportunity] {
	if o == nil {
		return byID[clevertim.Opportunity]()
	}
	ord := ordering[clevertim.Opportunity]{name: string(o.Field), desc: direction(o.Direction)}
	switch o.Field {
	case model.OpportunityOrderFieldName:
		ord.key = func(x *clevertim.Opportunity) string { return textKey(x.Name) }
	case model.OpportunityOrderFieldValue:
		ord.key = func(x *clevertim.Opportunity) string { return decimalKey(x.Value) }
	case model.OpportunityOrderFieldStatus:
		ord.key = func(x *clevertim.Opportunity) string { return textKey(x.Status) }
	case model.OpportunityOrderFieldAddedOn:
		ord.key = func(x *clevertim.Opportunity) string { return timeKey(x.AddedOn) }
	case model.OpportunityOrderFieldLastModified:
		ord.key = func(x *clevertim.Opportunity) string { return timeKey(x.LastModified) }
	}
	return ord
}

func caseOrdering(o *model.CaseOrder) ordering[clevertim.Case] {
	if o == nil {
		return byID[clevertim.Case]()
	}
	ord := ordering[clevertim.Case]{name: string(o.Field), desc: direction(o.Direction)}
	switch o.Field {
	case model.CaseOrderFieldName:
		ord.key = func(x *clevertim.Case) string { return textKey(x.Name) }
	case model.CaseOrderFieldAddedOn:
		ord.key = func(x *clevertim.Case) string { return timeKey(x.AddedOn) }
	case model.CaseOrderFieldLastModified:
		ord.key = func(x *clevertim.Case) string { return timeKey(x.LastModified) }
	}
	return ord
}

func taskOrdering(o *model.TaskOrder) ordering[clevertim.Task] {
	if o == nil {
		return byID[clevertim.Task]()
	}
	ord := ordering[clevertim.Task]{name: string(o.Field), desc: direction(o.Direction)}
	switch o.Field {
	case model.TaskOrderFieldName:
		ord.key = func(x *clevertim.Task) string { return textKey(x.Name) }
	case model.TaskOrderFieldStart:
		ord.key = func(x *clevertim.Task) string { return taskDateKey(x.Start) }
	case model.TaskOrderFieldAddedOn:
		ord.key = func(x *clevertim.Task) string { return timeKey(x.AddedOn) }
	case model.TaskOrderFieldLastModified:
		ord.key = func(x *clevertim.Task) string { return timeKey(x.LastModified) }
	}
	return ord
}

func taskDateKey(d *clevertim.TaskDate) string {
	key := ""
	if s := d.Date(); s != nil {
		key = *s
	}
	if s := d.Time(); s != nil {
		key += "T" + *s
	}
	return key
}

func noteOrdering(o *model.NoteOrder) ordering[clevertim.Note] {
	if o == nil {
		return byID[clevertim.Note]()
	}
	ord := ordering[clevertim.Note]{name: string(o.Field), desc: direction(o.Direction)}
	switch o.Field {
	case model.NoteOrderFieldAddedOn:
		ord.key = func(x *clevertim.Note) string { return timeKey(x.AddedOn) }
	case model.NoteOrderFieldLastModified:
		ord.key = func(x *clevertim.Note) string { return timeKey(x.LastModified) }
	}
	return ord
}

func commentOrdering(o *model.CommentOrder) ordering[clevertim.Comment] {
	if o == nil {
		return byID[clevertim.Comment]()
	}
	ord := ordering[clevertim.Comment]{name: string(o.Field), desc: direction(o.Direction)}
	if o.Field == model.CommentOrderFieldAddedOn {
		ord.key = func(x *clevertim.Comment) string { return timeKey(x.AddedOn) }
	}
	return ord
}

func contactID(x *clevertim.Contact) clevertim.ID         { return x.ID }
func companyID(x *clevertim.Company) clevertim.ID         { return x.ID }
func opportunityID(x *clevertim.Opportunity) clevertim.ID { return x.ID }
func caseID(x *clevertim.Case) clevertim.ID               { return x.ID }
func taskID(x *clevertim.Task) clevertim.ID               { return x.ID }
func noteID(x *clevertim.Note) clevertim.ID               { return x.ID }
func commentID(x *clevertim.Comment) clevertim.ID         { return x.ID }
func customFieldID(x *clevertim.CustomField) clevertim.ID { return x.ID }
func userIDOf(x *clevertim.User) clevertim.ID             { return x.ID }
func groupID(x *clevertim.Group) clevertim.ID             { return x.ID }
func folderID(x *clevertim.Folder) clevertim.ID           { return x.ID }
func fileID(x *clevertim.File) clevertim.ID               { return x.ID }
func linkedFileID(x *clevertim.LinkedFile) clevertim.ID   { return x.ID }
