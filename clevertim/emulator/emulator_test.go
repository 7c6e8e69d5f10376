package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Demo keys by role.
const (
	ownerKey    = OwnerKey
	adminKey    = "demo-admin-key"
	editorKey   = "demo-editor-key"
	readonlyKey = "demo-readonly-key"
	salesKey    = "demo-sales-key"
)

type env struct {
	t   *testing.T
	emu *Emulator
	srv *httptest.Server
}

func setup(t *testing.T, opts ...Option) *env {
	t.Helper()
	emu, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	return &env{t: t, emu: emu, srv: srv}
}

type answer struct {
	Status   int
	Envelope struct {
		Status  string           `json:"status"`
		Content []map[string]any `json:"content"`
		Error   string           `json:"error"`
	}
}

func (e *env) do(key, method, path string, body any) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/api"+path, rd)
	if key != "" {
		req.SetBasicAuth(key, "X")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	a.Status = resp.StatusCode
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&a.Envelope); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return a
}

func (e *env) ok(key, method, path string, body any) []map[string]any {
	e.t.Helper()
	a := e.do(key, method, path, body)
	if a.Status != 200 || a.Envelope.Status != "OK" {
		e.t.Fatalf("%s %s: %d %s", method, path, a.Status, a.Envelope.Error)
	}
	return a.Envelope.Content
}

func (e *env) one(key, method, path string, body any) map[string]any {
	e.t.Helper()
	c := e.ok(key, method, path, body)
	if len(c) != 1 {
		e.t.Fatalf("%s %s: want one record, got %d", method, path, len(c))
	}
	return c[0]
}

func (e *env) status(key, method, path string, body any, want int) string {
	e.t.Helper()
	a := e.do(key, method, path, body)
	if a.Status != want || a.Envelope.Status != "ERROR" || a.Envelope.Error == "" {
		e.t.Fatalf("%s %s: got %d %q %q, want %d with an ERROR envelope", method, path, a.Status, a.Envelope.Status, a.Envelope.Error, want)
	}
	return a.Envelope.Error
}

func ids(recs []map[string]any) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = idKey(r["id"])
	}
	return out
}

func idList(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, idKey(x))
	}
	return out
}

func TestEnvelopeAndEveryFieldPresent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	want := map[string][]string{
		"contact": {"id", "ao", "lm", "fn", "ln", "title", "companyId", "email", "phones", "website", "address",
			"city", "postcode", "region", "country", "smids", "ctype", "cf", "tags", "notes", "opportunities",
			"tasks", "cases", "files", "lfiles", "lc", "cphoto", "is_private", "puser", "gid", "is_company"},
		"company":     {"id", "cn", "notes", "tasks", "cases", "opportunities", "is_company", "cf", "lc", "cphoto"},
		"opportunity": {"id", "name", "description", "status", "leadUser", "value", "currency", "cust", "cf", "tags", "tasks", "notes", "files", "lfiles", "userId"},
		"case":        {"id", "name", "leadUser", "cust", "cf", "tags", "tasks", "notes", "userId"},
		"task":        {"id", "name", "atype", "location", "cust", "case", "opp", "aUserId", "userId", "startDate", "endDate", "is_completed", "is_deleted", "rec", "recevery", "recopts", "comments"},
		"note":        {"id", "desc", "type", "cust", "case", "opportunity", "comments", "files", "lfiles", "userId", "is_deleted", "hl", "delvry", "email"},
		"comment":     {"id", "comment", "nid", "tid", "userId"},
		"customfield": {"id", "name", "fullname", "elemType", "modelType", "multiple", "values", "app"},
		"user":        {"id", "user", "email", "is_owner", "is_admin", "permissions"},
		"group":       {"id", "name", "gid", "users"},
		"folder":      {"id", "name", "parentId", "is_dir"},
		"file":        {"id", "name", "parentId"},
		"linkedfile":  {"id", "name", "sys", "size", "link", "icon"},
	}
	for resource, fields := range want {
		recs := e.ok(ownerKey, "GET", "/"+resource, nil)
		if len(recs) == 0 {
			t.Errorf("%s: the demo account has none", resource)
			continue
		}
		for _, rec := range recs {
			for _, f := range fields {
				if _, ok := rec[f]; !ok {
					t.Errorf("%s %v lacks %q", resource, rec["id"], f)
				}
			}
			for k := range rec {
				if strings.HasPrefix(k, "_") {
					t.Errorf("%s leaks the server's field %q", resource, k)
				}
			}
		}
		one := e.one(ownerKey, "GET", fmt.Sprintf("/%s/%s", resource, idKey(recs[0]["id"])), nil)
		if idKey(one["id"]) != idKey(recs[0]["id"]) {
			t.Errorf("%s: get by id answered %v", resource, one["id"])
		}
	}
}

