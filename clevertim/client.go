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
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// DefaultBaseURL is the public Clevertim API.
const DefaultBaseURL = "https://www.clevertim.com/api"

const (
	defaultTimeout   = 30 * time.Second
	defaultUserAgent = "clevertim-graphql"
	// maxResponseBytes bounds what one answer may make us buffer; a whole
	// account's "get all" stays well under it.
	maxResponseBytes = 256 << 20
	bodyExcerptBytes = 200
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
	authorization string
	keyHash       KeyHash
	retry         RetryPolicy
	sleep         func(context.Context, time.Duration) error
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
	inFlight   int
}

// WithAPIKey sets the key of the user the client acts as.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithBaseURL points the client at another server (the emulator, a proxy).
// A trailing slash is ignored.
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithHTTPClient sets the HTTP client, for its transport and connection pool.
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

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// NewClient builds a client. With no options it targets the public API
// without a key, which only the key-less calls (none, today) would accept.
func NewClient(opts ...Option) (*Client, error) {
	cfg := config{baseURL: DefaultBaseURL, timeout: defaultTimeout, userAgent: defaultUserAgent, retry: DefaultRetryPolicy()}
	for _, o := range opts {
		o(&cfg)
	}
	base := strings.TrimRight(cfg.baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("clevertim: base URL %q must be an absolute http(s) URL", cfg.baseURL)
	}
	// resty sets the timeout (and a missing transport) on the http.Client it
	// is given: it gets a copy, so the caller's stays as it was.
	hc := &http.Client{}
	if cfg.httpClient != nil {
		copied := *cfg.httpClient
		hc = &copied
	}
	rest := resty.NewWithClient(hc).
		SetTimeout(cfg.timeout).
		SetResponseBodyLimit(maxResponseBytes).
		SetHeader("Accept", "application/json")
	if cfg.retry.MaxAttempts < 1 {
		cfg.retry.MaxAttempts = 1
	}
	c := &Client{rest: rest, baseURL: base, userAgent: cfg.userAgent, retry: cfg.retry, sleep: sleepCtx,
		shared: &shared{inFlight: newKeyedSlots[KeyHash](cfg.inFlight), creates: newCreateLedger()}}
	c.setAPIKey(cfg.apiKey)
	c.bindServices()
	return c, nil
}

// WithAPIKey returns a client that acts as another user over the same
// connections.
func (c *Client) WithAPIKey(key string) *Client {
	clone := &Client{rest: c.rest, baseURL: c.baseURL, userAgent: c.userAgent, retry: c.retry, sleep: c.sleep, shared: c.shared}
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
// the last raw answer. The path segments must already be escaped.
func (c *Client) send(ctx context.Context, method, path string, body []byte) (*resty.Response, error) {
	for n := 1; ; n++ {
		resp, err := c.sendOnce(ctx, method, path, body)
		wait, again := c.retryWait(ctx, method, n, resp, err)
		if !again || c.sleep(ctx, wait) != nil {
			return resp, err
		}
	}
}

func (c *Client) sendOnce(ctx context.Context, method, path string, body []byte) (*resty.Response, error) {
	fullURL := c.baseURL + path
	// The slot is taken before the request's timeout starts: waiting for it
	// is not time on the wire, and a request that never got one never left.
	release, err := c.shared.inFlight.acquire(ctx, c.keyHash)
	if err != nil {
		return nil, &Error{Method: method, URL: fullURL, Err: fmt.Errorf("%w: waited for one of the key's upstream connections: %w", ErrNotSent, err)}
	}
	// resty has read the whole answer when Execute returns.
	defer release()
	req := c.rest.R().
		SetContext(ctx).
		SetHeader("Authorization", c.authorization).
		SetHeader("User-Agent", c.userAgent)
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	sent := time.Now()
	resp, err := req.Execute(method, fullURL)
	if err == nil && resp.StatusCode() == http.StatusOK {
		// Only Clevertim's own answers: a gateway's error page has the
		// gateway's clock.
		c.shared.clock.observe(sent, time.Now(), resp.Header())
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller gave up: report that, not a transport failure.
			return nil, fmt.Errorf("clevertim: %s %s: %w", method, fullURL, ctxErr)
		}
		return nil, &Error{Method: method, URL: fullURL, Err: err}
	}
	return resp, nil
}

// do sends one request and returns the envelope's content, or nil for a
// DELETE.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (json.RawMessage, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	return decodeEnvelope(method, c.baseURL+path, resp.StatusCode(), resp.Header(), resp.Body())
}

// records sends one request and decodes the records of its answer. A
// well-formed answer is decoded in one pass; anything else goes through the
// careful path, which says what is wrong.
func records[T any](ctx context.Context, c *Client, method, path string, body []byte) ([]*T, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	raw := resp.Body()
	if resp.StatusCode() == http.StatusOK {
		var env struct {
			Status  string `json:"status"`
			Content *[]*T  `json:"content"`
		}
		if json.Unmarshal(raw, &env) == nil && env.Status == "OK" && env.Content != nil {
			return *env.Content, nil
		}
	}
	fullURL := c.baseURL + path
	content, err := decodeEnvelope(method, fullURL, resp.StatusCode(), resp.Header(), raw)
	if err != nil {
		return nil, err
	}
	return decodeRecords[T](method, fullURL, content)
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

// decodeRecords decodes a content list. A record that does not decode makes
// the whole answer invalid rather than silently dropping it.
func decodeRecords[T any](method, fullURL string, content json.RawMessage) ([]*T, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(content, &items); err != nil {
		return nil, &Error{Method: method, URL: fullURL, StatusCode: http.StatusOK,
			Err: fmt.Errorf("%w: %v", ErrInvalidResponse, err)}
	}
	out := make([]*T, 0, len(items))
	for i, item := range items {
		v := new(T)
		if err := json.Unmarshal(item, v); err != nil {
			return nil, &Error{Method: method, URL: fullURL, StatusCode: http.StatusOK,
				Err: fmt.Errorf("%w: record %d: %v", ErrInvalidResponse, i, err)}
		}
		out = append(out, v)
	}
	return out, nil
}

// IsNotFound is shorthand for errors.Is(err, ErrNotFound).
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
