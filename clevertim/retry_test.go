package clevertim_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
)

// waits records the retry waits a client asked for, without waiting.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return ctx.Err()
}

func (w *waits) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.d)
}

// fastRetries makes a client's retry waits instant.
func fastRetries(c *clevertim.Client) *clevertim.Client {
	clevertim.SetSleep(c, func(ctx context.Context, _ time.Duration) error { return ctx.Err() })
	return c
}

func retrySetup(t *testing.T) (*clevertim.Client, *emulator.Emulator, *waits) {
	t.Helper()
	c, emu := setup(t)
	w := &waits{}
	clevertim.SetSleep(c, w.sleep)
	return c, emu, w
}

func TestRetry_Reads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, f := range []emulator.Fault{emulator.FaultUnavailable, emulator.FaultCut, emulator.FaultBadGateway, emulator.FaultRateLimited, emulator.FaultLostAnswer} {
		c, emu, w := retrySetup(t)
		emu.InjectFaults(f, f)
		emu.ResetStats()
		if _, err := c.Users.List(ctx); err != nil {
			t.Errorf("fault %d twice: %v", f, err)
		}
		// net/http itself may resend an idle-connection GET that was cut,
		// so the emulator can see more requests than the client's tries.
		if got := emu.Stats().Total; got < 3 {
			t.Errorf("fault %d: %d attempts, want 3", f, got)
		}
		if w.count() != 2 {
			t.Errorf("fault %d: %d waits, want 2", f, w.count())
		}
		if f == emulator.FaultRateLimited && (w.d[0] < time.Second || w.d[1] < time.Second) {
			t.Errorf("Retry-After: 1 was not honoured: %v", w.d)
		}
	}
	// A read that keeps failing gives up after MaxAttempts.
	c, emu, w := retrySetup(t)
	emu.SetFaultRate(1)
	emu.ResetStats()
	_, err := c.Users.List(ctx)
	if !errors.Is(err, clevertim.ErrUnavailable) {
		t.Errorf("after every attempt failed: %v", err)
	}
	if got, want := w.count(), clevertim.DefaultRetryPolicy().MaxAttempts-1; got != want {
		t.Errorf("%d retries, want %d", got, want)
	}
	// Not retried: what a retry cannot fix.
	emu.SetFaultRate(0)
	emu.ResetStats()
	if _, err := c.Contacts.Get(ctx, "424242"); !clevertim.IsNotFound(err) || emu.Stats().Total != 1 {
		t.Errorf("a 404 was retried: %v, %d requests", err, emu.Stats().Total)
	}
}

