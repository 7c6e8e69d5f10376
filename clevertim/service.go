package clevertim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// encode marshals a record without the fields the server keeps.
func (e *endpoint) encode(v any) ([]byte, error) {
	if val, ok := v.(validator); ok {
		if err := val.Validate(); err != nil {
			return nil, err
		}
	}
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
// POST and PUT do.
func one[T any](ctx context.Context, e *endpoint, method, path string, body []byte) (*T, error) {
	recs, err := records[T](ctx, e.client, method, path, body)
	if err != nil {
		return nil, err
	}
	if len(recs) != 1 {
		return nil, &Error{Method: method, URL: e.client.baseURL + path, StatusCode: http.StatusOK,
			Err: fmt.Errorf("%w: want one record, got %d", ErrInvalidResponse, len(recs))}
	}
	return recs[0], nil
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
func (c Creator[T]) Create(ctx context.Context, v *T) (*T, error) {
	body, err := c.ep.encode(v)
	if err != nil {
		return nil, err
	}
	return one[T](ctx, c.ep, http.MethodPost, c.ep.collectionPath(), body)
}

// Updater updates records of one resource.
type Updater[T any] struct{ ep *endpoint }

// Update sends the whole writable record, which is correct whether the server
// merges or replaces, and returns it as stored: PUT /{resource}/{id}. Fields
// left at their zero value are sent as such: to change a few fields, Get the
// record, change them, then Update.
func (u Updater[T]) Update(ctx context.Context, id ID, v *T) (*T, error) {
	if id == "" {
		return nil, invalid("id", "is required")
	}
	body, err := u.ep.encode(v)
	if err != nil {
		return nil, err
	}
	return one[T](ctx, u.ep, http.MethodPut, u.ep.recordPath(id), body)
}

// Deleter deletes records of one resource.
type Deleter struct{ ep *endpoint }

// Delete removes a record: DELETE /{resource}/{id}.
func (d Deleter) Delete(ctx context.Context, id ID) error {
	if id == "" {
		return invalid("id", "is required")
	}
	_, err := d.ep.client.do(ctx, http.MethodDelete, d.ep.recordPath(id), nil)
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
