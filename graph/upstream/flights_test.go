package upstream

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// An operation that joins a read whose sender had spent its budget is not
// refused for it: it reads on its own budget.
func TestFlights_BudgetOfAnother(t *testing.T) {
	t.Parallel()
	f := NewFlights()
	release := make(chan struct{})
	var leaderCalls, joinerCalls atomic.Int32
	spent := WithTracker(context.Background(), NewTracker(1))
	leader := make(chan error, 1)
	go func() {
		_, err := f.Share(spent, "k", func(context.Context) (any, error) {
			leaderCalls.Add(1)
			<-release
			return nil, &BudgetError{Budget: 1}
		})
		leader <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); f.Waiting() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the leader never started")
		}
	}
	tr := NewTracker(0)
	joiner := make(chan any, 1)
	go func() {
		v, err := f.Share(WithTracker(context.Background(), tr), "k", func(context.Context) (any, error) {
			joinerCalls.Add(1)
			return "mine", nil
		})
		if err != nil {
			t.Error(err)
		}
		joiner <- v
	}()
	for deadline := time.Now().Add(10 * time.Second); f.Waiting() != 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the joiner never joined")
		}
	}
	close(release)
	if err := <-leader; err == nil {
		t.Error("the leader's refusal was lost")
	}
	if v := <-joiner; v != "mine" || leaderCalls.Load() != 1 || joinerCalls.Load() != 1 {
		t.Errorf("joiner got %v; fetches: leader %d, joiner %d", v, leaderCalls.Load(), joinerCalls.Load())
	}
	if s := tr.Summary(); s.Shared != 0 {
		t.Errorf("a read done alone counted as shared: %+v", s)
	}
}
