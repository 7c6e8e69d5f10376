package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// record is a stored record in wire form. Keys starting with "_" are the
// server's own (creator, API key) and are never sent.
type record map[string]any

const (
	hiddenCreator = "_creator"
	hiddenKey     = "_key"
)

// caller is the user an API key belongs to, with what it may do.
type caller struct {
	id          string
	owner       bool
	admin       bool
	permissions []string
	groupBits   int64
}

func (c *caller) can(p string) bool {
	return c.owner || c.admin || slices.Contains(c.permissions, p)
}

type table struct {
	byID    map[string]record
	encoded map[string][]byte // encodeBase of each record
	order   []string          // ids in creation order, which is ascending
}

// store is the account's data. Every method takes the lock it needs, so the
// emulator is safe under concurrent requests.
type store struct {
	mu     sync.RWMutex
	specs  map[string]*spec
	tables map[string]*table
	// rev["note.cust"][target id] holds the ids of notes whose cust names target.
	rev map[string]map[string]map[string]struct{}
	// refsBySource["note"] = ["cust", "case", "opportunity"]: the reference
	// fields some reverse list is derived from.
	refsBySource map[string][]string
	nextID       int64
	now          func() time.Time
	db           *boltStore // nil without persistence
}

// errStatus is a failure with the HTTP status it answers with.
type errStatus struct {
	status int
	msg    string
}

func (e *errStatus) Error() string { return e.msg }

func newStore(now func() time.Time) *store {
	s := &store{specs: specs(), tables: map[string]*table{}, rev: map[string]map[string]map[string]struct{}{},
		refsBySource: map[string][]string{}, nextID: 1000, now: now}
	for name, sp := range s.specs {
		s.tables[name] = &table{byID: map[string]record{}, encoded: map[string][]byte{}}
		for _, r := range sp.reverses {
			if !slices.Contains(s.refsBySource[r.source], r.ref) {
				s.refsBySource[r.source] = append(s.refsBySource[r.source], r.ref)
			}
		}
	}
	return s
}

// idKey is the canonical text of an id value.
func idKey(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case json.Number:
		return v.String()
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatInt(int64(v), 10)
	}
	return fmt.Sprint(v)
}

func idValue(key string) any {
	if n, err := strconv.ParseInt(key, 10, 64); err == nil && strconv.FormatInt(n, 10) == key {
		return json.Number(key)
	}
	return key
}

func (s *store) exists(resource, id string) bool {
	_, ok := s.tables[resource].byID[id]
	return ok
}

