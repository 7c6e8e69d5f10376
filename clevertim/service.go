package clevertim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"time"
)

// endpoint is what every service of one resource shares.
type endpoint struct {
	client   *Client
	resource string   // path segment: "contact"
	readOnly []string // wire fields the server keeps, never sent
}

func (e *endpoint) collectionPath() string { return "/" + e.resource }

func (e *endpoint) recordPath(id ID) string {
	return "/" + e.resource + "/" + url.PathEscape(string(id))
}

// validator is implemented by models that check themselves before a write.
type validator interface{ Validate() error }

// encode validates a record and marshals it without the fields the server
// keeps.
func (e *endpoint) encode(v any) ([]byte, error) {
	if val, ok := v.(validator); ok {
		if err := val.Validate(); err != nil {
			return nil, err
		}
	}
	return e.writable(v)
}

// writable marshals a record without the fields the server keeps.
func (e *endpoint) writable(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("clevertim: encode %s: %w", e.resource, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, fmt.Errorf("clevertim: encode %s: %w", e.resource, err)
	}
	delete(fields, "id")
	delete(fields, "ao")
	delete(fields, "lm")
	for _, f := range e.readOnly {
		delete(fields, f)
	}
	return json.Marshal(fields)
}

// one sends a request whose answer holds exactly one record, as GET by id,
// POST and PUT do. The record keeps the JSON it was decoded from, for
// Update.
func one[T any](ctx context.Context, e *endpoint, method, path string, body []byte) (*T, error) {
	content, err := e.client.do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	invalidAnswer := func(format string, args ...any) error {
		return &Error{Method: method, URL: e.client.baseURL + path, StatusCode: http.StatusOK,
			Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidResponse}, args...)...)}
	}
	var items []json.RawMessage
	if err := json.Unmarshal(content, &items); err != nil {
		return nil, invalidAnswer("%v", err)
	}
	if len(items) != 1 {
		return nil, invalidAnswer("want one record, got %d", len(items))
	}
	rec := new(T)
	if err := json.Unmarshal(items[0], rec); err != nil {
		return nil, invalidAnswer("record 0: %v", err)
	}
	rememberStored(&e.client.shared.stored, rec, items[0])
	return rec, nil
}

// Reader fetches records of one resource.
type Reader[T any] struct{ ep *endpoint }

// Get fetches one record: GET /{resource}/{id}.
func (r Reader[T]) Get(ctx context.Context, id ID) (*T, error) {
	if id == "" {
		return nil, invalid("id", "is required")
	}
	return one[T](ctx, r.ep, http.MethodGet, r.ep.recordPath(id), nil)
}

// List fetches every record the user may see: GET /{resource}. The API has
// no paging or filtering.
func (r Reader[T]) List(ctx context.Context) ([]*T, error) {
	return records[T](ctx, r.ep.client, http.MethodGet, r.ep.collectionPath(), nil)
}

// Creator creates records of one resource.
type Creator[T any] struct{ ep *endpoint }

// Create validates v, sends it (without read-only fields) and returns the
// record as stored, with its new id: POST /{resource}.
//
// When the answer is lost (see RetryPolicy), the record may have been
// created: Create looks for it among the records added since the first try
// and returns it if it is there; only if it is not does it send the request
// again. If it cannot tell, the error matches ErrOutcomeUnknown. Identical
// creates of one key are sent one at a time, so that each can tell its
// record from the others'.
func (c Creator[T]) Create(ctx context.Context, v *T) (*T, error) {
	body, err := c.ep.encode(v)
	if err != nil {
		return nil, err
	}
	client, ledger := c.ep.client, c.ep.client.shared.creates
	release, err := ledger.oneAtATime.acquire(ctx, createKey{client.keyHash, c.ep.resource, sha256.Sum256(body)})
	if err != nil {
		return nil, fmt.Errorf("clevertim: POST %s: %w: %w", client.baseURL+c.ep.collectionPath(), ErrNotSent, err)
	}
	defer release()
	firstSent := time.Now()
	rec, err := reconcile(ctx, c.ep, http.MethodPost, c.ep.collectionPath(), body, func() (*T, bool, error) {
		return findCreated[T](ctx, c.ep, body, firstSent)
	})
	if err != nil {
		return nil, err
	}
	id, err := idOf(rec)
	if err != nil {
		return nil, err
	}
	// Taken by a reconciliation already, it would be Clevertim handing out
	// an id twice: nothing this client can fix, so it is only remembered.
	ledger.claim(client.keyHash, c.ep.resource, id)
	return rec, nil
}

