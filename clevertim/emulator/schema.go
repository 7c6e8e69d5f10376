package emulator

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// kind is how a writable wire field is checked and normalised.
type kind int

const (
	kText    kind = iota // string or null
	kBool                // true/false
	kInt                 // integer
	kRef                 // one id or null
	kRefList             // list of ids, also sent as one id (note `cust`)
	kStrList             // list of strings, also sent as one string
	kPhones              // [{type, no}]
	kSocial              // [{type, smid}]
	kCustom              // {"<field id>": value}
	kDate                // {"y","mo","d","h","mi"} or null
	kRecOpts             // {"type":"weekday"} or {}
	kDecimal             // decimal number in a string
	kScopes              // custom field scopes
)

type field struct {
	name string
	kind kind
	// def is the value of a field never set; nil for text and references.
	def any
}

// reverse is a read-only id list the server derives from other records'
// references: contact.notes lists the notes whose `cust` names the contact.
type reverse struct {
	field  string // on the target: "notes"
	source string // the referring resource: "note"
	ref    string // the referring field: "cust"
}

// spec describes one resource as the server keeps it.
type spec struct {
	name     string
	fields   []field
	reverses []reverse
	// roDefaults are read-only fields with a fixed value where not derived.
	roDefaults map[string]any
	readOnly   bool // users and groups: no writes at all
	noUpdate   bool // comments: PUT answers 501
	hasCreator bool // carries `userId`
	private    bool // carries visibility fields
	stringIDs  string
	validate   func(s *store, rec record, old record) error
}

var visibilityFields = []field{{"is_private", kBool, false}, {"puser", kRef, nil}, {"gid", kInt, json.Number("0")}}

func customerFields() []field {
	return []field{
		{"description", kText, nil}, {"email", kStrList, []any{}}, {"phones", kPhones, []any{}},
		{"website", kStrList, []any{}}, {"address", kText, nil}, {"city", kText, nil},
		{"postcode", kText, nil}, {"region", kText, nil}, {"country", kText, nil},
		{"smids", kSocial, []any{}}, {"ctype", kText, nil}, {"cf", kCustom, map[string]any{}},
		{"tags", kStrList, []any{}},
	}
}

func customerReverses() []reverse {
	return []reverse{
		{"notes", "note", "cust"}, {"opportunities", "opportunity", "cust"},
		{"tasks", "task", "cust"}, {"cases", "case", "cust"},
	}
}