func TestDemoAccountShape(t *testing.T) {
	t.Parallel()
	e := setup(t)
	statuses := map[string]bool{}
	for _, o := range e.ok(ownerKey, "GET", "/opportunity", nil) {
		statuses[o["status"].(string)] = true
	}
	for _, s := range []string{"Open", "Won", "Lost", "Closed"} {
		if !statuses[s] {
			t.Errorf("no opportunity is %s", s)
		}
	}
	types := map[string]bool{}
	for _, task := range e.ok(ownerKey, "GET", "/task", nil) {
		types[task["atype"].(string)] = true
	}
	if len(types) != len(taskTypes) {
		t.Errorf("task types in the demo: %v, want all of %v", types, taskTypes)
	}
	fieldTypesSeen, scopesSeen := map[string]bool{}, map[string]bool{}
	for _, f := range e.ok(ownerKey, "GET", "/customfield", nil) {
		fieldTypesSeen[f["elemType"].(string)] = true
		for _, s := range asList(f["modelType"]) {
			scopesSeen[s.(string)] = true
		}
	}
	if len(fieldTypesSeen) != len(fieldTypes) || len(scopesSeen) != len(scopes) {
		t.Errorf("custom fields cover types %v and scopes %v", fieldTypesSeen, scopesSeen)
	}
	if got := len(e.ok(ownerKey, "GET", "/group", nil)); got != 3 {
		t.Errorf("groups: %d, want 3", got)
	}
	withComments, withEmail := 0, 0
	for _, n := range e.ok(ownerKey, "GET", "/note", nil) {
		if len(asList(n["comments"])) > 0 {
			withComments++
		}
		if n["email"] != nil {
			withEmail++
		}
	}
	if withComments == 0 || withEmail == 0 {
		t.Errorf("notes with comments: %d, with email info: %d", withComments, withEmail)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.status("", "GET", "/contact", nil, 401)
	e.status("no-such-key", "GET", "/contact", nil, 401)

	get := func(header string) int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/user", nil)
		req.Header.Set("Authorization", header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		header string
		want   int
	}{
		{"Basic " + b64(ownerKey+":X"), 200},
		// The official Python client on Python 3 formats bytes into the header.
		{"Basic b'" + b64(ownerKey+":X") + "'", 200},
		{"Basic " + b64(ownerKey+":Y"), 401},
		{"Basic " + b64(ownerKey), 401},
		{"Bearer " + ownerKey, 401},
		{"Basic b'" + b64("nobody:X") + "'", 401},
		{"Basic %%%", 401},
	}
	for _, c := range cases {
		if got := get(c.header); got != c.want {
			t.Errorf("Authorization %q: %d, want %d", c.header, got, c.want)
		}
	}
}

func TestCreateReadUpdateDelete(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "Grace", "ln": "Hopper",
		"email": []string{"grace@navy.example"}, "phones": []any{map[string]any{"type": "Work", "no": "123"}},
		"notes": []int{1, 2, 3}, "ao": "1999-01-01T00:00:00Z"})
	id := idKey(c["id"])
	if c["fn"] != "Grace" || len(asList(c["notes"])) != 0 || c["ao"] == "1999-01-01T00:00:00Z" {
		t.Fatalf("created %v: read-only fields must be the server's", c)
	}
	if c["title"] != nil || len(asList(c["tags"])) != 0 || fmt.Sprint(c["cf"]) != "map[]" {
		t.Errorf("unset fields must be null, [] and {}: %v", c)
	}
	// Merge: a field absent keeps its value, null or [] clears.
	u := e.one(ownerKey, "PUT", "/contact/"+id, map[string]any{"title": "Rear Admiral", "email": nil, "phones": []any{}})
	if u["fn"] != "Grace" || u["ln"] != "Hopper" || u["title"] != "Rear Admiral" {
		t.Errorf("update lost fields: %v", u)
	}
	if len(asList(u["email"])) != 0 || len(asList(u["phones"])) != 0 {
		t.Errorf("null and [] must clear: %v", u)
	}
	if u["lm"] == nil || u["ao"] != c["ao"] {
		t.Errorf("ao must stay, lm must be set: %v", u)
	}
	got := e.one(ownerKey, "GET", "/contact/"+id, nil)
	if got["title"] != "Rear Admiral" {
		t.Errorf("update not stored: %v", got)
	}
	if a := e.do(ownerKey, "DELETE", "/contact/"+id, nil); a.Status != 200 || a.Envelope.Status != "OK" || a.Envelope.Content != nil {
		t.Errorf("delete answered %+v", a)
	}
	e.status(ownerKey, "GET", "/contact/"+id, nil, 404)
	e.status(ownerKey, "DELETE", "/contact/"+id, nil, 404)
	e.status(ownerKey, "PUT", "/contact/"+id, map[string]any{"fn": "x"}, 404)
	// Ids are never reused.
	again := e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "Again"})
	if idKey(again["id"]) == id {
		t.Errorf("id %s reused", id)
	}
}

