package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

func TestScalars_Parse(t *testing.T) {
	for _, c := range []struct {
		scalar string
		parse  func(any) (string, error)
		in     any
		want   string // "" when refused
	}{
		{"Decimal", decimal, "1000.50", "1000.50"},
		{"Decimal", decimal, "-20", "-20"},
		{"Decimal", decimal, 1500, "1500"},
		{"Decimal", decimal, int64(-7), "-7"},
		{"Decimal", decimal, json.Number("42"), "42"},
		{"Decimal", decimal, "123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"},
		{"Decimal", decimal, 1.5, ""},
		{"Decimal", decimal, json.Number("1.5e3"), ""},
		{"Decimal", decimal, "1,000", ""},
		{"Decimal", decimal, "1e3", ""},
		{"Decimal", decimal, ".5", ""},
		{"Decimal", decimal, "5.", ""},
		{"Decimal", decimal, "", ""},
		{"Decimal", decimal, " 1", ""},
		{"Decimal", decimal, strings.Repeat("9", 43), ""},
		{"Decimal", decimal, true, ""},
		{"CurrencyCode", model.UnmarshalCurrencyCode, "EUR", "EUR"},
		{"CurrencyCode", model.UnmarshalCurrencyCode, "eur", ""},
		{"CurrencyCode", model.UnmarshalCurrencyCode, "EURO", ""},
		{"CurrencyCode", model.UnmarshalCurrencyCode, 978, ""},
		{"LocalDate", model.UnmarshalLocalDate, "2026-02-28", "2026-02-28"},
		{"LocalDate", model.UnmarshalLocalDate, "2026-02-29", ""},
		{"LocalDate", model.UnmarshalLocalDate, "2026-2-28", ""},
		{"LocalDate", model.UnmarshalLocalDate, "2026-02-28T10:00:00Z", ""},
		{"LocalTime", model.UnmarshalLocalTime, "09:30", "09:30"},
		{"LocalTime", model.UnmarshalLocalTime, "23:59:00", "23:59"},
		{"LocalTime", model.UnmarshalLocalTime, "23:59:30", ""},
		{"LocalTime", model.UnmarshalLocalTime, "24:00", ""},
		{"LocalTime", model.UnmarshalLocalTime, "9:30", ""},
	} {
		got, err := c.parse(c.in)
		if got != c.want || (err == nil) != (c.want != "") {
			t.Errorf("%s(%#v) = %q, %v; want %q", c.scalar, c.in, got, err, c.want)
		}
	}
}

func decimal(v any) (string, error) {
	d, err := model.UnmarshalDecimal(v)
	return string(d), err
}

func TestScalars_Print(t *testing.T) {
	for in, want := range map[string]string{
		"1000.50": `"1000.50"`, "12345678901234567890.01": `"12345678901234567890.01"`, "-0.10": `"-0.10"`,
	} {
		var b strings.Builder
		model.MarshalDecimal(clevertim.Decimal(in)).MarshalGQL(&b)
		if b.String() != want {
			t.Errorf("MarshalDecimal(%s) = %s, want %s", in, b.String(), want)
		}
	}
}

