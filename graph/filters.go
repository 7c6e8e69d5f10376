package graph

import (
	"cmp"
	"reflect"
	"slices"
	"strconv"
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
	if in, ok := plainBetween(string(v), lo, hi); ok {
		return in
	}
	k := decimalKey(v)
	return !k.null &&
		(lo == nil || keyNumber.compare(k, decimalKey(*lo)) >= 0) &&
		(hi == nil || keyNumber.compare(k, decimalKey(*hi)) <= 0)
}

// plainBetween is amountBetween for amounts and bounds written plainly
// ("1000.50"), as they almost always are: compared as text, exactly,
// without parsing three numbers per record. ok is false when one is
// written otherwise.
func plainBetween(v string, lo, hi *clevertim.Decimal) (in, ok bool) {
	for _, b := range [...]struct {
		bound *clevertim.Decimal
		side  int // the sign v's comparison with the bound may not have
	}{{lo, -1}, {hi, 1}} {
		if b.bound == nil {
			continue
		}
		c, ok := comparePlainDecimals(v, string(*b.bound))
		if !ok {
			return false, false
		}
		if c == b.side {
			return false, true
		}
	}
	return true, true
}

// comparePlainDecimals compares two decimals written plainly (an optional
// minus, digits, optionally a point and digits) by value, exactly, without
// allocating; ok is false when either is written otherwise (exponent,
// fraction, spaces, empty), for big.Rat to read.
func comparePlainDecimals(a, b string) (c int, ok bool) {
	negA, intA, fracA, okA := splitPlainDecimal(a)
	negB, intB, fracB, okB := splitPlainDecimal(b)
	if !okA || !okB {
		return 0, false
	}
	if negA != negB {
		if negA {
			return -1, true
		}
		return 1, true
	}
	// Same sign: compare magnitudes, integer part by length then digits,
	// then the fractions digit by digit (a missing digit is 0).
	m := cmp.Compare(len(intA), len(intB))
	if m == 0 {
		m = strings.Compare(intA, intB)
	}
	for i := 0; m == 0 && i < max(len(fracA), len(fracB)); i++ {
		m = cmp.Compare(digitAt(fracA, i), digitAt(fracB, i))
	}
	if negA {
		m = -m
	}
	return m, true
}

// splitPlainDecimal splits a plain decimal into its sign, integer digits
// without leading zeros and fraction digits without trailing zeros; zero
// has no sign.
func splitPlainDecimal(s string) (neg bool, intPart, frac string, ok bool) {
	if len(s) > maxNumberLen { // not a number to parseNumber either
		return false, "", "", false
	}
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	if intPart == "" || hasPoint && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return false, "", "", false
	}
	intPart = strings.TrimLeft(intPart, "0")
	frac = strings.TrimRight(frac, "0")
	if intPart == "" && frac == "" {
		neg = false
	}
	return neg, intPart, frac, true
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func digitAt(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return '0'
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

// An equality is a filter condition on an enum-like field (a status, a
// type, a flag: few distinct values) that an index answers: each snapshot's
// places in an ordering are grouped once by the field's value, so a filter
// asking for a value starts from that value's places instead of passing
// over the collection.
type equality[T, F any] struct {
	field string // the filter's input field
	// value is a record's value as the index groups it; ok is false when the
	// record has none (it matches no value).
	value func(*T) (v string, ok bool)
	// wanted are the values the filter asks for; nil or empty when it does
	// not ask (every record matches the condition).
	wanted func(*F) []string
	fold   bool // the filter compares values without regard to case
}

// equalityQuery is an equality condition of one filter.
type equalityQuery[T any] struct {
	field  string
	value  func(*T) (string, bool)
	wanted []string
	fold   bool
	// alone: the filter has no other condition, so the value's places are
	// the answer and no record needs matching.
	alone bool
}

// equalityIn is the first of eqs that filter f asks for at its top level
// (where every match must hold it); nil when none.
func equalityIn[T, F any](eqs []equality[T, F], f *F) *equalityQuery[T] {
	if f == nil {
		return nil
	}
	for _, eq := range eqs {
		if wanted := eq.wanted(f); len(wanted) > 0 {
			return &equalityQuery[T]{field: eq.field, value: eq.value, wanted: wanted, fold: eq.fold, alone: onlyCondition(f, eq.field)}
		}
	}
	return nil
}

// onlyCondition reports whether field is the filter's only condition: every
// other input field is absent, null or an empty list (and, or, not
// included), each of which every record matches. The filter types are
// generated, one per resource; reflection reads them all the same way.
func onlyCondition(filter any, field string) bool {
	v := reflect.ValueOf(filter).Elem()
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name == field {
			continue
		}
		value := v.Field(i).MethodByName("Value") // graphql.Omittable
		if !value.IsValid() {
			return false
		}
		got := value.Call(nil)[0]
		switch got.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Map:
			if !got.IsNil() {
				return false
			}
		case reflect.Slice:
			if got.Len() > 0 {
				return false
			}
		default:
			if !got.IsZero() {
				return false
			}
		}
	}
	return true
}

