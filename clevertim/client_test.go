package clevertim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
)

// setup starts the emulator over real HTTP and returns a client for the
// owner. The emulator only answers under /api, so a client that drops the
// base path fails loudly.
func setup(t *testing.T, opts ...emulator.Option) (*clevertim.Client, *emulator.Emulator) {
	t.Helper()
	emu, err := emulator.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	c, err := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api/"), clevertim.WithAPIKey(emulator.OwnerKey))
	if err != nil {
		t.Fatal(err)
	}
	return c, emu
}

// canned serves fixed answers, for upstream behaviour the emulator does not
// have: answers that break the contract.
func canned(t *testing.T, status int, body string, check func(*http.Request)) *clevertim.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if check != nil {
			check(r)
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	// One attempt: these tests look at how a single answer is read.
	c, err := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithAPIKey("k"),
		clevertim.WithRetryPolicy(clevertim.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewClient_BaseURL(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "www.clevertim.com/api", "ftp://x/api", "http://"} {
		if _, err := clevertim.NewClient(clevertim.WithBaseURL(bad)); err == nil {
			t.Errorf("base URL %q accepted", bad)
		}
	}
	c, err := clevertim.NewClient()
	if err != nil || c.BaseURL() != clevertim.DefaultBaseURL {
		t.Errorf("default base URL: %q, %v", c.BaseURL(), err)
	}
	c, _ = clevertim.NewClient(clevertim.WithBaseURL("https://proxy.example/api//"))
	if c.BaseURL() != "https://proxy.example/api" {
		t.Errorf("trailing slashes kept: %q", c.BaseURL())
	}
}

func TestClient_RequestShape(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body []byte
	c := canned(t, 200, `{"status":"OK","content":[{"id":7,"fn":"A"}]}`, func(r *http.Request) {
		got = r
		body, _ = io.ReadAll(r.Body)
	})
	c = c.WithAPIKey("my-key")
	if _, err := c.Contacts.Get(context.Background(), "a b/c"); err != nil {
		t.Fatal(err)
	}
	user, pass, ok := got.BasicAuth()
	if !ok || user != "my-key" || pass != "X" {
		t.Errorf("auth = %q %q %v, want my-key X", user, pass, ok)
	}
	if got.Header.Get("Accept") != "application/json" || got.Header.Get("User-Agent") == "" {
		t.Errorf("headers %v", got.Header)
	}
	if got.URL.EscapedPath() != "/api/contact/a%20b%2Fc" {
		t.Errorf("path %q: segments must be escaped", got.URL.EscapedPath())
	}

	// A write carries JSON without the fields the server keeps.
	lc := time.Now()
	ct := clevertim.CustomerTypeLead
	in := &clevertim.Contact{FirstName: "A", CompanyID: ptr(clevertim.ID("12"))}
	in.ID, in.NoteIDs, in.LastContacted, in.CustomerType, in.PhotoFile = "99", clevertim.IDList{"1"}, &lc, &ct, "p.png"
	if _, err := c.Contacts.Update(context.Background(), "7", in); err != nil {
		t.Fatal(err)
	}
	if got.Method != "PUT" || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("%s with %q", got.Method, got.Header.Get("Content-Type"))
	}
	var sent map[string]any
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []string{"id", "ao", "lm", "notes", "tasks", "cases", "opportunities", "files", "lfiles", "lc", "cphoto"} {
		if _, ok := sent[ro]; ok {
			t.Errorf("read-only %q sent", ro)
		}
	}
	if sent["companyId"] != 12.0 || sent["ctype"] != "L" || sent["fn"] != "A" {
		t.Errorf("sent %v: ids go as numbers, codes as codes", sent)
	}
	for _, f := range []string{"email", "phones", "tags", "cf", "title"} {
		if _, ok := sent[f]; !ok {
			t.Errorf("writable %q not sent: an update sends the whole record", f)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestClient_Errors(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx := context.Background()
	readonly := c.WithAPIKey("demo-readonly-key")
	editor := c.WithAPIKey("demo-editor-key")
	contacts, err := c.Contacts.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	some := contacts[0].ID
	note, _ := c.Notes.List(ctx)

	cases := []struct {
		name    string
		call    func() error
		want    error
		status  int
		message string
	}{
		{"unknown key", func() error { _, err := c.WithAPIKey("nope").Contacts.List(ctx); return err }, clevertim.ErrUnauthorized, 401, "API key"},
		{"not found", func() error { _, err := c.Contacts.Get(ctx, "424242"); return err }, clevertim.ErrNotFound, 404, "not found"},
		{"forbidden create", func() error {
			_, err := readonly.Contacts.Create(ctx, &clevertim.Contact{FirstName: "x"})
			return err
		}, clevertim.ErrForbidden, 403, "permission"},
		{"forbidden delete", func() error { return editor.Contacts.Delete(ctx, some) }, clevertim.ErrForbidden, 403, "permission"},
		{"bad request", func() error {
			_, err := c.Comments.Create(ctx, &clevertim.Comment{Text: "x", NoteID: ptr(clevertim.ID("424242"))})
			return err
		}, clevertim.ErrBadRequest, 400, "does not exist"},
		{"server-side validation", func() error {
			_, err := c.Contacts.Create(ctx, &clevertim.Contact{FirstName: "x",
				Customer: clevertim.Customer{CustomFields: clevertim.CustomFieldValues{"777777": {Values: []string{"v"}}}}})
			return err
		}, clevertim.ErrBadRequest, 400, "custom field"},
		{"comment on a note", func() error {
			_, err := c.Comments.Create(ctx, &clevertim.Comment{Text: "ok", NoteID: &note[0].ID})
			return err
		}, nil, 0, ""},
	}
	for _, tc := range cases {
		err := tc.call()
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var apiErr *clevertim.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &apiErr) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
			continue
		}
		if apiErr.StatusCode != tc.status || !strings.Contains(apiErr.Message, tc.message) {
			t.Errorf("%s: status %d message %q, want %d mentioning %q", tc.name, apiErr.StatusCode, apiErr.Message, tc.status, tc.message)
		}
		if strings.Contains(err.Error(), emulator.OwnerKey) || strings.Contains(err.Error(), "demo-") {
			t.Errorf("%s: error text leaks a key: %v", tc.name, err)
		}
	}
}

func TestClient_InvalidResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"html error page", 502, "<html><body>Bad gateway</body></html>", clevertim.ErrUnavailable},
		{"html with 200", 200, "<html>maintenance</html>", clevertim.ErrInvalidResponse},
		{"truncated json", 200, `{"status":"OK","content":[{"id":1,`, clevertim.ErrInvalidResponse},
		{"content missing", 200, `{"status":"OK"}`, clevertim.ErrInvalidResponse},
		{"content not a list", 200, `{"status":"OK","content":{"id":1}}`, clevertim.ErrInvalidResponse},
		{"id of the wrong type", 200, `{"status":"OK","content":[{"id":{"x":1}}]}`, clevertim.ErrInvalidResponse},
		{"error envelope with 200", 200, `{"status":"ERROR","error":"no"}`, clevertim.ErrBadRequest},
		{"odd status", 200, `{"status":"MAYBE","content":[]}`, clevertim.ErrInvalidResponse},
		{"two records for one", 200, `{"status":"OK","content":[{"id":1},{"id":2}]}`, clevertim.ErrInvalidResponse},
		{"rate limited", 429, `{"status":"ERROR","error":"slow down"}`, clevertim.ErrRateLimited},
		{"unavailable", 503, `{"status":"ERROR","error":"down"}`, clevertim.ErrUnavailable},
		{"not supported", 501, `{"status":"ERROR","error":"no"}`, clevertim.ErrNotSupported},
		{"not json", 500, `{"status":"ERROR","error":"the request body is not valid JSON"}`, clevertim.ErrRequestUnreadable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := canned(t, tc.status, tc.body, nil)
			_, err := c.Contacts.Get(context.Background(), "1")
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			var apiErr *clevertim.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status {
				t.Fatalf("got %#v", err)
			}
			if tc.status == 429 || tc.status == 503 {
				if apiErr.RetryAfter != 7*time.Second {
					t.Errorf("Retry-After: %v", apiErr.RetryAfter)
				}
			}
		})
	}
}

