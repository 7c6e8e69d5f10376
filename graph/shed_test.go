package graph

import (
	"context"
	"crypto/sha256"
	"net/http/httptest"
	"testing"
	"time"
)

// An operation that waits at two limits (its client's share, then its
// key's) is one operation queued, not two.
func TestShedder_QueuedOnceAcrossLimits(t *testing.T) {
	t.Parallel()
	m := &Metrics{}
	s := newShedder(HandlerConfig{Metrics: m, QueueWait: time.Minute, MaxOperationsPerKey: 1, MaxOperationsPerClient: 1})
	r := httptest.NewRequest("POST", "/query", nil) // keyless, from 192.0.2.1
	const key = "the default key"
	var w bool
	holdClient, _ := s.clients.acquire(context.Background(), s, clientOf(r, nil), &w)
	holdKey, _ := s.keys.acquire(context.Background(), s, sha256.Sum256([]byte(key)), &w)
	done := make(chan bool)
	go func() {
		release, ok := s.acquire(r, key)
		if ok {
			release()
		}
		done <- ok
	}()
	waiting := func(sh interface{ waiters() int }) func() bool {
		return func() bool { return sh.waiters() > 0 }
	}
	waitFor(t, waiting(&s.clients))
	holdClient() // it moves on to the key's share, held too
	waitFor(t, waiting(&s.keys))
	holdKey()
	if !<-done {
		t.Fatal("not admitted once both slots were free")
	}
	if got := m.Queued.Load(); got != 1 {
		t.Errorf("queued %d times, want 1", got)
	}
}

// waiters is how many requests wait for a slot of a name (users beyond the
// slots held).
func (sh *shares[K]) waiters() int {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := 0
	for _, one := range sh.m {
		n += max(one.users-len(one.tokens), 0)
	}
	return n
}

// waitFor polls a condition another goroutine will make true; it fails the
// test if that takes a minute (a broken mechanism), and asserts nothing
// about how long it took. The external tests use it as graph.WaitFor.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the condition never came true")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
