package clevertim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// A collection is bounded record by record, not as a whole; an answer that
// should hold one record is bounded as a whole.
func TestClient_RecordLimit(t *testing.T) {
	t.Parallel()
	const limit = 1024
	record := func(id, size int) string {
		return fmt.Sprintf(`{"id":%d,"fn":%q}`, id, strings.Repeat("x", size))
	}
	var many []string
	for i := range 1000 {
		many = append(many, record(i+1, 100))
	}
	bodies := map[string]string{
		"/api/contact":   `{"status":"OK","content":[` + strings.Join(many, ",") + `]}`,
		"/api/company":   `{"status":"OK","content":[` + record(1, 10) + "," + record(2, 2*limit) + `]}`,
		"/api/contact/1": `{"status":"OK","content":[` + record(1, 2*limit) + `]}`,
		// Each record is small, the answer is not.
		"/api/contact/2": `{"status":"OK","content":[` + strings.Join(many[:10], ",") + `]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(bodies[r.URL.Path]))
	}))
	t.Cleanup(srv.Close)
	c, err := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithMaxRecordBytes(limit),
		clevertim.WithRetryPolicy(clevertim.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	recs, err := c.Contacts.List(ctx)
	if err != nil || len(recs) != 1000 || recs[999].ID != "1000" {
		t.Fatalf("a collection %d times the record limit: %d records, %v", len(bodies["/api/contact"])/limit, len(recs), err)
	}
	for name, call := range map[string]func() error{
		"a record over the limit in a collection": func() error { _, err := c.Companies.List(ctx); return err },
		"a record over the limit":                 func() error { _, err := c.Contacts.Get(ctx, "1"); return err },
		"a one-record answer over the limit":      func() error { _, err := c.Contacts.Get(ctx, "2"); return err },
	} {
		err := call()
		var apiErr *clevertim.Error
		if !errors.Is(err, clevertim.ErrInvalidResponse) || !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// openBodies counts the answers whose body is not closed yet.
type openBodies struct {
	open atomic.Int32
}

func (o *openBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil {
		o.open.Add(1)
		resp.Body = &closeCounter{ReadCloser: resp.Body, o: o}
	}
	return resp, err
}

type closeCounter struct {
	io.ReadCloser
	o    *openBodies
	once sync.Once
}

func (c *closeCounter) Close() error {
	c.once.Do(func() { c.o.open.Add(-1) })
	return c.ReadCloser.Close()
}

// While a read waits to be tried again, the answer it got is closed (its
// connection, and its place among the key's requests in flight, are free),
// and Clevertim's message is still reported at the end.
func TestClient_RetryWaitHoldsNoAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"ERROR","error":"down for maintenance"}`))
	}))
	t.Cleanup(srv.Close)
	bodies := &openBodies{}
	c, err := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithHTTPClient(&http.Client{Transport: bodies}),
		clevertim.WithRetryPolicy(clevertim.RetryPolicy{MaxAttempts: 3}))
	if err != nil {
		t.Fatal(err)
	}
	waits := 0
	clevertim.SetSleep(c, func(ctx context.Context, _ time.Duration) error {
		waits++
		if n := bodies.open.Load(); n != 0 {
			t.Errorf("wait %d: %d answers still open", waits, n)
		}
		return ctx.Err()
	})
	_, err = c.Users.List(context.Background())
	var apiErr *clevertim.Error
	if !errors.As(err, &apiErr) || apiErr.Message != "down for maintenance" || waits != 2 {
		t.Errorf("after %d waits: %v", waits, err)
	}
	if n := bodies.open.Load(); n != 0 {
		t.Errorf("%d answers left open", n)
	}
}
