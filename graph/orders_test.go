package graph

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/collate"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// Every orderBy field of every resource, sorted over records with negative,
// tied, absent, very large and non-ASCII values, both ways, whole and page
// by page through cursors. The ids in want are the ascending order; ties
// are broken by id.

func ptr[T any](v T) *T { return &v }

var (
	day      = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	timeRecs = []*time.Time{ // ids 1..8
		ptr(day),
		nil,
		ptr(time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)), // before the Unix epoch
		ptr(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)),
		ptr(time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)), // past RFC 3339's range
		ptr(day),                                 // a tie with 1
		ptr(day.Add(time.Nanosecond)),            // just after
		ptr(day.In(time.FixedZone("CET", 3600))), // the same instant as 1, elsewhere
	}
	timeWant = []string{"2", "3", "1", "6", "8", "7", "4", "5"}

	textRecs = []string{"Zoë", "Zoe", "adam", "Adam", "Émile", "Eddie", "Ezra", "", "Çelik", "Cabot", "ADAM "}
	// Case is ignored (adam = Adam = ADAM, then id), accents come after the
	// bare letter (Zoe, Zoë) but do not move a word out of its letter.
	textWant = []string{"8", "3", "4", "11", "10", "9", "6", "5", "7", "2", "1"}
)

// records builds n records; set gets each one, the Record holding its id
// (i+1), and i.
func records[T any](n int, set func(rec *T, r *clevertim.Record, i int)) []*T {
	out := make([]*T, n)
	for i := range out {
		out[i] = new(T)
		var r clevertim.Record
		r.ID = clevertim.IDFromInt(int64(i + 1))
		set(out[i], &r, i)
	}
	return out
}

type orderCase[T any, OF ~string] struct {
	field OF
	recs  []*T
	want  []string
}

func checkOrders[T any, P clevertim.RecordPtr[T], F any, OF ~string](t *testing.T, r *resource[T, P, F, OF], all []OF, cases []orderCase[T, OF]) {
	t.Helper()
	// ID is id order: numeric ids by value (10 after 9).
	idOrder := make([]string, len(cases[0].recs))
	for i := range idOrder {
		idOrder[i] = fmt.Sprint(i + 1)
	}
	shuffled := slices.Clone(cases[0].recs)
	slices.Reverse(shuffled)
	cases = append(cases, orderCase[T, OF]{"ID", shuffled, idOrder})
	covered := map[OF]bool{}
	for _, tc := range cases {
		covered[tc.field] = true
		t.Run(fmt.Sprintf("%s/%s", r.typeName, tc.field), func(t *testing.T) {
			for _, dir := range []model.OrderDirection{model.OrderDirectionAsc, model.OrderDirectionDesc} {
				want := slices.Clone(tc.want)
				if dir == model.OrderDirectionDesc {
					slices.Reverse(want)
				}
				ord := r.ordering(&model.Order[OF]{Field: tc.field, Direction: dir})
				conn, err := connect[T, P](tc.recs, nil, ord, page{first: ptr(MaxPageSize)})
				if err != nil {
					t.Fatal(err)
				}
				if got := idsOf[T, P](conn.Nodes()); !slices.Equal(got, want) {
					t.Errorf("%s: got %v, want %v", dir, got, want)
				}
				// Page by page, two at a time: each cursor must find its place.
				var got []string
				var after *string
				for range len(want) {
					conn, err := connect[T, P](tc.recs, nil, ord, page{first: ptr(2), after: after})
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, idsOf[T, P](conn.Nodes())...)
					info := conn.PageInfo()
					if !info.HasNextPage {
						break
					}
					after = info.EndCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s, paged: got %v, want %v", dir, got, want)
				}
			}
		})
	}
	for _, f := range all {
		if !covered[f] {
			t.Errorf("%s: no test for orderBy %s", r.typeName, f)
		}
		if _, ok := r.orders[f]; !ok && f != "ID" {
			t.Errorf("%s: no ordering for orderBy %s", r.typeName, f)
		}
	}
}

func idsOf[T any, P clevertim.RecordPtr[T]](recs []*T) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(P(r).RecordID())
	}
	return out
}