// specs returns the resource table. It is built per emulator, never shared.
func specs() map[string]*spec {
	customerRO := map[string]any{"files": []any{}, "lfiles": []any{}, "lc": nil, "cphoto": nil}
	list := []*spec{
		{name: "contact", private: true, reverses: customerReverses(), roDefaults: customerRO,
			fields: append(customerFields(), field{"fn", kText, nil}, field{"ln", kText, nil},
				field{"title", kText, nil}, field{"companyId", kRef, nil}),
			validate: validateContact},
		{name: "company", private: true, reverses: customerReverses(), roDefaults: customerRO,
			fields:   append(customerFields(), field{"cn", kText, nil}),
			validate: validateCompany},
		{name: "opportunity", private: true, hasCreator: true,
			reverses:   []reverse{{"tasks", "task", "opp"}, {"notes", "note", "opportunity"}},
			roDefaults: map[string]any{"files": []any{}, "lfiles": []any{}},
			fields: []field{{"name", kText, nil}, {"description", kText, nil}, {"status", kText, "Open"},
				{"leadUser", kRef, nil}, {"value", kDecimal, nil}, {"currency", kText, nil},
				{"cust", kRef, nil}, {"cf", kCustom, map[string]any{}}, {"tags", kStrList, []any{}}},
			validate: requireName("name", "opportunities")},
		{name: "case", private: true, hasCreator: true,
			reverses:   []reverse{{"tasks", "task", "case"}, {"notes", "note", "case"}},
			roDefaults: map[string]any{"files": []any{}, "lfiles": []any{}},
			fields: []field{{"name", kText, nil}, {"description", kText, nil}, {"leadUser", kRef, nil},
				{"cust", kRef, nil}, {"cf", kCustom, map[string]any{}}, {"tags", kStrList, []any{}}},
			validate: requireName("name", "cases")},
		{name: "task", private: true, hasCreator: true,
			reverses: []reverse{{"comments", "comment", "tid"}},
			fields: []field{{"name", kText, nil}, {"atype", kText, nil}, {"location", kText, nil},
				{"cust", kRef, nil}, {"case", kRef, nil}, {"opp", kRef, nil}, {"aUserId", kRef, nil},
				{"startDate", kDate, nil}, {"endDate", kDate, nil}, {"is_completed", kBool, false},
				{"is_deleted", kBool, false}, {"rec", kText, "N"}, {"recevery", kInt, json.Number("1")},
				{"recopts", kRecOpts, map[string]any{}}},
			validate: validateTask},
		{name: "note", private: true, hasCreator: true,
			reverses: []reverse{{"comments", "comment", "nid"}},
			roDefaults: map[string]any{"files": []any{}, "lfiles": []any{}, "is_deleted": false,
				"hl": nil, "delvry": nil, "email": nil},
			fields: []field{{"desc", kText, nil}, {"type", kText, "N"}, {"cust", kRefList, []any{}},
				{"case", kRef, nil}, {"opportunity", kRef, nil}},
			validate: validateNote},
		{name: "comment", hasCreator: true, noUpdate: true,
			fields:   []field{{"comment", kText, nil}, {"nid", kRef, nil}, {"tid", kRef, nil}},
			validate: validateComment},
		{name: "customfield",
			fields: []field{{"name", kText, nil}, {"fullname", kText, nil}, {"elemType", kText, nil},
				{"modelType", kScopes, []any{}}, {"multiple", kBool, false}, {"values", kStrList, []any{}},
				{"app", kText, nil}},
			validate: validateCustomField},
		{name: "user", readOnly: true},
		{name: "group", readOnly: true},
		{name: "folder", private: true, stringIDs: "d", roDefaults: map[string]any{"is_dir": true},
			fields: []field{{"name", kText, nil}, {"parentId", kRef, nil}}, validate: requireName("name", "folders")},
		{name: "file", private: true, stringIDs: "f",
			fields: []field{{"name", kText, nil}, {"parentId", kRef, nil}}, validate: requireName("name", "files")},
		{name: "linkedfile", private: true, roDefaults: map[string]any{"sys": "G"},
			fields: []field{{"name", kText, nil}, {"size", kInt, json.Number("0")}, {"link", kText, nil},
				{"icon", kText, nil}}, validate: requireName("name", "linked files")},
	}
	out := make(map[string]*spec, len(list))
	for _, s := range list {
		if s.private {
			s.fields = append(s.fields, visibilityFields...)
		}
		out[s.name] = s
	}
	return out
}

