package clevertim_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
