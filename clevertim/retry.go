package clevertim

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/go-resty/resty/v2"
)

// RetryPolicy says how failed requests are tried again.
//
// Reads (GET) are retried on connection errors and on 429, 502, 503 and
// 504. Writes are retried only when Clevertim declined them (429, 503) or
// the connection could not be opened, since then nothing was done. When a
// write's answer is lost (the connection broke after the request went out,
// or a gateway answered 502/504), the write may or may not have happened:
// the client checks before sending it again (see Creator.Create,
// Updater.Update, Deleter.Delete), and never sends it blindly.
//
// Waits grow exponentially from BaseDelay with full jitter and are capped at
// MaxDelay. A Retry-After is honoured: waited out if it is within MaxDelay,
// else reported at once (Error.RetryAfter) rather than ignored. No wait goes
// past the context's deadline.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 turns retries off.
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

// DefaultRetryPolicy tries up to 6 times. The five waits are drawn below 50,
// 100, 200, 400 and 800 ms (1.55 s in all at most); a Retry-After of up to
// 2 s lengthens a wait to it, so ten seconds is the worst case.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 6, BaseDelay: 50 * time.Millisecond, MaxDelay: 2 * time.Second}
}

// WithRetryPolicy replaces the default retry policy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// ErrOutcomeUnknown is a write whose answer was lost and whose effect could
// not be checked: it may or may not have happened.
var ErrOutcomeUnknown = errors.New("clevertim: outcome of the write unknown")

// backoff is the wait before attempt n+1, with full jitter.
func (p RetryPolicy) backoff(n int) time.Duration {
	ceiling := p.BaseDelay << min(n-1, 20)
	if ceiling <= 0 || ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	if ceiling <= 0 {
		return 0
	}
	return rand.N(ceiling + 1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryWait says whether attempt n of a request may be followed by another,
// and after how long.
func (c *Client) retryWait(ctx context.Context, method string, n int, resp *resty.Response, err error) (time.Duration, bool) {
	if n >= c.retry.MaxAttempts || ctx.Err() != nil {
		return 0, false
	}
	var wait time.Duration
	switch {
	case err != nil:
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || refused(err) {
			return 0, false
		}
		if method != http.MethodGet && !notSent(err) {
			return 0, false // the write may have happened: the caller checks
		}
	case resp.StatusCode() == http.StatusTooManyRequests || resp.StatusCode() == http.StatusServiceUnavailable:
		wait = retryAfter(resp.Header())
		if wait > c.retry.MaxDelay {
			return 0, false // longer than we wait: the caller hears of it, with the wait
		}
	case resp.StatusCode() == http.StatusBadGateway || resp.StatusCode() == http.StatusGatewayTimeout:
		if method != http.MethodGet {
			return 0, false
		}
	default:
		return 0, false
	}
	wait = min(max(wait, c.retry.backoff(n)), c.retry.MaxDelay)
	if deadline, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(deadline) {
		return 0, false
	}
	return wait, true
}

// Refusal is implemented by errors of an HTTP transport that refused to send
// a request (a request budget spent, say): the request never left, so a
// write did not happen, and trying again would be refused again.
type Refusal interface {
	Refused() bool
}

func refused(err error) bool {
	var r Refusal
	return errors.As(err, &r) && r.Refused()
}

// notSent reports a failure to connect, or a refusal: the request never left.
func notSent(err error) bool {
	var op *net.OpError
	return errors.Is(err, ErrNotSent) || refused(err) || (errors.As(err, &op) && op.Op == "dial")
}

// ambiguous reports a failed write that may nevertheless have been done.
func ambiguous(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	if e.StatusCode == 0 {
		return e.Err != nil && !notSent(e.Err) && !errors.Is(e.Err, ErrInvalidResponse)
	}
	return e.StatusCode == http.StatusBadGateway || e.StatusCode == http.StatusGatewayTimeout
}
