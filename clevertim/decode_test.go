package clevertim_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

func TestDecode_LooseShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		json  string
		check func(*clevertim.Note) bool
	}{
		{"ids as numbers", `{"id":12,"cust":[1,2],"case":3}`, func(n *clevertim.Note) bool {
			return n.ID == "12" && slices.Equal(n.CustomerIDs, clevertim.IDList{"1", "2"}) && *n.CaseID == "3"
		}},
		{"ids as strings", `{"id":"12","cust":["1"],"case":"3"}`, func(n *clevertim.Note) bool {
			return n.ID == "12" && slices.Equal(n.CustomerIDs, clevertim.IDList{"1"}) && *n.CaseID == "3"
		}},
		{"cust as one id", `{"id":1,"cust":7}`, func(n *clevertim.Note) bool { return slices.Equal(n.CustomerIDs, clevertim.IDList{"7"}) }},
		{"cust as one string id", `{"id":1,"cust":"7"}`, func(n *clevertim.Note) bool { return slices.Equal(n.CustomerIDs, clevertim.IDList{"7"}) }},
		{"cust null", `{"id":1,"cust":null}`, func(n *clevertim.Note) bool { return len(n.CustomerIDs) == 0 }},
		{"integral float id", `{"id":12.0}`, func(n *clevertim.Note) bool { return n.ID == "12" }},
		{"unknown fields", `{"id":1,"brand_new":{"x":[1]},"desc":"d"}`, func(n *clevertim.Note) bool { return n.Text == "d" }},
		{"gid as string", `{"id":1,"gid":"6"}`, func(n *clevertim.Note) bool { return n.GroupMask == 6 && n.GroupMask.Has(2) }},
		{"email info", `{"id":1,"type":"E","email":{"f":"a@x","s":"Hi","t":[{"e":"b@x","s":"b","t":"gone"}],"c":[],"b":[]}}`,
			func(n *clevertim.Note) bool {
				return *n.Type == clevertim.NoteEmailDropped && n.Email.To[0].Status == clevertim.RecipientBounced && n.Email.To[0].BounceReason == "gone"
			}},
	}
	for _, tc := range cases {
		var n clevertim.Note
		if err := json.Unmarshal([]byte(tc.json), &n); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.check(&n) {
			t.Errorf("%s: decoded %+v", tc.name, n)
		}
	}
	for _, bad := range []string{`{"id":{"a":1}}`, `{"id":1.5}`, `{"cust":[{"a":1}]}`, `{"id":true}`} {
		var n clevertim.Note
		if err := json.Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
}

func TestDecode_TaskDates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		json       string
		date, time string
	}{
		{`{"y":2013,"mo":12,"d":29,"h":4,"mi":4}`, "2013-12-29", "04:04"},
		{`{"y":2013,"mo":12,"d":29}`, "2013-12-29", ""},
		{`{"h":16,"mi":30}`, "", "16:30"},
		{`{"y":"2013","mo":"1","d":"2","h":"7"}`, "2013-01-02", "07:00"},
		{`{}`, "", ""},
	}
	for _, tc := range cases {
		var task clevertim.Task
		if err := json.Unmarshal([]byte(`{"startDate":`+tc.json+`}`), &task); err != nil {
			t.Errorf("%s: %v", tc.json, err)
			continue
		}
		if d := task.Start.Date(); (d == nil && tc.date != "") || (d != nil && *d != tc.date) {
			t.Errorf("%s: date %v, want %q", tc.json, d, tc.date)
		}
		if tm := task.Start.Time(); (tm == nil && tc.time != "") || (tm != nil && *tm != tc.time) {
			t.Errorf("%s: time %v, want %q", tc.json, tm, tc.time)
		}
		// Encoding writes back only the parts that were there.
		out, _ := json.Marshal(task.Start)
		var back clevertim.TaskDate
		_ = json.Unmarshal(out, &back)
		if (back.Date() == nil) != (task.Start.Date() == nil) || (back.Time() == nil) != (task.Start.Time() == nil) {
			t.Errorf("%s: re-encoded as %s", tc.json, out)
		}
	}
	var task clevertim.Task
	if err := json.Unmarshal([]byte(`{"startDate":{"y":"soon"}}`), &task); err == nil {
		t.Error("a non-numeric year decoded")
	}
}

func TestDecode_CustomFieldValues(t *testing.T) {
	t.Parallel()
	var c clevertim.Contact
	if err := json.Unmarshal([]byte(`{"cf":{"1":"one","2":["a","b"],"3":5,"4":null}}`), &c); err != nil {
		t.Fatal(err)
	}
	if v := c.CustomFields["1"]; v.List || v.Text() != "one" {
		t.Errorf("single: %+v", v)
	}
	if v := c.CustomFields["2"]; !v.List || v.Text() != "a, b" {
		t.Errorf("list: %+v", v)
	}
	if v := c.CustomFields["3"]; v.Text() != "5" {
		t.Errorf("number: %+v", v)
	}
	out, _ := json.Marshal(c.CustomFields)
	var back map[string]any
	_ = json.Unmarshal(out, &back)
	if back["1"] != "one" || len(back["2"].([]any)) != 2 || back["4"] != nil {
		t.Errorf("re-encoded as %s", out)
	}
	var empty clevertim.Contact
	out, _ = json.Marshal(empty.CustomFields)
	if string(out) != "{}" {
		t.Errorf("no values encode as %s, want {}", out)
	}
	var o clevertim.Opportunity
	_ = json.Unmarshal([]byte(`{"value":1000.50}`), &o)
	if o.Value != "1000.50" {
		t.Errorf("numeric value decoded as %q", o.Value)
	}
}