func TestOrderings(t *testing.T) {
	t.Parallel()
	contactTimes := func(set func(c *clevertim.Contact, v *time.Time)) []*clevertim.Contact {
		return records(len(timeRecs), func(c *clevertim.Contact, r *clevertim.Record, i int) {
			c.Record = *r
			set(c, timeRecs[i])
		})
	}
	orZero := func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
	firstNames := []string{"Émile", "emma", "Eli", "", "Zack", "Ann", "Ann"}
	lastNames := []string{"", "", "", "", "", "B", "a"}
	checkOrders(t, contacts, model.AllContactOrderField, []orderCase[clevertim.Contact, model.ContactOrderField]{
		{model.ContactOrderFieldFirstName, records(len(firstNames), func(c *clevertim.Contact, r *clevertim.Record, i int) {
			c.Record, c.FirstName, c.LastName = *r, firstNames[i], lastNames[i]
		}), []string{"4", "7", "6", "3", "1", "2", "5"}},
		{model.ContactOrderFieldLastName, records(len(textRecs), func(c *clevertim.Contact, r *clevertim.Record, i int) {
			// Ties on the last name fall to the first name.
			c.Record, c.LastName, c.FirstName = *r, textRecs[i], map[int]string{2: "b", 3: "a", 10: "c"}[i]
		}), []string{"8", "4", "3", "11", "10", "9", "6", "5", "7", "2", "1"}},
		{model.ContactOrderFieldAddedOn, contactTimes(func(c *clevertim.Contact, v *time.Time) { c.AddedOn = orZero(v) }), timeWant},
		{model.ContactOrderFieldLastModified, contactTimes(func(c *clevertim.Contact, v *time.Time) { c.LastModified = orZero(v) }), timeWant},
		{model.ContactOrderFieldLastContacted, contactTimes(func(c *clevertim.Contact, v *time.Time) { c.LastContacted = v }), timeWant},
	})

	companyTimes := func(set func(c *clevertim.Company, v *time.Time)) []*clevertim.Company {
		return records(len(timeRecs), func(c *clevertim.Company, r *clevertim.Record, i int) { c.Record = *r; set(c, timeRecs[i]) })
	}
	checkOrders(t, companies, model.AllCompanyOrderField, []orderCase[clevertim.Company, model.CompanyOrderField]{
		{model.CompanyOrderFieldName, records(len(textRecs), func(c *clevertim.Company, r *clevertim.Record, i int) { c.Record, c.Name = *r, textRecs[i] }), textWant},
		{model.CompanyOrderFieldAddedOn, companyTimes(func(c *clevertim.Company, v *time.Time) { c.AddedOn = orZero(v) }), timeWant},
		{model.CompanyOrderFieldLastModified, companyTimes(func(c *clevertim.Company, v *time.Time) { c.LastModified = orZero(v) }), timeWant},
		{model.CompanyOrderFieldLastContacted, companyTimes(func(c *clevertim.Company, v *time.Time) { c.LastContacted = v }), timeWant},
	})

	amounts := []clevertim.Decimal{"-5", "-5.5", "-60", "-100", "", "abc", "0", "5", "5.00",
		"100000000000000000000.01", "99999999999999999999.99", "1e17", "0.1", "-0.000001"}
	statuses := []string{"Open", "won", "Lost", "open", "", "Ünterwegs", "Uno"}
	oppTimes := func(set func(o *clevertim.Opportunity, v *time.Time)) []*clevertim.Opportunity {
		return records(len(timeRecs), func(o *clevertim.Opportunity, r *clevertim.Record, i int) { o.Record = *r; set(o, timeRecs[i]) })
	}
	checkOrders(t, opportunities, model.AllOpportunityOrderField, []orderCase[clevertim.Opportunity, model.OpportunityOrderField]{
		{model.OpportunityOrderFieldName, records(len(textRecs), func(o *clevertim.Opportunity, r *clevertim.Record, i int) { o.Record, o.Name = *r, textRecs[i] }), textWant},
		// Absent and unreadable amounts first, then by value, exactly:
		// -100 < -60 < -5.5 < -5, and 1e17 < 99…99.99 < 100…00.01.
		{model.OpportunityOrderFieldValue, records(len(amounts), func(o *clevertim.Opportunity, r *clevertim.Record, i int) { o.Record, o.Value = *r, amounts[i] }),
			[]string{"5", "6", "4", "3", "2", "1", "14", "7", "13", "8", "9", "12", "11", "10"}},
		{model.OpportunityOrderFieldStatus, records(len(statuses), func(o *clevertim.Opportunity, r *clevertim.Record, i int) { o.Record, o.Status = *r, statuses[i] }),
			[]string{"5", "3", "1", "4", "7", "6", "2"}},
		{model.OpportunityOrderFieldAddedOn, oppTimes(func(o *clevertim.Opportunity, v *time.Time) { o.AddedOn = orZero(v) }), timeWant},
		{model.OpportunityOrderFieldLastModified, oppTimes(func(o *clevertim.Opportunity, v *time.Time) { o.LastModified = orZero(v) }), timeWant},
	})

	caseTimes := func(set func(c *clevertim.Case, v *time.Time)) []*clevertim.Case {
		return records(len(timeRecs), func(c *clevertim.Case, r *clevertim.Record, i int) { c.Record = *r; set(c, timeRecs[i]) })
	}
	checkOrders(t, cases, model.AllCaseOrderField, []orderCase[clevertim.Case, model.CaseOrderField]{
		{model.CaseOrderFieldName, records(len(textRecs), func(c *clevertim.Case, r *clevertim.Record, i int) { c.Record, c.Name = *r, textRecs[i] }), textWant},
		{model.CaseOrderFieldAddedOn, caseTimes(func(c *clevertim.Case, v *time.Time) { c.AddedOn = orZero(v) }), timeWant},
		{model.CaseOrderFieldLastModified, caseTimes(func(c *clevertim.Case, v *time.Time) { c.LastModified = orZero(v) }), timeWant},
	})

	starts := []*clevertim.TaskDate{
		mustTaskDate(t, "2024-05-01", ""), mustTaskDate(t, "2024-05-01", "09:30"), nil,
		mustTaskDate(t, "", "08:00"), mustTaskDate(t, "2023-12-31", "23:59"), mustTaskDate(t, "2024-05-01", "09:05"),
		mustTaskDate(t, "0001-01-02", "00:00"),
	}
	taskTimes := func(set func(x *clevertim.Task, v *time.Time)) []*clevertim.Task {
		return records(len(timeRecs), func(x *clevertim.Task, r *clevertim.Record, i int) { x.Record = *r; set(x, timeRecs[i]) })
	}
	checkOrders(t, tasks, model.AllTaskOrderField, []orderCase[clevertim.Task, model.TaskOrderField]{
		{model.TaskOrderFieldName, records(len(textRecs), func(x *clevertim.Task, r *clevertim.Record, i int) { x.Record, x.Name = *r, textRecs[i] }), textWant},
		// No day first (no time, then by time), then by day, then by time.
		{model.TaskOrderFieldStart, records(len(starts), func(x *clevertim.Task, r *clevertim.Record, i int) { x.Record, x.Start = *r, starts[i] }),
			[]string{"3", "4", "7", "5", "1", "6", "2"}},
		{model.TaskOrderFieldEnd, records(len(starts), func(x *clevertim.Task, r *clevertim.Record, i int) { x.Record, x.End = *r, starts[i] }),
			[]string{"3", "4", "7", "5", "1", "6", "2"}},
		{model.TaskOrderFieldAddedOn, taskTimes(func(x *clevertim.Task, v *time.Time) { x.AddedOn = orZero(v) }), timeWant},
		{model.TaskOrderFieldLastModified, taskTimes(func(x *clevertim.Task, v *time.Time) { x.LastModified = orZero(v) }), timeWant},
	})

	noteTimes := func(set func(n *clevertim.Note, v *time.Time)) []*clevertim.Note {
		return records(len(timeRecs), func(n *clevertim.Note, r *clevertim.Record, i int) { n.Record = *r; set(n, timeRecs[i]) })
	}
	checkOrders(t, notes, model.AllNoteOrderField, []orderCase[clevertim.Note, model.NoteOrderField]{
		{model.NoteOrderFieldAddedOn, noteTimes(func(n *clevertim.Note, v *time.Time) { n.AddedOn = orZero(v) }), timeWant},
		{model.NoteOrderFieldLastModified, noteTimes(func(n *clevertim.Note, v *time.Time) { n.LastModified = orZero(v) }), timeWant},
	})

	checkOrders(t, comments, model.AllCommentOrderField, []orderCase[clevertim.Comment, model.CommentOrderField]{
		{model.CommentOrderFieldAddedOn, records(len(timeRecs), func(c *clevertim.Comment, r *clevertim.Record, i int) {
			c.Record, c.AddedOn = *r, orZero(timeRecs[i])
		}), timeWant},
	})
}