// equalityIndex is an ordering's places grouped by one field's value, each
// group in the ordering.
type equalityIndex[T any] struct {
	all     *sortedPlaces[T] // the ordering's places
	groupOf []int32          // the group of each record (by its index in all.recs), -1 for none
	groups  []*sortedPlaces[T]
	values  []string         // each group's value
	byValue map[string]int32 // the group of each value, once there are more than a few
}

// fewValues is how many distinct values are looked for along the list of
// them, which beats hashing each record's value; past it, a map.
const fewValues = 16

func (ix *equalityIndex[T]) find(v string) int32 {
	if ix.byValue != nil {
		if g, ok := ix.byValue[v]; ok {
			return g
		}
		return -1
	}
	return int32(slices.Index(ix.values, v))
}

func groupPlaces[T any](s *sortedPlaces[T], value func(*T) (string, bool)) *equalityIndex[T] {
	ix := &equalityIndex[T]{all: s, groupOf: make([]int32, len(s.recs))}
	// The records are read in their own order, which is memory order; the
	// ordering's places are then sorted into groups by record index alone.
	// Reading the records in the ordering would miss the cache on each.
	var sizes []int
	for at, rec := range s.recs {
		v, ok := value(rec)
		if !ok {
			ix.groupOf[at] = -1
			continue
		}
		g := ix.find(v)
		if g < 0 {
			g = int32(len(ix.values))
			ix.values = append(ix.values, v)
			sizes = append(sizes, 0)
			switch {
			case ix.byValue != nil:
				ix.byValue[v] = g
			case len(ix.values) > fewValues:
				ix.byValue = make(map[string]int32, len(ix.values))
				for g, v := range ix.values {
					ix.byValue[v] = int32(g)
				}
			}
		}
		ix.groupOf[at] = g
		sizes[g]++
	}
	// Each group's array is allocated once, at its size: appending would
	// copy the places log n times.
	ix.groups = make([]*sortedPlaces[T], len(sizes))
	for g, n := range sizes {
		ix.groups[g] = &sortedPlaces[T]{recs: s.recs, items: make([]place, 0, n)}
	}
	for _, it := range s.items {
		if g := ix.groupOf[it.at]; g >= 0 {
			ix.groups[g].items = append(ix.groups[g].items, it)
		}
	}
	return ix
}

// subset is the places of the records whose value is one of wanted, in the
// ordering; ok is false when the index cannot say (values compared without
// regard to case, and too many of them to compare each). One value is its
// group as it stands; several are picked out of the ordering by their
// group, one pass over an array of group numbers with no comparison.
func (ix *equalityIndex[T]) subset(wanted []string, fold bool) (_ *sortedPlaces[T], ok bool) {
	picked := make([]bool, len(ix.groups))
	n, last := 0, -1
	pick := func(g int) {
		if g >= 0 && !picked[g] {
			picked[g] = true
			n += len(ix.groups[g].items)
			last = g
		}
	}
	switch {
	case !fold:
		for _, w := range wanted {
			pick(int(ix.find(w)))
		}
	case ix.byValue != nil:
		return nil, false
	default:
		// Comparing each value keeps the filter's own rule, which
		// lower-cased keys would not exactly (EqualFold folds more).
		for g, v := range ix.values {
			if slices.ContainsFunc(wanted, func(w string) bool { return strings.EqualFold(w, v) }) {
				pick(g)
			}
		}
	}
	switch {
	case last < 0:
		return &sortedPlaces[T]{}, true
	case n == len(ix.groups[last].items):
		return ix.groups[last], true
	}
	out := &sortedPlaces[T]{recs: ix.all.recs, items: make([]place, 0, n)}
	for _, it := range ix.all.items {
		if g := ix.groupOf[it.at]; g >= 0 && picked[g] {
			out.items = append(out.items, it)
		}
	}
	return out, true
}

// The equalities the table's resources index.

func statusOf(o *clevertim.Opportunity) (string, bool) { return o.Status, true }

func opportunityStatuses(f *model.OpportunityFilter) []string { return f.Status.Value() }

func taskTypeOf(t *clevertim.Task) (string, bool) {
	if t.Type == nil {
		return "", false
	}
	return string(*t.Type), true
}

func taskTypes(f *model.TaskFilter) []string { return codeStrings(f.Type.Value()) }

func taskCompletion(t *clevertim.Task) (string, bool) { return strconv.FormatBool(t.IsCompleted), true }

func taskCompleted(f *model.TaskFilter) []string {
	if c := f.Completed.Value(); c != nil {
		return []string{strconv.FormatBool(*c)}
	}
	return nil
}

func noteTypeOf(n *clevertim.Note) (string, bool) {
	if n.Type == nil {
		return "", false
	}
	return string(*n.Type), true
}

func noteTypes(f *model.NoteFilter) []string { return codeStrings(f.Type.Value()) }

func customerTypeOf(c *clevertim.Customer) (string, bool) {
	if c.CustomerType == nil {
		return "", false
	}
	return string(*c.CustomerType), true
}

func codeStrings[C ~string](codes []C) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return out
}