// idOf reads a record's id through its JSON, which every model shares.
func idOf[T any](rec *T) (ID, error) {
	var r Record
	raw, err := json.Marshal(rec)
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	return r.ID, err
}

// reconcile sends a write. When its answer is lost, it asks took whether the
// write took effect: if so it returns that record, if not it sends the write
// again, as often as the retry policy allows.
func reconcile[T any](ctx context.Context, e *endpoint, method, path string, body []byte, took func() (*T, bool, error)) (*T, error) {
	policy := e.client.retry
	for n := 1; ; n++ {
		var rec *T
		var err error
		if method == http.MethodDelete {
			_, err = e.client.do(ctx, method, path, nil)
		} else {
			rec, err = one[T](ctx, e, method, path, body)
		}
		if err == nil || !ambiguous(err) {
			return rec, err
		}
		found, ok, cerr := took()
		switch {
		case cerr != nil:
			return nil, fmt.Errorf("%w: %w (checking: %v)", ErrOutcomeUnknown, err, cerr)
		case ok:
			return found, nil
		case n >= policy.MaxAttempts || e.client.sleep(ctx, policy.backoff(n)) != nil:
			return nil, err // known not to have happened: an ordinary failure
		}
	}
}

// findCreated looks for the record a lost POST may have created: one with
// every non-empty field sent, that did not exist when the first try was
// sent, and that this client has not returned for another create.
//
// "Did not exist" is read on Clevertim's clock, learnt from its Date
// headers: ao, truncated to the second, must be no earlier than the second
// in which the first try may have arrived. Identical creates of one key go
// one at a time (see Create), so the records of earlier ones are known and
// skipped; a record made elsewhere, identical and within the same second,
// cannot be told apart. One candidate is adopted; several, or no clock to
// judge by, leave the outcome unknown rather than risk another's record.
func findCreated[T any](ctx context.Context, e *endpoint, sent []byte, firstSent time.Time) (*T, bool, error) {
	recs, err := Reader[T]{e}.List(ctx)
	if err != nil {
		return nil, false, err
	}
	// After the list, whose answer told the clock if nothing had before.
	earliest, ok := e.client.shared.clock.earliest(firstSent)
	if !ok {
		return nil, false, errNoServerClock
	}
	earliest = earliest.Add(-createWindowMargin).Truncate(time.Second)
	want, err := fieldsOf(sent)
	if err != nil {
		return nil, false, err
	}
	ledger, key := e.client.shared.creates, e.client.keyHash
	var found *T
	var foundID ID
	for _, rec := range recs {
		raw, err := json.Marshal(rec)
		if err != nil {
			return nil, false, err
		}
		var r Record
		if json.Unmarshal(raw, &r) != nil || r.AddedOn.Before(earliest) || ledger.claimed(key, e.resource, r.ID) {
			continue
		}
		have, err := fieldsOf(raw)
		if err != nil || !matches(want, have, false) {
			continue
		}
		if found != nil {
			return nil, false, fmt.Errorf("%w: %s and %s", errManyCandidates, foundID, r.ID)
		}
		found, foundID = rec, r.ID
	}
	if found == nil {
		return nil, false, nil
	}
	ledger.claim(key, e.resource, foundID)
	return found, true, nil
}

// fieldsOf decodes a JSON object into comparable values.
func fieldsOf(raw []byte) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(raw, &m)
	return m, err
}

