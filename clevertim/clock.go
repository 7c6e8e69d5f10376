package clevertim

import (
	"net/http"
	"sync"
	"time"
)

// serverClock learns how far Clevertim's clock is from ours, from the Date
// headers of its answers, so that a lost create's reconciliation can tell
// the records added before the request was sent (`ao`) from those added
// after.
//
// Date is truncated to the second and written while the answer is made,
// that is between our sending and our receiving it. Each answer thus bounds
// the offset (server minus local time) to [date - received, date + 1 s -
// sent]; intersecting the bounds of many answers narrows them. Bounds that
// no longer intersect mean that a clock was set: the latest answer starts
// over.
type serverClock struct {
	mu     sync.Mutex
	known  bool
	lo, hi time.Duration
}

func (c *serverClock) observe(sent, received time.Time, h http.Header) {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	lo, hi := date.Sub(received), date.Add(time.Second).Sub(sent)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known && max(lo, c.lo) <= min(hi, c.hi) {
		c.lo, c.hi = max(lo, c.lo), min(hi, c.hi)
		return
	}
	c.known, c.lo, c.hi = true, lo, hi
}

// earliest is the earliest time Clevertim's clock may have shown at our
// local time t, if any answer told us its clock.
func (c *serverClock) earliest(t time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.Add(c.lo), c.known
}
