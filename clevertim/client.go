// Package clevertim is a client for the Clevertim CRM REST API
// (https://www.clevertim.com/api), with one service per resource, typed models and typed errors.
package clevertim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// DefaultBaseURL is the public Clevertim API.
const DefaultBaseURL = "https://www.clevertim.com/api"

const (
	defaultTimeout   = 30 * time.Second
	defaultUserAgent = "clevertim-graphql"
	bodyExcerptBytes = 200
	// drainBytes is how much of an answer left unread is read to keep its
	// connection for the next request; past it, closing is cheaper.
	drainBytes = 64 << 10
)

// Client talks to one Clevertim account as the user whose API key it holds.
// It is safe for concurrent use. Derive clients for other keys with
// WithAPIKey: they share the connection pool but nothing else.
type Client struct {
	rest      *resty.Client
	baseURL   string
	apiKey    string
	userAgent string
	// authorization is the Basic header for apiKey, built once.
	authorization  string
	keyHash        KeyHash
	retry          RetryPolicy
	sleep          func(context.Context, time.Duration) error
	maxRecordBytes int64
	sharer         ReadSharer
	// shared is what the clients derived with WithAPIKey have in common.
	shared *shared

	Contacts      *ContactsService
	Companies     *CompaniesService
	Opportunities *OpportunitiesService
	Cases         *CasesService
	Tasks         *TasksService
	Notes         *NotesService
	Comments      *CommentsService
	CustomFields  *CustomFieldsService
	Users         *UsersService
	Groups        *GroupsService
	Folders       *FoldersService
	Files         *FilesService
	LinkedFiles   *LinkedFilesService
}

// shared is the state a client and the clients derived from it share.
type shared struct {
	stored   asStored
	inFlight *keyedSlots[KeyHash]
	slotWait func(time.Duration)
	clock    serverClock
	creates  *createLedger
}

// KeyHash identifies an API key without holding it, for maps keyed by user.
type KeyHash [sha256.Size]byte

// Option configures a Client.
type Option func(*config)

type config struct {
	baseURL    string
	apiKey     string
	httpClient *http.Client
	timeout    time.Duration
	userAgent  string
	retry      RetryPolicy
	// maxRecordBytes: see WithMaxRecordBytes.
	maxRecordBytes int64
	sharer         ReadSharer
	inFlight       int
	slotWait       func(time.Duration)
}

// WithAPIKey sets the key of the user the client acts as.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithBaseURL points the client at another server (the emulator, a proxy).
// A trailing slash is ignored.
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithHTTPClient sets the HTTP client, for its transport and connection
// pool. Without it the client uses NewTransport's.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithTimeout bounds every request, including reading its answer.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMaxInFlight bounds the requests in flight per API key, across the
// client and those derived from it with WithAPIKey, so that one heavy caller
// cannot take an account's whole rate limit; the others wait their turn. A
// request takes its slot before its timeout starts. One whose context ends
// while it waits was not sent, and its error matches ErrNotSent. 0 means no
// bound.
func WithMaxInFlight(n int) Option { return func(c *config) { c.inFlight = n } }