func (s *spec) field(name string) (field, bool) {
	for _, f := range s.fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// badRequest is a 400 with Clevertim's message.
type badRequest string

func (b badRequest) Error() string { return string(b) }

func bad(format string, args ...any) error { return badRequest(fmt.Sprintf(format, args...)) }

// normalise checks a value sent for a field and returns it in stored form.
// Numbers are kept as json.Number so they are written back unchanged.
func normalise(f field, v any) (any, error) {
	if v == nil {
		if f.def != nil {
			return f.def, nil
		}
		return nil, nil
	}
	switch f.kind {
	case kText:
		if s, ok := v.(string); ok {
			return s, nil
		}
		if n, ok := v.(json.Number); ok && f.name == "currency" {
			return n.String(), nil
		}
		return nil, bad("%s must be a string", f.name)
	case kBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, bad("%s must be true or false", f.name)
	case kInt:
		n, err := toInt(v)
		if err != nil {
			return nil, bad("%s must be an integer", f.name)
		}
		return json.Number(fmt.Sprint(n)), nil
	case kRef:
		id, ok := refValue(v)
		if !ok {
			return nil, bad("%s must be an id", f.name)
		}
		return id, nil
	case kRefList:
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			id, ok := refValue(it)
			if !ok || id == nil {
				return nil, bad("%s must be a list of ids", f.name)
			}
			out = append(out, id)
		}
		return out, nil
	case kStrList, kScopes:
		items, ok := v.([]any)
		if !ok {
			items = []any{v}
		}
		out := make([]any, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, bad("%s must be a list of strings", f.name)
			}
			if f.kind == kScopes && !slices.Contains(scopes, s) {
				return nil, bad("%s: %q is not one of %s", f.name, s, strings.Join(scopes, ", "))
			}
			out = append(out, s)
		}
		return out, nil
	case kPhones:
		return objectList(f.name, v, "type", "no", phoneTypes)
	case kSocial:
		return objectList(f.name, v, "type", "smid", socialVenues)
	case kCustom:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad("%s must be an object", f.name)
		}
		out := make(map[string]any, len(m))
		for k, val := range m {
			switch val := val.(type) {
			case nil:
				continue // clearing a value
			case string:
				out[k] = val
			case json.Number:
				out[k] = val.String()
			case []any:
				list := make([]any, 0, len(val))
				for _, it := range val {
					s, ok := it.(string)
					if !ok {
						return nil, bad("cf %s must hold strings", k)
					}
					list = append(list, s)
				}
				out[k] = list
			default:
				return nil, bad("cf %s must be a string or a list of strings", k)
			}
		}
		return out, nil
	case kDate:
		return taskDate(f.name, v)
	case kRecOpts:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad("%s must be an object", f.name)
		}
		if t, ok := m["type"]; ok && t != "weekday" {
			return nil, bad(`%s type must be "weekday"`, f.name)
		}
		return m, nil
	case kDecimal:
		s := fmt.Sprint(v)
		if _, isBool := v.(bool); isBool || !decimalRE.MatchString(s) {
			return nil, bad("%s must be a decimal number", f.name)
		}
		return s, nil
	}
	return nil, bad("%s cannot be set", f.name)
}

var decimalRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func toInt(v any) (int64, error) {
	switch v := v.(type) {
	case json.Number:
		return v.Int64()
	case string:
		return json.Number(v).Int64()
	}
	return 0, fmt.Errorf("not an integer")
}

// refValue normalises an id: numbers (or numeric strings) become
// json.Number, other strings stay strings.
func refValue(v any) (any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case json.Number:
		if _, err := v.Int64(); err != nil {
			return nil, false
		}
		return v, true
	case string:
		if v == "" {
			return nil, true
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return json.Number(strconv.FormatInt(n, 10)), true // "007" is 7
		}
		return v, true
	}
	return nil, false
}

func objectList(name string, v any, typeKey, valueKey string, allowed []string) (any, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, bad("%s must be a list", name)
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, bad("%s[%d] must be an object", name, i)
		}
		t, _ := m[typeKey].(string)
		if !slices.Contains(allowed, t) {
			return nil, bad("%s[%d].%s %q is not one of %s", name, i, typeKey, t, strings.Join(allowed, ", "))
		}
		val, _ := m[valueKey].(string)
		out = append(out, map[string]any{typeKey: t, valueKey: val})
	}
	return out, nil
}

func taskDate(name string, v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, bad("%s must be an object", name)
	}
	out := map[string]any{}
	for _, k := range []string{"y", "mo", "d", "h", "mi"} {
		if raw, ok := m[k]; ok && raw != nil {
			n, err := toInt(raw)
			if err != nil {
				return nil, bad("%s.%s must be an integer", name, k)
			}
			out[k] = json.Number(fmt.Sprint(n))
		}
	}
	if y, ok := out["y"]; ok {
		yi, _ := toInt(y)
		mo, _ := toInt(out["mo"])
		d, _ := toInt(out["d"])
		t := time.Date(int(yi), time.Month(mo), int(d), 0, 0, 0, 0, time.UTC)
		if int64(t.Year()) != yi || int64(t.Month()) != mo || int64(t.Day()) != d {
			return nil, bad("%s is not a calendar date", name)
		}
	}
	return out, nil
}

