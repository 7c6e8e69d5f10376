// Package upstream measures what one GraphQL operation asks of Clevertim:
// how many HTTP requests it sent and in how many sequential rounds.
package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Tracker records the upstream requests of one operation. It is safe for
// concurrent use.
type Tracker struct {
	mu     sync.Mutex
	spans  []span
	sent   int
	budget int // most requests allowed; 0 for no limit
	// reserved are requests of the budget set aside for batches by id
	// (Reserve) and not yet sent.
	reserved int
	now      func() time.Time
}

// span is a request's time on the wire, or a shared read's wait.
type span struct {
	start, end time.Time
	shared     bool
}

// NewTracker returns an empty tracker. A positive budget is the most
// requests the operation may send: those past it are refused with a
// *BudgetError, so one query cannot fan out into thousands of calls.
func NewTracker(budget int) *Tracker { return &Tracker{now: time.Now, budget: budget} }

// BudgetError is a request refused because the operation spent its budget.
type BudgetError struct{ Budget int }

func (e *BudgetError) Error() string {
	return fmt.Sprintf("the operation used its budget of %d upstream requests", e.Budget)
}

// Refused tells the Clevertim client that the request never left and that
// trying again is pointless.
func (e *BudgetError) Refused() bool { return true }

// admit counts a request about to be sent, or refuses it. A request made
// under a reservation of this tracker spends it; any other one may spend
// only what no reservation holds.
func (t *Tracker) admit(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, _ := ctx.Value(reservationKey{}).(*reservation); r != nil && r.t == t && r.left > 0 {
		r.left--
		t.reserved--
		t.sent++
		return nil
	}
	if t.budget > 0 && t.sent+t.reserved >= t.budget {
		return &BudgetError{Budget: t.budget}
	}
	t.sent++
	return nil
}

// reservation is a part of a tracker's budget set aside for the requests
// made with one context.
type reservation struct {
	t    *Tracker
	left int // guarded by t.mu
}

type reservationKey struct{}

// Reserve sets n requests of the context's operation budget aside for the
// requests made with the returned context, if the budget leaves them and
// keep more besides; release gives back what was not spent. Without a
// tracker or a budget, it always succeeds. A batch of GETs by id reserves
// before it starts, so that the levels running in parallel cannot together
// spend more than the budget, and each can read its collection instead when
// the budget does not leave enough.
func Reserve(ctx context.Context, n, keep int) (_ context.Context, release func(), ok bool) {
	t := FromContext(ctx)
	if t == nil || n <= 0 {
		return ctx, func() {}, true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.budget <= 0 {
		return ctx, func() {}, true
	}
	// One record by id costs what its collection would: the headroom only
	// matters when the ids cost more requests than the collection's one.
	if n == 1 {
		keep = 0
	}
	if t.sent+t.reserved+n+keep > t.budget {
		return ctx, func() {}, false
	}
	t.reserved += n
	r := &reservation{t: t, left: n}
	return context.WithValue(ctx, reservationKey{}, r), func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.reserved -= r.left
		r.left = 0
	}, true
}

type trackerKey struct{}

// WithTracker returns a context whose upstream requests t records.
func WithTracker(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

// FromContext returns the context's tracker, or nil.
func FromContext(ctx context.Context) *Tracker {
	t, _ := ctx.Value(trackerKey{}).(*Tracker)
	return t
}

func (t *Tracker) begin() func() {
	start := t.now()
	return func() {
		end := t.now()
		t.mu.Lock()
		t.spans = append(t.spans, span{start: start, end: end})
		t.mu.Unlock()
	}
}

// Summary is what an operation cost upstream.
type Summary struct {
	// Requests is the number of HTTP requests sent to Clevertim.
	Requests int `json:"requests"`
	// Rounds is the length of the longest chain of requests each of which
	// started after the previous one had finished: the round trips a client
	// had to wait for one after the other. Shared reads count as round trips.
	Rounds int `json:"rounds"`
	// Shared is the number of reads answered by a request another operation
	// had in flight (see Flights): waited for, not sent, not in Requests.
	Shared int `json:"shared"`
}

// Summary computes the figures so far.
func (t *Tracker) Summary() Summary {
	t.mu.Lock()
	spans := slices.Clone(t.spans)
	t.mu.Unlock()
	return summarize(spans)
}

// summarize gives each request the round 1 + the highest round of the
// requests that ended before it started.
func summarize(spans []span) Summary {
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	byEnd := slices.Clone(spans)
	slices.SortFunc(byEnd, func(a, b span) int { return a.end.Compare(b.end) })
	rounds := make(map[span]int, len(spans))
	best, j, maxRound := 0, 0, 0
	for _, s := range spans {
		// Every request that ended before s started could have fed it.
		for j < len(byEnd) && !byEnd[j].end.After(s.start) {
			best = max(best, rounds[byEnd[j]])
			j++
		}
		rounds[s] = best + 1
		maxRound = max(maxRound, best+1)
	}
	shared := 0
	for _, s := range spans {
		if s.shared {
			shared++
		}
	}
	return Summary{Requests: len(spans) - shared, Rounds: maxRound, Shared: shared}
}

// Transport records every request whose context carries a Tracker, and
// times every request for the Link.
type Transport struct {
	Base http.RoundTripper
	// Link, if set, learns the round trip and throughput from every answer.
	Link *Link
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	done := func() {}
	if tr := FromContext(req.Context()); tr != nil {
		if err := tr.admit(req.Context()); err != nil {
			return nil, err
		}
		done = tr.begin()
	}
	start := time.Now()
	resp, err := base.RoundTrip(req)
	if err != nil {
		done()
		return nil, err
	}
	// The round ends when the body has been read, not when headers arrive.
	resp.Body = &trackedBody{ReadCloser: resp.Body, done: done, link: t.Link, start: start}
	return resp, nil
}

type trackedBody struct {
	io.ReadCloser
	once  sync.Once
	done  func()
	link  *Link
	start time.Time
	bytes int64
	// failed is a read that broke off: its timing says nothing of the link.
	failed bool
	ended  time.Time // when the answer's last byte arrived
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.bytes += int64(n)
	switch {
	case err == io.EOF:
		if b.ended.IsZero() {
			b.ended = time.Now()
		}
	case err != nil:
		b.failed = true
	}
	return n, err
}

func (b *trackedBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.done()
		if b.failed {
			return
		}
		// A decoder may stop at the end of the JSON value without reading
		// EOF: then the close marks the end.
		end := b.ended
		if end.IsZero() {
			end = time.Now()
		}
		b.link.Observe(end.Sub(b.start), b.bytes)
	})
	return err
}
