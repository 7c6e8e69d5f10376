package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	at := func(start, end int) span {
		base := time.Unix(0, 0)
		return span{start: base.Add(time.Duration(start) * time.Millisecond), end: base.Add(time.Duration(end) * time.Millisecond)}
	}
	sharedAt := func(start, end int) span { s := at(start, end); s.shared = true; return s }
	cases := []struct {
		name  string
		spans []span
		want  Summary
	}{
		{"none", nil, Summary{0, 0, 0}},
		{"one", []span{at(0, 10)}, Summary{1, 1, 0}},
		{"parallel", []span{at(0, 10), at(1, 12), at(2, 9)}, Summary{3, 1, 0}},
		{"chain", []span{at(0, 10), at(11, 20), at(21, 30)}, Summary{3, 3, 0}},
		{"two levels, second batch parallel", []span{at(0, 10), at(11, 20), at(11, 22), at(12, 21)}, Summary{4, 2, 0}},
		// Only requests that ended before another started can have fed it.
		{"staggered", []span{at(0, 10), at(5, 15), at(12, 20), at(16, 25)}, Summary{4, 2, 0}},
		{"staggered chain", []span{at(0, 10), at(5, 15), at(12, 20), at(21, 25)}, Summary{4, 3, 0}},
		// A shared read is a round trip waited for, not a request sent.
		{"shared then sent", []span{sharedAt(0, 10), at(11, 20)}, Summary{1, 2, 1}},
	}
	for _, c := range cases {
		if got := summarize(c.spans); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestTracker_Budget(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tr := NewTracker(3)
	ctx := WithTracker(context.Background(), tr)
	client := &http.Client{Transport: &Transport{}}
	refused := 0
	for range 5 {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		resp, err := client.Do(req)
		var be *BudgetError
		if errors.As(err, &be) && be.Refused() {
			refused++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if s := tr.Summary(); s.Requests != 3 || refused != 2 {
		t.Errorf("%+v, %d refused", s, refused)
	}
}