func (s *store) userByKey(key string) *caller {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range s.tables["user"].order {
		u := s.tables["user"].byID[id]
		if k, _ := u[hiddenKey].(string); k != "" && k == key {
			c := &caller{id: id}
			c.owner, _ = u["is_owner"].(bool)
			c.admin, _ = u["is_admin"].(bool)
			for _, p := range asList(u["permissions"]) {
				c.permissions = append(c.permissions, fmt.Sprint(p))
			}
			for _, g := range s.tables["group"].byID {
				if slices.ContainsFunc(asList(g["users"]), func(m any) bool { return idKey(m) == id }) {
					bit, _ := toInt(g["gid"])
					c.groupBits |= bit
				}
			}
			return c
		}
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// visible applies the contract's visibility rules.
func (s *store) visible(sp *spec, rec record, c *caller) bool {
	if !sp.private {
		return true
	}
	creator := idKey(rec[hiddenCreator])
	if p, _ := rec["is_private"].(bool); p {
		owner := idKey(rec["puser"])
		if owner == "" {
			owner = creator
		}
		return owner == c.id
	}
	if gid, _ := toInt(rec["gid"]); gid != 0 {
		return creator == c.id || gid&c.groupBits != 0
	}
	return true
}

// render is the record as the caller reads it: every field present, the
// derived lists filtered to what the caller may see. The fields that do not
// depend on the caller are encoded once, when the record is stored.
func (s *store) render(sp *spec, rec record, c *caller) json.RawMessage {
	base := s.tables[sp.name].encoded[idKey(rec["id"])]
	if base == nil {
		base = encodeBase(sp, rec)
	}
	out := make([]byte, 0, len(base)+32*len(sp.reverses)+1)
	out = append(out, base...)
	id := idKey(rec["id"])
	for _, r := range sp.reverses {
		srcSpec, srcTable := s.specs[r.source], s.tables[r.source]
		ids := make([]string, 0)
		for sid := range s.rev[r.source+"."+r.ref][id] {
			if src, ok := srcTable.byID[sid]; ok && s.visible(srcSpec, src, c) {
				ids = append(ids, sid)
			}
		}
		slices.SortFunc(ids, compareIDs)
		out = append(out, `,"`...)
		out = append(out, r.field...)
		out = append(out, `":[`...)
		for i, sid := range ids {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendID(out, sid)
		}
		out = append(out, ']')
	}
	return append(out, '}')
}

// encodeBase encodes the fields of rec that are the same for every caller,
// as an object missing its closing brace.
func encodeBase(sp *spec, rec record) []byte {
	out := make(map[string]any, len(rec)+4)
	for k, v := range rec {
		if !strings.HasPrefix(k, "_") {
			out[k] = v
		}
	}
	for k, v := range sp.roDefaults {
		if _, ok := out[k]; !ok {
			out[k] = v
		}
	}
	if sp.hasCreator {
		out["userId"] = idValue(idKey(rec[hiddenCreator]))
	}
	switch sp.name {
	case "contact":
		out["is_company"] = false
	case "company":
		out["is_company"] = true
	}
	b, err := json.Marshal(out)
	if err != nil {
		// Records hold only what normalise and the dataset put there.
		panic(fmt.Sprintf("emulator: encode %s: %v", sp.name, err))
	}
	return b[:len(b)-1]
}

func appendID(out []byte, id string) []byte {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && strconv.FormatInt(n, 10) == id {
		return append(out, id...)
	}
	return strconv.AppendQuote(out, id)
}

func compareIDs(a, b string) int {
	ai, aerr := strconv.ParseInt(a, 10, 64)
	bi, berr := strconv.ParseInt(b, 10, 64)
	if aerr == nil && berr == nil {
		return int(ai - bi)
	}
	return strings.Compare(a, b)
}

func (s *store) list(resource string, c *caller) []json.RawMessage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp, t := s.specs[resource], s.tables[resource]
	out := make([]json.RawMessage, 0, len(t.order))
	for _, id := range t.order {
		if rec := t.byID[id]; s.visible(sp, rec, c) {
			out = append(out, s.render(sp, rec, c))
		}
	}
	return out
}

func notFound(resource, id string) error {
	return &errStatus{404, fmt.Sprintf("%s %s not found", resource, id)}
}

func (s *store) get(resource, id string, c *caller) (json.RawMessage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sp := s.specs[resource]
	rec, ok := s.tables[resource].byID[id]
	if !ok || !s.visible(sp, rec, c) {
		return nil, notFound(resource, id)
	}
	return s.render(sp, rec, c), nil
}

// apply sets the writable fields present in body on rec. Read-only and
// unknown fields are ignored, as the official client sends them back.
func apply(sp *spec, rec record, body map[string]any) error {
	for k, v := range body {
		f, ok := sp.field(k)
		if !ok {
			continue
		}
		nv, err := normalise(f, v)
		if err != nil {
			return err
		}
		rec[k] = nv
	}
	return nil
}

// derive sets the fields the server computes from the others.
func (s *store) derive(sp *spec, rec record) {
	if sp.private {
		if p, _ := rec["is_private"].(bool); p && rec["puser"] == nil {
			rec["puser"] = idValue(idKey(rec[hiddenCreator]))
		}
	}
	if sp.name == "note" {
		desc := text(rec, "desc")
		if i := strings.IndexByte(desc, '\n'); i >= 0 {
			desc = desc[:i]
		}
		if len([]rune(desc)) > 80 {
			desc = string([]rune(desc)[:80]) + "…"
		}
		rec["hl"] = desc
		if rec["type"] == "M" && rec["delvry"] == nil {
			rec["delvry"] = "N"
		}
	}
}

func (s *store) create(resource string, body map[string]any, c *caller) (json.RawMessage, error) {
	sp := s.specs[resource]
	if !c.can("canedit") {
		return nil, &errStatus{403, "you do not have the permission to edit"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := record{}
	for _, f := range sp.fields {
		rec[f.name] = f.def
	}
	if err := apply(sp, rec, body); err != nil {
		return nil, err
	}
	rec[hiddenCreator] = idValue(c.id)
	s.derive(sp, rec)
	if err := sp.validate(s, rec, nil); err != nil {
		return nil, err
	}
	s.nextID++
	id := sp.stringIDs + strconv.FormatInt(s.nextID, 10)
	now := s.now().UTC().Format(time.RFC3339)
	rec["id"], rec["ao"], rec["lm"] = idValue(id), now, now
	if err := s.put(sp, id, rec); err != nil {
		s.nextID--
		return nil, err
	}
	return s.render(sp, rec, c), nil
}

func (s *store) update(resource, id string, body map[string]any, c *caller) (json.RawMessage, error) {
	sp := s.specs[resource]
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.tables[resource].byID[id]
	if !ok || !s.visible(sp, old, c) {
		return nil, notFound(resource, id)
	}
	if !c.can("canedit") {
		return nil, &errStatus{403, "you do not have the permission to edit"}
	}
	rec := maps.Clone(old)
	if err := apply(sp, rec, body); err != nil {
		return nil, err
	}
	if sp.name == "note" && rec["type"] == "E" && old["type"] != "E" {
		return nil, bad("type E is set by the server only")
	}
	s.derive(sp, rec)
	if err := sp.validate(s, rec, old); err != nil {
		return nil, err
	}
	rec["lm"] = s.now().UTC().Format(time.RFC3339)
	if deleted, _ := rec["is_deleted"].(bool); deleted && sp.name == "task" {
		// Setting is_deleted on a task deletes it.
		if err := s.remove(sp, id); err != nil {
			return nil, err
		}
		return s.render(sp, rec, c), nil
	}
	if err := s.put(sp, id, rec); err != nil {
		return nil, err
	}
	return s.render(sp, rec, c), nil
}

func (s *store) delete(resource, id string, c *caller) error {
	sp := s.specs[resource]
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.tables[resource].byID[id]
	if !ok || !s.visible(sp, rec, c) {
		return notFound(resource, id)
	}
	if !c.can("candelete") {
		return &errStatus{403, "you do not have the permission to delete"}
	}
	return s.remove(sp, id)
}

// put stores rec (persisting it first) and reindexes its references.
// The caller holds the write lock.
func (s *store) put(sp *spec, id string, rec record) error {
	if s.db != nil {
		if err := s.db.put(sp.name, id, rec, s.nextID); err != nil {
			return &errStatus{500, "storage failure: " + err.Error()}
		}
	}
	s.insert(sp, id, rec)
	return nil
}

// insert places rec in memory without persisting it (used by put and load).
func (s *store) insert(sp *spec, id string, rec record) {
	t := s.tables[sp.name]
	if old, ok := t.byID[id]; ok {
		s.unindex(sp.name, id, old)
	} else {
		t.order = append(t.order, id)
	}
	t.byID[id] = rec
	t.encoded[id] = encodeBase(sp, rec)
	s.index(sp.name, id, rec)
}

func (s *store) remove(sp *spec, id string) error {
	if s.db != nil {
		if err := s.db.del(sp.name, id); err != nil {
			return &errStatus{500, "storage failure: " + err.Error()}
		}
	}
	t := s.tables[sp.name]
	s.unindex(sp.name, id, t.byID[id])
	delete(t.byID, id)
	delete(t.encoded, id)
	if i := slices.Index(t.order, id); i >= 0 {
		t.order = slices.Delete(t.order, i, i+1)
	}
	return nil
}

func refTargets(v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, idKey(x))
		}
		return out
	}
	if k := idKey(v); k != "" {
		return []string{k}
	}
	return nil
}