// TestWholeRecordRoundTrip plays a client written against the documented
// API: it reads a record, changes a field, sends everything back (read-only
// fields included), reads content[0] and compares ids as integers.
func TestWholeRecordRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, resource := range []string{"contact", "company", "opportunity", "case", "task", "note", "customfield"} {
		rec := e.ok(ownerKey, "GET", "/"+resource, nil)[0]
		before, _ := json.Marshal(rec)
		rec["tags"] = []any{"roundtrip"}
		if resource == "customfield" {
			rec["fullname"] = "Changed"
			delete(rec, "tags")
		}
		u := e.one(ownerKey, "PUT", "/"+resource+"/"+idKey(rec["id"]), rec)
		if _, err := u["id"].(json.Number).Int64(); err != nil {
			t.Errorf("%s id %v is not an integer", resource, u["id"])
		}
		if u["id"].(json.Number) != rec["id"].(json.Number) {
			t.Errorf("%s: id changed", resource)
		}
		var orig map[string]any
		dec := json.NewDecoder(bytes.NewReader(before))
		dec.UseNumber()
		_ = dec.Decode(&orig)
		for k, v := range orig {
			if k == "lm" || k == "tags" || k == "fullname" || k == "hl" {
				continue
			}
			if fmt.Sprint(u[k]) != fmt.Sprint(v) {
				t.Errorf("%s.%s changed on a whole-record update: %v -> %v", resource, k, v, u[k])
			}
		}
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	note := idKey(e.ok(ownerKey, "GET", "/note", nil)[0]["id"])
	cases := []struct {
		path string
		body any
		want int
		msg  string
	}{
		{"/contact", map[string]any{"title": "x"}, 400, "fn or ln"},
		{"/company", map[string]any{"cn": " "}, 400, "cn"},
		{"/opportunity", map[string]any{"description": "x"}, 400, "name"},
		{"/case", map[string]any{}, 400, "name"},
		{"/task", map[string]any{"name": "t", "atype": "Party"}, 400, "atype"},
		{"/task", map[string]any{"name": "t", "rec": "Q"}, 400, "rec"},
		{"/task", map[string]any{"name": "t", "startDate": map[string]any{"y": 2025, "mo": 2, "d": 30}}, 400, "calendar"},
		{"/contact", map[string]any{"fn": "x", "phones": []any{map[string]any{"type": "Cell", "no": "1"}}}, 400, "phones[0].type"},
		{"/contact", map[string]any{"fn": "x", "smids": []any{map[string]any{"type": "MySpace", "smid": "1"}}}, 400, "smids"},
		{"/contact", map[string]any{"fn": "x", "ctype": "Z"}, 400, "ctype"},
		{"/contact", map[string]any{"fn": 12}, 400, "fn must be a string"},
		{"/contact", map[string]any{"fn": "x", "cf": map[string]any{"999999": "v"}}, 400, "no custom field"},
		{"/note", map[string]any{"desc": "x", "type": "E"}, 400, "type"},
		{"/comment", map[string]any{"comment": "x"}, 400, "exactly one"},
		{"/comment", map[string]any{"comment": "x", "nid": note, "tid": note}, 400, "exactly one"},
		{"/comment", map[string]any{"comment": "x", "nid": 999999}, 400, "does not exist"},
		{"/opportunity", map[string]any{"name": "x", "value": "ten"}, 400, "decimal"},
		{"/customfield", map[string]any{"name": "x", "elemType": "select", "modelType": []string{"cases"}}, 400, "values"},
		{"/customfield", map[string]any{"name": "x", "elemType": "input", "modelType": []string{"planets"}}, 400, "planets"},
		{"/contact", `{"fn": "x",`, 500, "not valid JSON"},
		{"/contact", `[1,2]`, 400, "object"},
	}
	for _, c := range cases {
		msg := e.status(ownerKey, "POST", c.path, c.body, c.want)
		if !strings.Contains(msg, c.msg) {
			t.Errorf("POST %s %v: message %q does not mention %q", c.path, c.body, msg, c.msg)
		}
	}
}