func mustTaskDate(t *testing.T, date, clock string) *clevertim.TaskDate {
	t.Helper()
	d, err := clevertim.ParseTaskDate(date, clock)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A cursor made for one order is refused by another, and one whose key does
// not read as its order's types is not a cursor.
func TestCursors_RefuseAnotherOrder(t *testing.T) {
	t.Parallel()
	recs := records(3, func(o *clevertim.Opportunity, r *clevertim.Record, i int) {
		o.Record, o.Name, o.Value = *r, fmt.Sprint("n", i), clevertim.Decimal(fmt.Sprint(-i))
	})
	byValue := opportunities.ordering(&model.OpportunityOrder{Field: model.OpportunityOrderFieldValue})
	byName := opportunities.ordering(&model.OpportunityOrder{Field: model.OpportunityOrderFieldName})
	byValueDesc := opportunities.ordering(&model.OpportunityOrder{Field: model.OpportunityOrderFieldValue, Direction: model.OrderDirectionDesc})
	conn, err := connect(recs, nil, byValue, page{first: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	cursor := conn.PageInfo().EndCursor
	for _, other := range []ordering[clevertim.Opportunity]{byName, byValueDesc, opportunities.ordering(nil)} {
		_, err := connect(recs, nil, other, page{after: cursor})
		var input *InputError
		if !errors.As(err, &input) || input.Field != "after" {
			t.Errorf("a %s cursor used with %s: %v", byValue.tag(), other.tag(), err)
		}
	}
	// A name cursor carries text; read as an amount it is not a cursor.
	conn, _ = connect(recs, nil, byName, page{first: ptr(1)})
	forged := *conn.PageInfo().EndCursor
	if _, err := decodeCursor(forged, ordering[clevertim.Opportunity]{name: byName.name, sortBy: byValue.sortBy}, nil, "after"); err == nil {
		t.Error("a text key decoded as an amount")
	}
}

// Numbers in cursors and amounts are bounded: an exponent that would make
// big.Rat compute a huge power is not a number, and neither is a very long
// string; a cursor longer than MaxCursorLen is refused before it is read.
func TestSortKeys_Bounded(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"1e999999999", "-1E-999999999", strings.Repeat("9", maxNumberLen+1)} {
		if _, ok := parseNumber(s); ok {
			t.Errorf("%.20s… read as a number", s)
		}
		if k := decimalKey(clevertim.Decimal(s)); !k.null {
			t.Errorf("%.20s… is an amount", s)
		}
	}
	for _, s := range []string{"1e17", "-11/2", "0.000001", strings.Repeat("9", maxNumberLen)} {
		if _, ok := parseNumber(s); !ok {
			t.Errorf("%.20s… not read", s)
		}
	}
	ord := opportunities.ordering(&model.OpportunityOrder{Field: model.OpportunityOrderFieldValue})
	_, err := decodeCursor(strings.Repeat("A", MaxCursorLen+1), ord, nil, "after")
	var input *InputError
	if !errors.As(err, &input) || !strings.Contains(input.Message, "at most") {
		t.Errorf("a long cursor: %v", err)
	}
}

// The keys built for ASCII text without the collator are byte for byte the
// collator's: every printable character alone and in every pair, and
// random strings.
func TestCollation_ASCIIKeys(t *testing.T) {
	t.Parallel()
	fast, slow := newCollator(), newCollation()
	var buf collate.Buffer
	check := func(s string) {
		got, ok := fast.asciiKey(s)
		if !ok {
			t.Fatalf("%q: no fast key", s)
		}
		if want := slow.KeyFromString(&buf, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: key % x, the collator's % x", s, got, want)
		}
		buf.Reset()
	}
	check("")
	for a := byte(' '); a <= '~'; a++ {
		check(string(rune(a)))
		for b := byte(' '); b <= '~'; b++ {
			check(string([]byte{a, b}))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := make([]byte, rng.IntN(16))
		for i := range s {
			s[i] = byte(' ' + rng.IntN('~'-' '+1))
		}
		check(string(s))
	}
	if _, ok := fast.asciiKey("Zoë"); ok {
		t.Error("a non-ASCII string took the ASCII path")
	}
}