// matches reports whether have holds what want sent. Empty values (null, "",
// [], {}, false, 0) match each other. Without compareEmpty, fields sent
// empty are not compared at all, since the server fills defaults on create.
func matches(want, have map[string]any, compareEmpty bool) bool {
	for k, w := range want {
		h := have[k]
		switch {
		case isEmpty(w) && !compareEmpty:
			continue
		case isEmpty(w) && isEmpty(h):
			continue
		case !reflect.DeepEqual(w, h):
			return false
		}
	}
	return true
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// Updater updates records of one resource.
type Updater[T any] struct{ ep *endpoint }

// Update sends the whole writable record, which is correct whether the server
// merges or replaces, and returns it as stored: PUT /{resource}/{id}. Fields
// left at their zero value are sent as such: to change a few fields, Get the
// record, change them, then Update.
// When the answer is lost, Update reads the record: if it holds what was
// sent, the update happened; if not, it is sent again.
func (u Updater[T]) Update(ctx context.Context, id ID, v *T) (*T, error) {
	if id == "" {
		return nil, invalid("id", "is required")
	}
	fields, err := u.ep.encode(v)
	if err != nil {
		return nil, err
	}
	body, err := untouchedAsStored[T](u.ep, fields, v)
	if err != nil {
		return nil, err
	}
	return reconcile(ctx, u.ep, http.MethodPut, u.ep.recordPath(id), body, func() (*T, bool, error) {
		rec, err := Reader[T](u).Get(ctx, id)
		if err != nil {
			return nil, false, err
		}
		stored, err := u.ep.encode(rec)
		if err != nil {
			return nil, false, err
		}
		want, err := fieldsOf(fields)
		if err != nil {
			return nil, false, err
		}
		have, err := fieldsOf(stored)
		return rec, err == nil && matches(want, have, true), err
	})
}

// untouchedAsStored returns the body of an update of v whose fields hold
// what v held when read, as Clevertim sent them: the model cannot tell null
// from "" or an absent list, and sending it its own reading back would
// change the record where the caller changed nothing. fields is v encoded;
// a v that was not read one at a time is sent as it is.
func untouchedAsStored[T any](e *endpoint, fields []byte, v *T) ([]byte, error) {
	raw := storedOf(&e.client.shared.stored, v)
	if raw == nil {
		return fields, nil
	}
	asRead := new(T)
	if err := json.Unmarshal(raw, asRead); err != nil {
		return nil, fmt.Errorf("clevertim: %s as read: %w", e.resource, err)
	}
	readFields, err := e.writable(asRead)
	if err != nil {
		return nil, err
	}
	var now, then, stored map[string]json.RawMessage
	for _, d := range []struct {
		raw []byte
		dst *map[string]json.RawMessage
	}{{fields, &now}, {readFields, &then}, {raw, &stored}} {
		if err := json.Unmarshal(d.raw, d.dst); err != nil {
			return nil, fmt.Errorf("clevertim: encode %s: %w", e.resource, err)
		}
	}
	for k, v := range now {
		if was, ok := stored[k]; ok && bytes.Equal(v, then[k]) {
			now[k] = was
		}
	}
	return json.Marshal(now)
}

// Deleter deletes records of one resource.
type Deleter struct{ ep *endpoint }

// Delete removes a record: DELETE /{resource}/{id}.
// When the answer is lost, Delete reads the record: gone means deleted.
func (d Deleter) Delete(ctx context.Context, id ID) error {
	if id == "" {
		return invalid("id", "is required")
	}
	_, err := reconcile(ctx, d.ep, http.MethodDelete, d.ep.recordPath(id), nil, func() (*struct{}, bool, error) {
		_, err := d.ep.client.do(ctx, http.MethodGet, d.ep.recordPath(id), nil)
		if errors.Is(err, ErrNotFound) {
			return nil, true, nil
		}
		return nil, false, err
	})
	return err
}

// crud is the full set of operations most resources have.
type crud[T any] struct {
	Reader[T]
	Creator[T]
	Updater[T]
	Deleter
}

func newCRUD[T any](ep *endpoint) crud[T] {
	return crud[T]{Reader[T]{ep}, Creator[T]{ep}, Updater[T]{ep}, Deleter{ep}}
}

// ContactsService reads and writes people: https://www.clevertim.com/api/contact.
type ContactsService struct{ crud[Contact] }

// CompaniesService reads and writes companies: https://www.clevertim.com/api/company.
type CompaniesService struct{ crud[Company] }

// OpportunitiesService reads and writes deals: https://www.clevertim.com/api/opportunity.
type OpportunitiesService struct{ crud[Opportunity] }

// CasesService reads and writes support cases: https://www.clevertim.com/api/case.
type CasesService struct{ crud[Case] }

// TasksService reads and writes tasks: https://www.clevertim.com/api/task.
type TasksService struct{ crud[Task] }

// NotesService reads and writes notes: https://www.clevertim.com/api/note.
type NotesService struct{ crud[Note] }

// CommentsService reads, creates and deletes comments. Clevertim cannot
// update a comment (PUT answers 501), so there is no Update: delete and
// create again.
type CommentsService struct {
	Reader[Comment]
	Creator[Comment]
	Deleter
}

// CustomFieldsService reads and writes custom field definitions.
type CustomFieldsService struct{ crud[CustomField] }

// UsersService reads the account's users; the API offers no writes.
type UsersService struct{ Reader[User] }

// GroupsService reads the account's groups; the API offers no writes.
type GroupsService struct{ Reader[Group] }

// FoldersService reads and writes folders.
type FoldersService struct{ crud[Folder] }

// FilesService reads and writes file records.
type FilesService struct{ crud[File] }

// LinkedFilesService reads and writes files kept in other systems.
type LinkedFilesService struct{ crud[LinkedFile] }