// WithSlotWait reports how long each request waited for its key's slot
// (see WithMaxInFlight), for metrics.
func WithSlotWait(observe func(time.Duration)) Option {
	return func(c *config) { c.slotWait = observe }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// NewClient builds a client. With no options it targets the public API
// without a key, which only the key-less calls (none, today) would accept.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{baseURL: DefaultBaseURL, timeout: defaultTimeout, userAgent: defaultUserAgent, retry: DefaultRetryPolicy(),
		maxRecordBytes: DefaultMaxRecordBytes}
	for _, o := range opts {
		o(&cfg)
	}
	base := strings.TrimRight(cfg.baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("clevertim: base URL %q must be an absolute http(s) URL", cfg.baseURL)
	}
	// resty sets the timeout on the http.Client it is given: it gets a
	// copy, so the caller's stays as it was.
	hc := &http.Client{Transport: NewTransport()}
	if cfg.httpClient != nil {
		copied := *cfg.httpClient
		hc = &copied
	}
	// Answers are read by decodeAnswer as they arrive, not buffered by resty.
	rest := resty.NewWithClient(hc).
		SetTimeout(cfg.timeout).
		SetDoNotParseResponse(true).
		SetHeader("Accept", "application/json")
	if cfg.retry.MaxAttempts < 1 {
		cfg.retry.MaxAttempts = 1
	}
	if cfg.maxRecordBytes <= 0 {
		cfg.maxRecordBytes = DefaultMaxRecordBytes
	}
	c := &Client{rest: rest, baseURL: base, userAgent: cfg.userAgent, retry: cfg.retry, sleep: sleepCtx,
		maxRecordBytes: cfg.maxRecordBytes, sharer: cfg.sharer,
		shared: &shared{inFlight: newKeyedSlots[KeyHash](cfg.inFlight), slotWait: cfg.slotWait, creates: newCreateLedger()}}
	c.setAPIKey(cfg.apiKey)
	c.bindServices()
	return c, nil
}

// WithAPIKey returns a client that acts as another user over the same
// connections.
func (c *Client) WithAPIKey(key string) *Client {
	clone := &Client{rest: c.rest, baseURL: c.baseURL, userAgent: c.userAgent, retry: c.retry, sleep: c.sleep,
		maxRecordBytes: c.maxRecordBytes, sharer: c.sharer, shared: c.shared}
	clone.setAPIKey(key)
	clone.bindServices()
	return clone
}

// setAPIKey builds Clevertim's Basic credentials: the key as user name, "X"
// as password.
func (c *Client) setAPIKey(key string) {
	c.apiKey = key
	c.authorization = "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":X"))
	c.keyHash = sha256.Sum256([]byte(key))
}

// KeyHash identifies the client's API key without revealing it.
func (c *Client) KeyHash() KeyHash { return c.keyHash }

// APIKey is the key of the user the client acts as.
func (c *Client) APIKey() string { return c.apiKey }

// BaseURL is the API root the client sends to, without a trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

func (c *Client) bindServices() {
	ep := func(resource string, readOnly ...string) *endpoint {
		return &endpoint{client: c, resource: resource, readOnly: readOnly}
	}
	customer := []string{"notes", "opportunities", "tasks", "cases", "files", "lfiles", "lc", "cphoto", "is_company"}
	c.Contacts = &ContactsService{newCRUD[Contact](ep("contact", customer...))}
	c.Companies = &CompaniesService{newCRUD[Company](ep("company", customer...))}
	c.Opportunities = &OpportunitiesService{newCRUD[Opportunity](ep("opportunity", "tasks", "notes", "files", "lfiles", "userId"))}
	c.Cases = &CasesService{newCRUD[Case](ep("case", "tasks", "notes", "files", "lfiles", "userId"))}
	c.Tasks = &TasksService{newCRUD[Task](ep("task", "userId", "comments"))}
	c.Notes = &NotesService{newCRUD[Note](ep("note", "comments", "files", "lfiles", "userId", "is_deleted", "hl", "delvry", "email"))}
	comments := ep("comment", "userId")
	c.Comments = &CommentsService{Reader[Comment]{comments}, Creator[Comment]{comments}, Deleter{comments}}
	c.CustomFields = &CustomFieldsService{newCRUD[CustomField](ep("customfield"))}
	c.Users = &UsersService{Reader[User]{ep("user")}}
	c.Groups = &GroupsService{Reader[Group]{ep("group")}}
	c.Folders = &FoldersService{newCRUD[Folder](ep("folder", "is_dir"))}
	c.Files = &FilesService{newCRUD[File](ep("file"))}
	c.LinkedFiles = &LinkedFilesService{newCRUD[LinkedFile](ep("linkedfile", "sys"))}
}