func TestCustomFieldValues(t *testing.T) {
	t.Parallel()
	e := setup(t)
	byName := map[string]string{}
	for _, f := range e.ok(ownerKey, "GET", "/customfield", nil) {
		byName[f["name"].(string)] = idKey(f["id"])
	}
	c := e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "x", "cf": map[string]any{
		byName["Industry"]: "Retail", byName["Interests"]: []string{"Events", "Beta"}, byName["Birthday"]: "1990-02-03"}})
	cf := c["cf"].(map[string]any)
	if cf[byName["Industry"]] != "Retail" || len(asList(cf[byName["Interests"]])) != 2 {
		t.Errorf("cf stored as %v", cf)
	}
	bad := []map[string]any{
		{byName["Industry"]: "Mining"},
		{byName["Industry"]: []string{"Retail", "Software"}},
		{byName["Birthday"]: "03/02/1990"},
		{byName["Severity"]: "Low"}, // a cases field
	}
	for _, v := range bad {
		e.status(ownerKey, "POST", "/contact", map[string]any{"fn": "x", "cf": v}, 400)
	}
}

func TestReverseListsFollowWrites(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a := idKey(e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "A"})["id"])
	b := idKey(e.one(ownerKey, "POST", "/company", map[string]any{"cn": "B"})["id"])
	opp := idKey(e.one(ownerKey, "POST", "/opportunity", map[string]any{"name": "Deal", "cust": a})["id"])
	note := idKey(e.one(ownerKey, "POST", "/note", map[string]any{"desc": "n", "cust": []string{a, b}, "opportunity": opp})["id"])
	task := idKey(e.one(ownerKey, "POST", "/task", map[string]any{"name": "t", "cust": a, "opp": opp})["id"])
	cs := idKey(e.one(ownerKey, "POST", "/case", map[string]any{"name": "c", "cust": b})["id"])
	cm := idKey(e.one(ownerKey, "POST", "/comment", map[string]any{"comment": "c", "nid": note})["id"])
	tc := idKey(e.one(ownerKey, "POST", "/comment", map[string]any{"comment": "c", "tid": task})["id"])

	check := func(path, field string, want ...string) {
		t.Helper()
		got := idList(e.one(ownerKey, "GET", path, nil)[field])
		if !slices.Equal(got, want) {
			t.Errorf("%s %s = %v, want %v", path, field, got, want)
		}
	}
	check("/contact/"+a, "notes", note)
	check("/company/"+b, "notes", note)
	check("/contact/"+a, "opportunities", opp)
	check("/contact/"+a, "tasks", task)
	check("/company/"+b, "cases", cs)
	check("/opportunity/"+opp, "notes", note)
	check("/opportunity/"+opp, "tasks", task)
	check("/note/"+note, "comments", cm)
	check("/task/"+task, "comments", tc)

	// Moving the note moves it between the lists.
	e.one(ownerKey, "PUT", "/note/"+note, map[string]any{"cust": b})
	check("/contact/"+a, "notes")
	check("/company/"+b, "notes", note)
	// Deletes cascade to the read-only lists.
	e.ok(ownerKey, "DELETE", "/comment/"+cm, nil)
	check("/note/"+note, "comments")
	e.ok(ownerKey, "DELETE", "/note/"+note, nil)
	check("/company/"+b, "notes")
	check("/opportunity/"+opp, "notes")
	// Deleting a customer leaves what pointed at it, dangling.
	e.ok(ownerKey, "DELETE", "/contact/"+a, nil)
	if got := e.one(ownerKey, "GET", "/opportunity/"+opp, nil); idKey(got["cust"]) != a {
		t.Errorf("opportunity cust after the customer's delete: %v, want the dangling %s", got["cust"], a)
	}
	// Setting is_deleted on a task deletes it.
	e.one(ownerKey, "PUT", "/task/"+task, map[string]any{"is_deleted": true})
	e.status(ownerKey, "GET", "/task/"+task, nil, 404)
	check("/opportunity/"+opp, "tasks")
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	e := setup(t)
	company := idKey(e.one(ownerKey, "POST", "/company", map[string]any{"cn": "Shared"})["id"])
	private := idKey(e.one(salesKey, "POST", "/note", map[string]any{"desc": "mine", "cust": company, "is_private": true})["id"])
	group := idKey(e.one(ownerKey, "POST", "/note", map[string]any{"desc": "sales only", "cust": company, "gid": GroupSales})["id"])
	public := idKey(e.one(ownerKey, "POST", "/note", map[string]any{"desc": "everyone", "cust": company})["id"])

	sees := map[string][]string{
		salesKey:    {private, group, public}, // Erin: owner of the private note, in Sales
		editorKey:   {group, public},          // Chloe: in Sales
		ownerKey:    {group, public},          // Alice: created the group note
		adminKey:    {public},                 // Ben: admin, but not in Sales
		readonlyKey: {public},
	}
	for key, want := range sees {
		if got := idList(e.one(key, "GET", "/company/"+company, nil)["notes"]); !slices.Equal(got, want) {
			t.Errorf("%s: company notes %v, want %v", key, got, want)
		}
		all := ids(e.ok(key, "GET", "/note", nil))
		for _, id := range []string{private, group, public} {
			visible := slices.Contains(want, id)
			if slices.Contains(all, id) != visible {
				t.Errorf("%s: note %s in the list = %v, want %v", key, id, !visible, visible)
			}
			if visible {
				e.one(key, "GET", "/note/"+id, nil)
			} else {
				e.status(key, "GET", "/note/"+id, nil, 404)
				// A record one may not see cannot be changed either, and says
				// no more than "not found".
				e.status(key, "PUT", "/note/"+id, map[string]any{"desc": "x"}, 404)
				e.status(key, "DELETE", "/note/"+id, nil, 404)
			}
		}
	}
	// The demo account has private and group-only records of its own.
	if len(e.ok(ownerKey, "GET", "/contact", nil)) == len(e.ok(salesKey, "GET", "/contact", nil)) {
		t.Error("the owner and the sales rep see the same demo contacts")
	}
	if len(e.ok(readonlyKey, "GET", "/note", nil)) >= len(e.ok(salesKey, "GET", "/note", nil)) {
		t.Error("the read-only user sees as many demo notes as the sales rep")
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := idKey(e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "P"})["id"])
	e.status(readonlyKey, "POST", "/contact", map[string]any{"fn": "x"}, 403)
	e.status(readonlyKey, "PUT", "/contact/"+c, map[string]any{"fn": "x"}, 403)
	e.status(readonlyKey, "DELETE", "/contact/"+c, nil, 403)
	e.status("demo-pending-key", "POST", "/contact", map[string]any{"fn": "x"}, 403)
	e.one(editorKey, "PUT", "/contact/"+c, map[string]any{"title": "edited"})
	e.status(editorKey, "DELETE", "/contact/"+c, nil, 403)
	if got := e.one(ownerKey, "GET", "/contact/"+c, nil); got["fn"] != "P" || got["title"] != "edited" {
		t.Errorf("after refused writes: %v", got)
	}
	e.ok(adminKey, "DELETE", "/contact/"+c, nil)
	// Unsupported operations.
	e.status(ownerKey, "POST", "/user", map[string]any{"user": "x"}, 501)
	e.status(ownerKey, "PUT", "/group/101", map[string]any{"name": "x"}, 501)
	e.status(ownerKey, "DELETE", "/user/2", nil, 501)
	cm := e.ok(ownerKey, "GET", "/comment", nil)[0]
	e.status(ownerKey, "PUT", "/comment/"+idKey(cm["id"]), map[string]any{"comment": "x"}, 501)
	e.status(ownerKey, "GET", "/planet", nil, 404)
	e.status(ownerKey, "POST", "/contact/1", map[string]any{"fn": "x"}, 501)
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const n = 40
	contact := idKey(e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "Busy"})["id"])
	var wg sync.WaitGroup
	idsCh := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			// e.do, not e.one: t.Fatal may not be called from this goroutine.
			a := e.do(ownerKey, "POST", "/note", map[string]any{"desc": fmt.Sprint(i), "cust": contact})
			if a.Status != 200 || len(a.Envelope.Content) != 1 {
				t.Errorf("create %d: %d %s", i, a.Status, a.Envelope.Error)
				return
			}
			idsCh <- idKey(a.Envelope.Content[0]["id"])
			if a := e.do(ownerKey, "GET", "/contact/"+contact, nil); a.Status != 200 {
				t.Errorf("read while writing: %d", a.Status)
			}
		})
	}
	wg.Wait()
	close(idsCh)
	seen := map[string]bool{}
	for id := range idsCh {
		if seen[id] {
			t.Fatalf("id %s issued twice", id)
		}
		seen[id] = true
	}
	notes := idList(e.one(ownerKey, "GET", "/contact/"+contact, nil)["notes"])
	for id := range seen {
		if !slices.Contains(notes, id) {
			t.Errorf("note %s missing from the contact's notes", id)
		}
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crm.db")
	first, err := New(WithPersistence(path))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(first)
	e := &env{t: t, emu: first, srv: srv}
	c := e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "Kept"})
	del := idKey(e.ok(ownerKey, "GET", "/note", nil)[0]["id"])
	e.ok(ownerKey, "DELETE", "/note/"+del, nil)
	srv.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	e = setup(t, WithPersistence(path))
	got := e.one(ownerKey, "GET", "/contact/"+idKey(c["id"]), nil)
	if got["fn"] != "Kept" || got["ao"] != c["ao"] {
		t.Errorf("after restart: %v", got)
	}
	e.status(ownerKey, "GET", "/note/"+del, nil, 404)
	next := e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "Next"})
	if compareIDs(idKey(next["id"]), idKey(c["id"])) <= 0 {
		t.Errorf("id %v issued after restart is not above %v", next["id"], c["id"])
	}
	if all := ids(e.ok(ownerKey, "GET", "/contact", nil)); !slices.IsSortedFunc(all, compareIDs) {
		t.Errorf("list after restart is not in id order: %v", all)
	}
}

