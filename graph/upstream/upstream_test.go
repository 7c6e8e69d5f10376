package upstream

import (
	"context"
	"errors"
	"io"
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

// Requests made under a reservation spend it; the others may spend only
// what no reservation holds, and what a reservation did not spend returns
// to them once released.
func TestTracker_Reserve(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tr := NewTracker(10)
	ctx := WithTracker(context.Background(), tr)
	client := &http.Client{Transport: &Transport{}}
	send := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if _, _, ok := Reserve(ctx, 8, 3); ok {
		t.Fatal("reserved 8 with 3 to keep out of 10")
	}
	batch, release, ok := Reserve(ctx, 6, 2)
	if !ok {
		t.Fatal("6 of 10 refused")
	}
	for range 4 {
		if err := send(ctx); err != nil {
			t.Fatalf("outside the reservation: %v", err)
		}
	}
	if err := send(ctx); err == nil {
		t.Error("a request outside the reservation spent the reserved budget")
	}
	for range 5 {
		if err := send(batch); err != nil {
			t.Fatalf("under the reservation: %v", err)
		}
	}
	release() // one of six unspent
	if err := send(ctx); err != nil {
		t.Errorf("the unspent reservation was not given back: %v", err)
	}
	if err := send(batch); err == nil {
		t.Error("sent past the budget")
	}
	if s := tr.Summary(); s.Requests != 10 {
		t.Errorf("%d requests, want 10", s.Requests)
	}
}

// The link learns the round trip from small answers and the throughput
// from large ones; a fixed link learns nothing.
func TestLink_Learns(t *testing.T) {
	t.Parallel()
	l := NewLink(LinkModel{})
	if l.Model() != DefaultLinkModel() {
		t.Fatalf("prior %+v", l.Model())
	}
	for range 50 {
		l.Observe(20*time.Millisecond, 500)
	}
	if rtt := l.Model().RTT; rtt < 19*time.Millisecond || rtt > 21*time.Millisecond {
		t.Errorf("round trip %v, want 20 ms", rtt)
	}
	l.Observe(2*time.Second, 500) // one request stuck behind a busy machine
	if rtt := l.Model().RTT; rtt > 21*time.Millisecond {
		t.Errorf("one slow request moved the round trip to %v", rtt)
	}
	for range 50 {
		l.Observe(20*time.Millisecond+time.Second, 30<<20) // 30 MB in a second after the round trip
	}
	if rate := l.Model().BytesPerSecond; rate < 29<<20 || rate > 31<<20 {
		t.Errorf("throughput %.1f MB/s, want 30", rate/(1<<20))
	}
	// The first large answer came during a pause: the prior stands.
	slow := NewLink(LinkModel{})
	slow.Observe(600*time.Millisecond, 600<<10)
	if rate := slow.Model().BytesPerSecond; rate != DefaultLinkModel().BytesPerSecond {
		t.Errorf("one slow answer set the throughput to %.2f MB/s", rate/(1<<20))
	}
	fixed := FixedLink(LinkModel{RTT: time.Millisecond, BytesPerSecond: 1})
	fixed.Observe(time.Second, 10)
	if m := fixed.Model(); m.RTT != time.Millisecond || m.BytesPerSecond != 1 {
		t.Errorf("a fixed link moved: %+v", m)
	}
}

// The transport times each answer for its link, once it has been read.
func TestTransport_FeedsTheLink(t *testing.T) {
	t.Parallel()
	big := make([]byte, largeAnswer)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write(big)
		}
	}))
	defer srv.Close()
	l := NewLink(LinkModel{RTT: time.Hour, BytesPerSecond: 1})
	client := &http.Client{Transport: &Transport{Link: l}}
	for i := range 2 * rttWindow {
		path := "/small"
		if i%2 == 1 {
			path = "/big"
		}
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if m := l.Model(); m.RTT >= time.Hour || m.BytesPerSecond <= 1 {
		t.Errorf("the link learned nothing: %+v", m)
	}
}

// One record by id costs what its collection would, so a nearly spent
// budget does not turn contact(id:) into a read of every contact.
func TestTracker_ReserveOneNeedsNoHeadroom(t *testing.T) {
	t.Parallel()
	ctx := WithTracker(context.Background(), NewTracker(8))
	if _, release, ok := Reserve(ctx, 1, 8); !ok {
		t.Error("one request refused out of 8 for want of headroom")
	} else {
		release()
	}
	if _, _, ok := Reserve(ctx, 2, 7); ok {
		t.Error("two requests reserved with 7 to keep out of 8")
	}
}