func TestRetry_LongRetryAfterIsReported(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"status":"ERROR","error":"slow down"}`))
	}))
	t.Cleanup(srv.Close)
	c, _ := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithAPIKey("k"))
	w := &waits{}
	clevertim.SetSleep(c, w.sleep)
	_, err := c.Users.List(context.Background())
	var apiErr *clevertim.Error
	if !errors.As(err, &apiErr) || !errors.Is(err, clevertim.ErrRateLimited) || apiErr.RetryAfter != 2*time.Minute {
		t.Errorf("got %v", err)
	}
	if w.count() != 0 {
		t.Errorf("waited %v although Clevertim asked for two minutes", w.d)
	}
}

func TestRetry_WaitsStopAtTheDeadline(t *testing.T) {
	t.Parallel()
	c, emu := setup(t) // real waits
	emu.InjectFaults(emulator.FaultRateLimited, emulator.FaultRateLimited)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	emu.ResetStats()
	_, err := c.Users.List(ctx)
	if !errors.Is(err, clevertim.ErrRateLimited) {
		t.Errorf("a wait past the deadline: %v", err)
	}
	if emu.Stats().Total != 1 {
		t.Errorf("retried although Retry-After ends after the deadline (%d requests)", emu.Stats().Total)
	}
	var apiErr *clevertim.Error
	if errors.As(err, &apiErr) && apiErr.RetryAfter != time.Second {
		t.Errorf("RetryAfter %v", apiErr.RetryAfter)
	}
}

func TestRetry_WritesAreNeverDoubled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		fault     emulator.Fault
		posts     int64 // POSTs the emulator receives
		listLooks bool  // the client looked for the record
	}{
		{emulator.FaultUnavailable, 2, false}, // declined: sent again
		{emulator.FaultRateLimited, 2, false},
		{emulator.FaultCut, 2, true},        // not done: looked, then sent again
		{emulator.FaultLostAnswer, 1, true}, // done: found, not sent again
		{emulator.FaultBadGateway, 1, true}, // done behind a gateway: found
	}
	for _, tc := range cases {
		c, emu, _ := retrySetup(t)
		marker := "lost-answer-" + time.Now().Format(time.RFC3339Nano)
		emu.InjectFaults(tc.fault)
		emu.ResetStats()
		note, err := c.Notes.Create(ctx, &clevertim.Note{Text: marker})
		if err != nil || note.Text != marker {
			t.Errorf("fault %d: %+v %v", tc.fault, note, err)
			continue
		}
		st := emu.Stats()
		if st.ByRoute["POST /note"] != tc.posts {
			t.Errorf("fault %d: %d POSTs, want %d", tc.fault, st.ByRoute["POST /note"], tc.posts)
		}
		if (st.ByRoute["GET /note"] > 0) != tc.listLooks {
			t.Errorf("fault %d: looked for the record: %v", tc.fault, st.ByRoute["GET /note"] > 0)
		}
		all, _ := c.Notes.List(ctx)
		n := 0
		for _, x := range all {
			if x.Text == marker {
				n++
			}
		}
		if n != 1 {
			t.Errorf("fault %d: %d notes created, want exactly 1", tc.fault, n)
		}
	}
}

func TestRetry_UpdateAndDeleteCheckBeforeResending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, emu, _ := retrySetup(t)
	created, err := c.Contacts.Create(ctx, &clevertim.Contact{FirstName: "Ada", Title: "Countess"})
	if err != nil {
		t.Fatal(err)
	}
	created.Title = "Analyst"
	emu.InjectFaults(emulator.FaultLostAnswer)
	emu.ResetStats()
	got, err := c.Contacts.Update(ctx, created.ID, created)
	if err != nil || got.Title != "Analyst" {
		t.Fatalf("update with a lost answer: %+v %v", got, err)
	}
	if st := emu.Stats(); st.ByRoute["PUT /contact/{id}"] != 1 || st.ByRoute["GET /contact/{id}"] != 1 {
		t.Errorf("routes %v: want one PUT and one GET to check it", st.ByRoute)
	}
	created.Title = "Engineer"
	emu.InjectFaults(emulator.FaultCut)
	emu.ResetStats()
	if got, err := c.Contacts.Update(ctx, created.ID, created); err != nil || got.Title != "Engineer" {
		t.Fatalf("update cut before it was done: %+v %v", got, err)
	}
	if st := emu.Stats(); st.ByRoute["PUT /contact/{id}"] != 2 {
		t.Errorf("routes %v: the update not done must be sent again", st.ByRoute)
	}
	emu.InjectFaults(emulator.FaultLostAnswer)
	emu.ResetStats()
	if err := c.Contacts.Delete(ctx, created.ID); err != nil {
		t.Fatalf("delete with a lost answer: %v", err)
	}
	if st := emu.Stats(); st.ByRoute["DELETE /contact/{id}"] != 1 {
		t.Errorf("routes %v: one DELETE", st.ByRoute)
	}
}

func TestRetry_OutcomeUnknown(t *testing.T) {
	t.Parallel()
	// Every request's connection breaks: the client cannot tell whether
	// the note was made, and says so.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	c, _ := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithAPIKey("k"))
	fastRetries(c)
	_, err := c.Notes.Create(context.Background(), &clevertim.Note{Text: "x"})
	if !errors.Is(err, clevertim.ErrOutcomeUnknown) {
		t.Errorf("got %v, want ErrOutcomeUnknown", err)
	}
}

// TestRetry_CreateAdoptsOnlyItsOwnRecord: a create whose answer was lost
// looks for its record, and takes no identical record that existed before
// it was sent or that it already returned for another create.
func TestRetry_CreateAdoptsOnlyItsOwnRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var clockShift atomic.Int64 // added to the emulator's clock
	emu, err := emulator.New(emulator.WithClock(func() time.Time { return time.Now().Add(time.Duration(clockShift.Load())) }))
	if err != nil {
		t.Fatal(err)
	}
	noDate := false
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if noDate {
			w.Header()["Date"] = nil // net/http then sends none
		}
		mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); emu.Close() })
	client := func() *clevertim.Client {
		c, err := clevertim.NewClient(clevertim.WithBaseURL(srv.URL+"/api"), clevertim.WithAPIKey(emulator.OwnerKey))
		if err != nil {
			t.Fatal(err)
		}
		return fastRetries(c)
	}
	count := func(text string) int {
		all, err := client().Notes.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range all {
			if x.Text == text {
				n++
			}
		}
		return n
	}
	// elsewhere makes an identical note with another client, dated shift
	// from now.
	elsewhere := func(shift time.Duration) func(text string) clevertim.ID {
		return func(text string) clevertim.ID {
			clockShift.Store(int64(shift))
			defer clockShift.Store(0)
			n, err := client().Notes.Create(ctx, &clevertim.Note{Text: text})
			if err != nil {
				t.Fatal(err)
			}
			return n.ID
		}
	}
	cases := []struct {
		name    string
		earlier func(text string) clevertim.ID // makes an identical note first; nil: this client does
		fault   emulator.Fault
		unknown bool
	}{
		{name: "older, elsewhere; cut before", fault: emulator.FaultCut, earlier: elsewhere(-time.Minute)},
		{name: "older, elsewhere; answer lost", fault: emulator.FaultLostAnswer, earlier: elsewhere(-time.Minute)},
		{name: "just now, by this client; cut before", fault: emulator.FaultCut},
		{name: "just now, by this client; answer lost", fault: emulator.FaultLostAnswer},
		// Dated a minute ahead, so that no pause of the test moves it out of
		// the window in which the create looks.
		{name: "just now, elsewhere; answer lost", fault: emulator.FaultLostAnswer, unknown: true, earlier: elsewhere(time.Minute)},
	}
	for _, tc := range cases {
		c := client()
		text := tc.name + time.Now().Format(time.RFC3339Nano)
		var earlier clevertim.ID
		if tc.earlier != nil {
			earlier = tc.earlier(text)
		} else {
			n, err := c.Notes.Create(ctx, &clevertim.Note{Text: text})
			if err != nil {
				t.Fatal(err)
			}
			earlier = n.ID
		}
		emu.InjectFaults(tc.fault)
		n, err := c.Notes.Create(ctx, &clevertim.Note{Text: text})
		switch {
		case tc.unknown:
			if !errors.Is(err, clevertim.ErrOutcomeUnknown) {
				t.Errorf("%s: want an unknown outcome, got %+v %v", tc.name, n, err)
			}
		case err != nil || n.ID == earlier:
			t.Errorf("%s: %v; got the earlier note %s", tc.name, err, earlier)
		}
		if got := count(text); got != 2 {
			t.Errorf("%s: %d notes stored, want 2", tc.name, got)
		}
	}
	// Without a Date header, Clevertim's clock is unknown: a lost answer's
	// outcome is too.
	mu.Lock()
	noDate = true
	mu.Unlock()
	emu.InjectFaults(emulator.FaultLostAnswer)
	if _, err := client().Notes.Create(ctx, &clevertim.Note{Text: "no clock"}); !errors.Is(err, clevertim.ErrOutcomeUnknown) {
		t.Errorf("no Date header: %v, want an unknown outcome", err)
	}
}