var (
	phoneTypes   = []string{"Work", "Home", "Mobile", "Fax", "Pager"}
	socialVenues = []string{"BitBucket", "Facebook", "Github", "Google+", "Instagram", "Kik", "LinkedIn",
		"MSN", "Pinterest", "Reddit", "Skype", "Snapchat", "Telegram", "Twitter", "Whatsapp", "YouTube"}
	customerTypes = []string{"C", "P", "S", "R", "E", "O", "N", "T", "D", "X", "I", "M", "A", "V", "W", "L", "F", "H"}
	taskTypes     = []string{"Appointment", "Email", "Meeting", "Call", "Follow up", "TO DO", "Not set"}
	recurrences   = []string{"N", "D", "W", "M", "Y"}
	fieldTypes    = []string{"input", "select", "date", "user", "country", "state", "region", "contact",
		"company", "case", "opportunity", "currency"}
	scopes = []string{"customers", "companies", "cases", "opportunities"}
)

func text(rec record, k string) string {
	s, _ := rec[k].(string)
	return strings.TrimSpace(s)
}

func requireName(key, what string) func(*store, record, record) error {
	return func(_ *store, rec record, _ record) error {
		if text(rec, key) == "" {
			return bad("%s: %s is required", what, key)
		}
		return nil
	}
}

func checkCode(rec record, key string, allowed []string) error {
	if v, ok := rec[key].(string); ok && !slices.Contains(allowed, v) {
		return bad("%s %q is not one of %s", key, v, strings.Join(allowed, ", "))
	}
	return nil
}

func validateCustomer(s *store, rec record, scope string) error {
	if err := checkCode(rec, "ctype", customerTypes); err != nil {
		return err
	}
	return s.checkCustomValues(rec, scope)
}

func validateContact(s *store, rec record, _ record) error {
	if text(rec, "fn") == "" && text(rec, "ln") == "" {
		return bad("a contact needs fn or ln")
	}
	return validateCustomer(s, rec, "customers")
}

func validateCompany(s *store, rec record, _ record) error {
	if text(rec, "cn") == "" {
		return bad("a company needs cn")
	}
	return validateCustomer(s, rec, "companies")
}

func validateTask(_ *store, rec record, _ record) error {
	if text(rec, "name") == "" {
		return bad("tasks: name is required")
	}
	if err := checkCode(rec, "atype", taskTypes); err != nil {
		return err
	}
	if err := checkCode(rec, "rec", recurrences); err != nil {
		return err
	}
	if n, _ := toInt(rec["recevery"]); n < 1 {
		return bad("recevery must be 1 or more")
	}
	return nil
}

func validateNote(_ *store, rec record, old record) error {
	allowed := []string{"N", "S", "M"}
	if old != nil && old["type"] == "E" {
		allowed = append(allowed, "E") // a dropped email keeps its type
	}
	return checkCode(rec, "type", allowed)
}

func validateComment(s *store, rec record, _ record) error {
	if text(rec, "comment") == "" {
		return bad("comment is required")
	}
	nid, tid := rec["nid"], rec["tid"]
	if (nid == nil) == (tid == nil) {
		return bad("a comment needs exactly one of nid or tid")
	}
	if nid != nil && !s.exists("note", idKey(nid)) {
		return bad("note %s does not exist", idKey(nid))
	}
	if tid != nil && !s.exists("task", idKey(tid)) {
		return bad("task %s does not exist", idKey(tid))
	}
	return nil
}

func validateCustomField(_ *store, rec record, _ record) error {
	if text(rec, "name") == "" {
		return bad("customfield: name is required")
	}
	if err := checkCode(rec, "elemType", fieldTypes); err != nil {
		return err
	}
	if rec["elemType"] == nil {
		return bad("customfield: elemType is required")
	}
	if l, _ := rec["modelType"].([]any); len(l) == 0 {
		return bad("customfield: modelType needs at least one scope")
	}
	if opts, _ := rec["values"].([]any); rec["elemType"] == "select" && len(opts) == 0 {
		return bad("customfield: a select field needs values")
	}
	return nil
}