func TestStatsLatencyAndFaults(t *testing.T) {
	t.Parallel()
	// The latency itself is shown by the facade's cancellation test: the
	// emulator counts requests whose client left while they waited it out.
	e := setup(t, WithLatency(time.Millisecond))
	e.ok(ownerKey, "GET", "/contact", nil)
	first := ids(e.ok(ownerKey, "GET", "/contact", nil))
	e.ok(ownerKey, "GET", "/contact/"+first[0], nil)
	e.ok(ownerKey, "GET", "/contact/"+first[1], nil)
	resp, err := http.Get(e.srv.URL + "/_emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	_ = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if st.Total != 4 || st.ByRoute["GET /contact"] != 2 || st.ByRoute["GET /contact/{id}"] != 2 ||
		st.ByMethod["GET"] != 4 || st.ByResource["contact"] != 4 {
		t.Errorf("stats %+v", st)
	}
	req, _ := http.NewRequest("DELETE", e.srv.URL+"/_emulator/stats", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("reset: %v %v", resp, err)
	}
	if st := e.emu.Stats(); st.Total != 0 {
		t.Errorf("after reset: %+v", st)
	}

	e.emu.SetLatency(0)
	e.emu.SetFaultRate(1)
	unavailable, cut := 0, 0
	for range 30 {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/contact", nil)
		req.SetBasicAuth(ownerKey, "X")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cut++
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 503 {
			unavailable++
		}
	}
	if unavailable == 0 || cut == 0 || unavailable+cut != 30 {
		t.Errorf("fault rate 1: %d answered 503, %d cut, want both and 30 in all", unavailable, cut)
	}
	if st := e.emu.Stats(); st.Faults < 30 { // net/http may resend a cut GET itself
		t.Errorf("faults counted: %d", st.Faults)
	}
	if _, err := New(WithFaultRate(2)); err == nil {
		t.Error("a fault rate of 2 was accepted")
	}
}

func TestIDsAreCanonical(t *testing.T) {
	t.Parallel()
	e := setup(t)
	contact := idKey(e.one(ownerKey, "POST", "/contact", map[string]any{"fn": "Zero"})["id"])
	// A reference written with leading zeros is the same id, and the answer
	// stays valid JSON.
	n := e.one(ownerKey, "POST", "/note", map[string]any{"desc": "x", "cust": []string{"00" + contact}})
	if got := idList(n["cust"]); len(got) != 1 || got[0] != contact {
		t.Errorf("cust %v, want [%s]", n["cust"], contact)
	}
	if notes := idList(e.one(ownerKey, "GET", "/contact/"+contact, nil)["notes"]); len(notes) != 1 {
		t.Errorf("the contact's notes: %v", notes)
	}
}
