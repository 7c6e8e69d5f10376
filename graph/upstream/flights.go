package upstream

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// Flights lets concurrent operations share each upstream read in flight: a
// GET that another operation already sent for the same key and URL is
// waited for instead of sent again. It adds no staleness: a read that starts
// after a write has completed never joins one that started before it, since
// every write starts a new epoch of keys. It implements clevertim.ReadSharer
// and is safe for concurrent use.
//
// singleflight does the sharing; Flights adds the lifetime of the shared
// call: it runs detached from any one caller's cancellation, each caller may
// leave when its own context ends, and the call is cancelled once every
// caller has left, so it lives as long as the longest-waiting caller's
// deadline and no longer.
type Flights struct {
	group singleflight.Group
	epoch atomic.Uint64

	mu      sync.Mutex
	waiting map[string]*waiters
}

// waiters are the callers waiting on one key; done ends the calls made for
// them once the last has left.
type waiters struct {
	n    int
	done context.Context
	end  context.CancelFunc
}

// NewFlights returns an empty Flights.
func NewFlights() *Flights { return &Flights{waiting: map[string]*waiters{}} }

// Wrote starts a new epoch: reads from now on share only reads started
// from now on.
func (f *Flights) Wrote() { f.epoch.Add(1) }

// Waiting is the number of callers waiting for a shared read.
func (f *Flights) Waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, w := range f.waiting {
		n += w.n
	}
	return n
}

// Share returns fetch's result, calling it only if no call with the same key
// (in this epoch) is in flight. The caller that ends up waiting for another
// operation's call counts it as shared in its Tracker, not as a request.
func (f *Flights) Share(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error) {
	key = strconv.FormatUint(f.epoch.Load(), 36) + "/" + key
	w := f.join(key)
	start := time.Now()
	led := false // set when this caller's fetch is the one that runs
	ch := f.group.DoChan(key, func() (v any, err error) {
		led = true
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("upstream: shared read panicked: %v\n%s", r, debug.Stack())
			}
		}()
		// The fetch keeps this caller's values (its tracker counts the
		// request) but not its cancellation.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		stop := context.AfterFunc(w.done, cancel)
		defer stop()
		return fetch(fctx)
	})
	select {
	case res := <-ch:
		f.leave(key, w)
		if led {
			return res.Val, res.Err
		}
		var budget *BudgetError
		if errors.As(res.Err, &budget) {
			// The operation that sent the read had spent its budget, not
			// this one: this one reads for itself, on its own budget.
			return fetch(ctx)
		}
		if t := FromContext(ctx); t != nil {
			t.shared(start, time.Now())
		}
		return res.Val, res.Err
	case <-ctx.Done():
		f.leave(key, w)
		return nil, ctx.Err()
	}
}

func (f *Flights) join(key string) *waiters {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := f.waiting[key]
	if w == nil {
		w = &waiters{}
		w.done, w.end = context.WithCancel(context.Background())
		f.waiting[key] = w
	}
	w.n++
	return w
}

// leave ends a caller's wait. The last to leave cancels the call and makes
// singleflight forget it, so that a later caller starts afresh rather than
// joining a cancelled call.
func (f *Flights) leave(key string, w *waiters) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if w.n--; w.n > 0 {
		return
	}
	w.end()
	delete(f.waiting, key)
	f.group.Forget(key)
}

// shared records a read this operation waited for but did not send.
func (t *Tracker) shared(start, end time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.spans = append(t.spans, span{start: start, end: end, shared: true})
}