// PhotoURL is where a contact's or company's photo is served, built as the
// official client does: the base URL without its trailing /api, then
// /getcphoto/{id}/{file}. It is empty when the record has no photo.
func (c *Client) PhotoURL(id ID, photoFile string) string {
	if photoFile == "" || id == "" {
		return ""
	}
	root := strings.TrimSuffix(c.baseURL, "/api")
	return root + "/getcphoto/" + url.PathEscape(string(id)) + "/" + url.PathEscape(photoFile)
}

// envelope is every answer's wrapper.
type envelope struct {
	Status  string          `json:"status"`
	Content json.RawMessage `json:"content"`
	Error   string          `json:"error"`
}

// send sends a request, trying again as the retry policy allows, and returns
// the last answer, its body unread: the caller reads and closes it. The path
// segments must already be escaped.
func (c *Client) send(ctx context.Context, method, path string, body []byte) (*resty.Response, error) {
	for n := 1; ; n++ {
		resp, err := c.sendOnce(ctx, method, path, body)
		wait, again := c.retryWait(ctx, method, n, resp, err)
		if !again {
			return resp, err
		}
		settle(resp)
		if c.sleep(ctx, wait) != nil {
			return resp, err
		}
	}
}

// settle reads the start of an answer about to be tried again (a 503, say)
// and closes it, so that its connection and its place among the key's
// requests in flight are free while we wait; what was read stays readable.
func settle(resp *resty.Response) {
	if resp == nil || resp.RawResponse == nil {
		return
	}
	body := resp.RawResponse.Body
	start, _ := io.ReadAll(io.LimitReader(body, drainBytes))
	_ = body.Close()
	resp.RawResponse.Body = io.NopCloser(bytes.NewReader(start))
}

func (c *Client) sendOnce(ctx context.Context, method, path string, body []byte) (*resty.Response, error) {
	fullURL := c.baseURL + path
	// The slot is taken before the request's timeout starts: waiting for it
	// is not time on the wire, and a request that never got one never left.
	waitFrom := time.Now()
	release, err := c.shared.inFlight.acquire(ctx, c.keyHash)
	if c.shared.slotWait != nil {
		c.shared.slotWait(time.Since(waitFrom))
	}
	if err != nil {
		return nil, &Error{Method: method, URL: fullURL, Err: fmt.Errorf("%w: waited for one of the key's upstream connections: %w", ErrNotSent, err)}
	}
	req := c.rest.R().
		SetContext(ctx).
		SetHeader("Authorization", c.authorization).
		SetHeader("User-Agent", c.userAgent)
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	if method != http.MethodGet && c.sharer != nil {
		// Whatever its outcome, the write is over once its answer (or the
		// lack of one) is in: reads from now on must see it.
		defer c.sharer.Wrote()
	}
	sent := time.Now()
	resp, err := req.Execute(method, fullURL)
	if err == nil && resp.StatusCode() == http.StatusOK {
		// Only Clevertim's own answers: a gateway's error page has the
		// gateway's clock.
		c.shared.clock.observe(sent, time.Now(), resp.Header())
	}
	if err != nil {
		if resp != nil {
			discard(resp.RawBody())
		}
		release()
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller gave up: report that, not a transport failure.
			return nil, fmt.Errorf("clevertim: %s %s: %w", method, fullURL, ctxErr)
		}
		return nil, &Error{Method: method, URL: fullURL, Err: err}
	}
	// The answer is decoded as it arrives, after this returns: the key's
	// slot is held until its body is closed.
	resp.RawResponse.Body = &releasingBody{ReadCloser: resp.RawResponse.Body, release: release}
	return resp, nil
}

// releasingBody frees a key's upstream slot when its answer is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
	once    sync.Once
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.release)
	return err
}

// discard reads a little of what is left of a body, so that its connection
// can serve the next request, and closes it.
func discard(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, body, drainBytes)
	_ = body.Close()
}

