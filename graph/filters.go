package graph

import (
	"slices"
	"strings"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// Filters run over the lists the facade fetched, since Clevertim has no
// filtering. Each xMatches reports whether a record matches a filter; the
// resource table (resources.go) names it.

// combine applies a filter's and/or/not around its own conditions (own).
func combine[F any](own bool, and, or []*F, not *F, match func(*F) bool) bool {
	if !own {
		return false
	}
	for _, f := range and {
		if !match(f) {
			return false
		}
	}
	if len(or) > 0 && !slices.ContainsFunc(or, match) {
		return false
	}
	return not == nil || !match(not)
}

func containsFold(needle *string, hay ...string) bool {
	if needle == nil {
		return true
	}
	n := strings.ToLower(strings.TrimSpace(*needle))
	for _, h := range hay {
		if strings.Contains(strings.ToLower(h), n) {
			return true
		}
	}
	return false
}

func hasAllTags(have []string, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			return false
		}
	}
	return true
}

// amountBetween reports whether an amount lies within the bounds given,
// compared exactly; an amount that is unset or not a number matches no bound.
func amountBetween(v clevertim.Decimal, lo, hi *clevertim.Decimal) bool {
	if lo == nil && hi == nil {
		return true
	}
	k := decimalKey(v)
	return !k.null &&
		(lo == nil || keyNumber.compare(k, decimalKey(*lo)) >= 0) &&
		(hi == nil || keyNumber.compare(k, decimalKey(*hi)) <= 0)
}

// dateBetween reports whether a YYYY-MM-DD date lies within the bounds
// given, in the same form (so text order is date order); no date matches no
// bound.
func dateBetween(date, from, until *string) bool {
	if from == nil && until == nil {
		return true
	}
	return date != nil && (from == nil || *date >= *from) && (until == nil || *date <= *until)
}

func oneOf[T comparable](v *T, allowed []T) bool {
	if len(allowed) == 0 {
		return true
	}
	return v != nil && slices.Contains(allowed, *v)
}

// refIs reports whether a reference names the record a filter wants, given
// by its global id (of one of types) or Clevertim's id. The global id of
// another type matches nothing.
func refIs(ref *clevertim.ID, want *clevertim.ID, types ...string) bool {
	if want == nil {
		return true
	}
	local, err := localID(*want, "", types...)
	return err == nil && ref != nil && *ref == local
}

// refIn reports whether a reference names one of the records a filter
// wants (see refIs); an empty list matches every record.
func refIn(ref *clevertim.ID, want []clevertim.ID, types ...string) bool {
	return len(want) == 0 || slices.ContainsFunc(want, func(w clevertim.ID) bool { return refIs(ref, &w, types...) })
}

func since(lm time.Time, t *time.Time) bool { return t == nil || !lm.Before(*t) }

func contactMatches(f *model.ContactFilter, c *clevertim.Contact) bool {
	own := containsFold(f.Search.Value(), append([]string{c.Name(), c.Title}, c.Emails...)...) &&
		hasAllTags(c.Tags, f.Tags.Value()) &&
		oneOf(c.CustomerType, f.CustomerType.Value()) &&
		refIs(c.CompanyID, f.CompanyID.Value(), companies.typeName) &&
		since(c.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.ContactFilter) bool { return contactMatches(g, c) })
}

func companyMatches(f *model.CompanyFilter, c *clevertim.Company) bool {
	own := containsFold(f.Search.Value(), append([]string{c.Name}, c.Emails...)...) &&
		hasAllTags(c.Tags, f.Tags.Value()) &&
		oneOf(c.CustomerType, f.CustomerType.Value()) &&
		since(c.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.CompanyFilter) bool { return companyMatches(g, c) })
}

func opportunityMatches(f *model.OpportunityFilter, o *clevertim.Opportunity) bool {
	status := f.Status.Value()
	own := containsFold(f.Search.Value(), o.Name, o.Description) &&
		(len(status) == 0 || slices.ContainsFunc(status, func(s string) bool { return strings.EqualFold(s, o.Status) })) &&
		refIn(o.LeadUserID, f.LeadUserID.Value(), users.typeName) &&
		refIs(o.CustomerID, f.CustomerID.Value(), customerTypes...) &&
		hasAllTags(o.Tags, f.Tags.Value()) &&
		amountBetween(o.Value, f.ValueMin.Value(), f.ValueMax.Value()) &&
		oneOf(o.CurrencyCode(), f.Currency.Value()) &&
		since(o.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.OpportunityFilter) bool { return opportunityMatches(g, o) })
}

func caseMatches(f *model.CaseFilter, c *clevertim.Case) bool {
	own := containsFold(f.Search.Value(), c.Name, c.Description) &&
		refIn(c.LeadUserID, f.LeadUserID.Value(), users.typeName) &&
		refIs(c.CustomerID, f.CustomerID.Value(), customerTypes...) &&
		hasAllTags(c.Tags, f.Tags.Value()) &&
		since(c.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.CaseFilter) bool { return caseMatches(g, c) })
}

func taskMatches(f *model.TaskFilter, t *clevertim.Task) bool {
	completed := f.Completed.Value()
	own := containsFold(f.Search.Value(), t.Name, t.Location) &&
		oneOf(t.Type, f.Type.Value()) &&
		refIn(t.AssigneeID, f.AssigneeID.Value(), users.typeName) &&
		refIs(t.CustomerID, f.CustomerID.Value(), customerTypes...) &&
		refIs(t.CaseID, f.CaseID.Value(), cases.typeName) &&
		refIs(t.OpportunityID, f.OpportunityID.Value(), opportunities.typeName) &&
		(completed == nil || *completed == t.IsCompleted) &&
		dateBetween(t.Start.Date(), f.StartFrom.Value(), f.StartUntil.Value()) &&
		since(t.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.TaskFilter) bool { return taskMatches(g, t) })
}

func noteMatches(f *model.NoteFilter, n *clevertim.Note) bool {
	cust := f.CustomerID.Value()
	own := containsFold(f.Search.Value(), n.Text) &&
		oneOf(n.Type, f.Type.Value()) &&
		(cust == nil || slices.ContainsFunc(n.CustomerIDs, func(id clevertim.ID) bool { return refIs(&id, cust, customerTypes...) })) &&
		refIs(n.CaseID, f.CaseID.Value(), cases.typeName) &&
		refIs(n.OpportunityID, f.OpportunityID.Value(), opportunities.typeName) &&
		refIn(optionalID(n.CreatedBy), f.CreatedByID.Value(), users.typeName) &&
		since(n.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.NoteFilter) bool { return noteMatches(g, n) })
}

func commentMatches(f *model.CommentFilter, c *clevertim.Comment) bool {
	own := containsFold(f.Search.Value(), c.Text) &&
		refIn(optionalID(c.CreatedBy), f.AuthorID.Value(), users.typeName) &&
		since(c.LastModified, f.ModifiedSince.Value())
	return combine(own, f.And.Value(), f.Or.Value(), f.Not.Value(), func(g *model.CommentFilter) bool { return commentMatches(g, c) })
}

func customFieldMatches(f *model.CustomFieldFilter, c *clevertim.CustomField) bool {
	scope := f.Scope.Value()
	return containsFold(f.Search.Value(), c.Name, c.FullName) &&
		(scope == nil || c.AppliesTo(*scope)) &&
		oneOf(&c.Type, f.Type.Value())
}

func userMatches(f *model.UserFilter, u *clevertim.User) bool {
	return containsFold(f.Search.Value(), u.Name, u.Email)
}