func TestClient_TransportFailures(t *testing.T) {
	t.Parallel()
	c, emu := setup(t)
	c = fastRetries(c)
	emu.SetFaultRate(1)
	for range 10 {
		_, err := c.Users.List(context.Background())
		if !errors.Is(err, clevertim.ErrUnavailable) {
			t.Fatalf("with every request failing: %v", err)
		}
	}
	emu.SetFaultRate(0)

	// A server that is gone.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	gone, _ := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithRetryPolicy(clevertim.RetryPolicy{MaxAttempts: 2}))
	if _, err := gone.Users.List(context.Background()); !errors.Is(err, clevertim.ErrUnavailable) {
		t.Errorf("closed server: %v", err)
	}

	// The caller's deadline is the caller's error, not the upstream's.
	slow, slowEmu := setup(t, emulator.WithLatency(time.Second))
	_ = slowEmu
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := slow.Users.List(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	timeoutClient, _ := clevertim.NewClient(clevertim.WithBaseURL(slow.BaseURL()), clevertim.WithTimeout(20*time.Millisecond),
		clevertim.WithAPIKey(emulator.OwnerKey))
	if _, err := timeoutClient.Users.List(context.Background()); !errors.Is(err, clevertim.ErrUnavailable) {
		t.Errorf("client timeout: %v", err)
	}
}

func TestClient_PhotoURL(t *testing.T) {
	t.Parallel()
	c, _ := clevertim.NewClient()
	if got := c.PhotoURL("12", "me.jpg"); got != "https://www.clevertim.com/getcphoto/12/me.jpg" {
		t.Errorf("photo URL %q", got)
	}
	if got := c.PhotoURL("12", ""); got != "" {
		t.Errorf("no photo: %q", got)
	}
	p, _ := clevertim.NewClient(clevertim.WithBaseURL("http://127.0.0.1:9/api/"))
	if got := p.PhotoURL("5", "a b.png"); got != "http://127.0.0.1:9/getcphoto/5/a%20b.png" {
		t.Errorf("photo URL %q", got)
	}
}

// TestClient_MaxInFlightPerKey: each key has its own slots, shared by the
// clients derived for it, and an idle key is forgotten.
func TestClient_MaxInFlightPerKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	inFlight, most := map[string]int{}, map[string]int{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Authorization")
		mu.Lock()
		inFlight[key]++
		most[key] = max(most[key], inFlight[key])
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight[key]--
		mu.Unlock()
		io.WriteString(w, `{"status":"OK","content":[]}`)
	}))
	defer srv.Close()
	root, err := clevertim.NewClient(clevertim.WithBaseURL(srv.URL), clevertim.WithMaxInFlight(2))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		c := root.WithAPIKey([]string{"a", "b"}[i%2]) // a client per request, as the facade does
		wg.Go(func() {
			if _, err := c.Users.List(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	// Let requests pile up, then let them through.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		both := len(inFlight) == 2
		for _, n := range inFlight {
			both = both && n == 2
		}
		mu.Unlock()
		if both {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if len(most) != 2 {
		t.Fatalf("keys seen: %v", most)
	}
	for k, n := range most {
		if n != 2 {
			t.Errorf("%s: at most %d in flight, want 2", k, n)
		}
	}
	if n := clevertim.InFlightKeys(root); n != 0 {
		t.Errorf("%d idle keys kept", n)
	}
}

// TestNewClient_LeavesTheHTTPClientAlone: the timeout is the client's own;
// the caller's http.Client, maybe shared with other code, is not changed.
func TestNewClient_LeavesTheHTTPClientAlone(t *testing.T) {
	t.Parallel()
	hc := &http.Client{}
	if _, err := clevertim.NewClient(clevertim.WithHTTPClient(hc), clevertim.WithTimeout(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if hc.Timeout != 0 || hc.Transport != nil {
		t.Errorf("the caller's http.Client was changed: timeout %v, transport %v", hc.Timeout, hc.Transport)
	}
}