func (s *store) index(resource, id string, rec record) {
	for _, ref := range s.refsBySource[resource] {
		key := resource + "." + ref
		if s.rev[key] == nil {
			s.rev[key] = map[string]map[string]struct{}{}
		}
		for _, target := range refTargets(rec[ref]) {
			if s.rev[key][target] == nil {
				s.rev[key][target] = map[string]struct{}{}
			}
			s.rev[key][target][id] = struct{}{}
		}
	}
}

func (s *store) unindex(resource, id string, rec record) {
	for _, ref := range s.refsBySource[resource] {
		for _, target := range refTargets(rec[ref]) {
			delete(s.rev[resource+"."+ref][target], id)
		}
	}
}

// checkCustomValues checks cf values against the account's definitions.
func (s *store) checkCustomValues(rec record, scope string) error {
	cf, _ := rec["cf"].(map[string]any)
	for fid, v := range cf {
		def, ok := s.tables["customfield"].byID[fid]
		if !ok {
			return bad("cf: there is no custom field %s", fid)
		}
		if !slices.Contains(asList(def["modelType"]), any(scope)) {
			return bad("cf: field %s does not apply to %s", fid, scope)
		}
		values, isList := v.([]any)
		if !isList {
			values = []any{v}
		}
		if multiple, _ := def["multiple"].(bool); !multiple && len(values) > 1 {
			return bad("cf: field %s takes one value", fid)
		}
		for _, val := range values {
			str, _ := val.(string)
			switch def["elemType"] {
			case "select":
				if !slices.Contains(asList(def["values"]), any(str)) {
					return bad("cf: %q is not a value of field %s", str, fid)
				}
			case "date":
				if _, err := time.Parse(time.DateOnly, str); err != nil {
					return bad("cf: %q is not a YYYY-MM-DD date", str)
				}
			}
		}
	}
	return nil
}