// TestScalars_HTTP: an amount travels exactly both ways, filters and orders
// by value, and bad values are BAD_USER_INPUT naming the field.
func TestScalars_HTTP(t *testing.T) {
	t.Parallel()
	h := setup(t)
	const create = `mutation($in: CreateOpportunityInput!) { createOpportunity(input: $in) { id value currency } }`
	big := "98765432109876543.21" // beyond float64's 15-17 digits
	r := h.ok("", create, map[string]any{"in": map[string]any{"name": "Exact", "value": big, "currency": "JPY"}})
	if got := r.Data["createOpportunity"]; str(got, "value") != big || str(got, "currency") != "JPY" {
		t.Errorf("created %v", got)
	}
	r = h.ok("", `mutation { createOpportunity(input: {name: "Int", value: 1200, currency: "EUR"}) { value } }`, nil)
	if got := str(r.Data, "createOpportunity", "value"); got != "1200" {
		t.Errorf("value from an Int literal: %q", got)
	}

	for _, c := range []struct{ doc, field string }{
		{`mutation { createOpportunity(input: {name: "x", value: 12.5}) { id } }`, "value"},
		{`mutation { createOpportunity(input: {name: "x", value: "1,000"}) { id } }`, "value"},
		{`mutation { createOpportunity(input: {name: "x", currency: "eur"}) { id } }`, "currency"},
		{`{ opportunities(filter: {valueMin: "ten"}) { totalCount } }`, "filter.valueMin"},
		{`{ opportunities(filter: {or: [{}, {currency: ["EURO"]}]}) { totalCount } }`, "filter.or[1].currency[0]"},
		{`{ tasks(filter: {startFrom: "2026-13-01"}) { totalCount } }`, "filter.startFrom"},
		{`mutation { createTask(input: {name: "x", start: {time: "25:00"}}) { id } }`, "start.time"},
	} {
		e := h.fails("", c.doc, nil, "BAD_USER_INPUT")
		if e.Extensions["field"] != c.field || !strings.HasPrefix(e.Message, c.field+": ") {
			t.Errorf("%s: error %q, field %v; want field %s", c.doc, e.Message, e.Extensions["field"], c.field)
		}
	}
	// The same through variables: a JSON float is no Decimal.
	e := h.fails("", create, map[string]any{"in": map[string]any{"name": "x", "value": 0.1}}, "BAD_USER_INPUT")
	if e.Extensions["field"] != "value" {
		t.Errorf("variable: %q, field %v; want value", e.Message, e.Extensions["field"])
	}

	// valueMin/valueMax compare exactly: 98765432109876543.21 is above
	// 98765432109876543.2 and below ...543.22, which floats cannot tell apart.
	count := func(filter string) int {
		r := h.ok("", `{ opportunities(filter: `+filter+`) { totalCount nodes { value } } }`, nil)
		return int(get(r.Data, "opportunities", "totalCount").(float64))
	}
	if n := count(`{valueMin: "98765432109876543.2", valueMax: "98765432109876543.22"}`); n != 1 {
		t.Errorf("exact range: %d opportunities, want 1", n)
	}
	if n := count(`{valueMin: "98765432109876543.211"}`); n != 0 {
		t.Errorf("above the exact value: %d opportunities, want 0", n)
	}
	all, some := count(`{}`), count(`{valueMax: 5000}`)
	if some == 0 || some >= all {
		t.Errorf("valueMax 5000: %d of %d", some, all)
	}
	if n := count(`{currency: ["JPY"]}`); n != 1 {
		t.Errorf("currency JPY: %d, want 1", n)
	}
	r = h.ok("", `{ opportunities(first: 1, orderBy: {field: VALUE, direction: DESC}) { nodes { value } } }`, nil)
	if got := str(r.Data, "opportunities", "nodes", 0, "value"); got != big {
		t.Errorf("largest value %q, want %s", got, big)
	}

	// Task dates: a time-only start stays expressible; the date range filter
	// and END ordering use the typed dates.
	r = h.ok("", `mutation { createTask(input: {name: "Call back", start: {time: "09:30:00"}, end: {date: "2031-01-02"}}) {
		id start { date time } end { date time } } }`, nil)
	if got := r.Data["createTask"]; get(got, "start", "date") != nil || str(got, "start", "time") != "09:30" ||
		str(got, "end", "date") != "2031-01-02" || get(got, "end", "time") != nil {
		t.Errorf("task dates %v", got)
	}
	r = h.ok("", `{ tasks(first: 1, orderBy: {field: END, direction: DESC}) { nodes { name } } }`, nil)
	if got := str(r.Data, "tasks", "nodes", 0, "name"); got != "Call back" {
		t.Errorf("latest end: %q", got)
	}
	r = h.ok("", `{ all: tasks { totalCount nodes { start { date } } } in: tasks(filter: {startFrom: "2000-01-01", startUntil: "2099-12-31"}) { totalCount }
		none: tasks(filter: {startFrom: "2099-01-01"}) { totalCount } }`, nil)
	dated := 0
	for _, n := range list(r.Data, "all", "nodes") {
		if get(n, "start", "date") != nil {
			dated++
		}
	}
	if in := int(get(r.Data, "in", "totalCount").(float64)); in != dated || dated == 0 {
		t.Errorf("start range: %d tasks, want the %d with a start date", in, dated)
	}
	if none := get(r.Data, "none", "totalCount").(float64); none != 0 {
		t.Errorf("start from 2099: %v tasks", none)
	}
}