// do sends one request and returns the envelope's content, or nil for a
// DELETE.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (json.RawMessage, error) {
	recs, err := fetch[json.RawMessage](ctx, c, method, path, body)
	if err != nil || method == http.MethodDelete {
		return nil, err
	}
	content := []byte{'['}
	for i, r := range recs {
		if i > 0 {
			content = append(content, ',')
		}
		content = append(content, *r...)
	}
	return append(content, ']'), nil
}

// records sends one request and decodes the records of its answer. GETs go
// through the read sharer, when there is one.
func records[T any](ctx context.Context, c *Client, method, path string, body []byte) ([]*T, error) {
	if method != http.MethodGet || c.sharer == nil {
		return fetch[T](ctx, c, method, path, body)
	}
	if !isCollection(path) {
		// Callers change the record Get returns (an update reads, changes,
		// sends back): each decodes its own from the shared bytes.
		raws, err := sharedGet[json.RawMessage](ctx, c, path)
		if err != nil {
			return nil, err
		}
		out := make([]*T, len(raws))
		for i, raw := range raws {
			out[i] = new(T)
			if err := json.Unmarshal(*raw, out[i]); err != nil {
				return nil, &Error{Method: method, URL: c.baseURL + path, StatusCode: http.StatusOK,
					Err: fmt.Errorf("%w: record %d: %v", ErrInvalidResponse, i, err)}
			}
		}
		return out, nil
	}
	recs, err := sharedGet[T](ctx, c, path)
	// The records are shared (see WithReadSharing); the list is the caller's.
	return slices.Clone(recs), err
}

// sharedGet is a GET that concurrent callers with the same key share.
func sharedGet[T any](ctx context.Context, c *Client, path string) ([]*T, error) {
	key := string(c.keyHash[:]) + " GET " + path
	v, err := c.sharer.Share(ctx, key, func(ctx context.Context) (any, error) {
		return fetch[T](ctx, c, http.MethodGet, path, nil)
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("clevertim: GET %s: %w", c.baseURL+path, err)
		}
		return nil, err
	}
	recs, _ := v.([]*T)
	return recs, nil
}

// isCollection tells a collection's path (/contact) from a record's
// (/contact/12).
func isCollection(path string) bool { return strings.Count(path, "/") == 1 }

// fetch sends one request and decodes its answer as it arrives. Only a
// collection has no size limit: an answer that should hold one record is
// bounded as a whole.
func fetch[T any](ctx context.Context, c *Client, method, path string, body []byte) ([]*T, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	raw := resp.RawBody()
	defer discard(raw)
	return decodeAnswer[T](answer{method: method, url: c.baseURL + path, status: resp.StatusCode(), header: resp.Header(), body: raw},
		c.maxRecordBytes, method != http.MethodGet || !isCollection(path))
}

func decodeEnvelope(method, fullURL string, status int, header http.Header, raw []byte) (json.RawMessage, error) {
	fail := &Error{Method: method, URL: fullURL, StatusCode: status}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		fail.Body = excerpt(raw)
		if status == http.StatusOK {
			fail.Err = fmt.Errorf("%w: body is not the JSON envelope: %v", ErrInvalidResponse, err)
		}
		fail.RetryAfter = retryAfter(header)
		return nil, fail
	}
	if status != http.StatusOK || env.Status != "OK" {
		fail.Message = env.Error
		if env.Status != "ERROR" && status == http.StatusOK {
			fail.Err = fmt.Errorf("%w: status %q", ErrInvalidResponse, env.Status)
		}
		fail.RetryAfter = retryAfter(header)
		return nil, fail
	}
	if method == http.MethodDelete {
		return nil, nil
	}
	content := bytes.TrimSpace(env.Content)
	if len(content) == 0 || content[0] != '[' {
		fail.Err = fmt.Errorf("%w: content is missing or not a list", ErrInvalidResponse)
		return nil, fail
	}
	return content, nil
}

func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func excerpt(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > bodyExcerptBytes {
		s = s[:bodyExcerptBytes] + "…"
	}
	return s
}

// IsNotFound is shorthand for errors.Is(err, ErrNotFound).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
