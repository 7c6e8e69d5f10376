package clevertim

import (
	"context"
	"sync"
)

// keyedSlots lets at most size holders per key go ahead at once; the others
// wait their turn. It is written here rather than taken from
// golang.org/x/sync/semaphore because the keys are the point: each key's
// slots are dropped when no one uses them, so the map does not grow with
// every key ever seen.
type keyedSlots[K comparable] struct {
	size int
	mu   sync.Mutex
	keys map[K]*slots
}

type slots struct {
	tokens chan struct{}
	users  int // holding or waiting for a token
}

// newKeyedSlots returns nil, which lets everyone through, for size <= 0.
func newKeyedSlots[K comparable](size int) *keyedSlots[K] {
	if size <= 0 {
		return nil
	}
	return &keyedSlots[K]{size: size, keys: map[K]*slots{}}
}

// acquire waits for one of key's slots, or until ctx ends. The returned
// function gives the slot back; calling it more than once is harmless.
func (k *keyedSlots[K]) acquire(ctx context.Context, key K) (release func(), err error) {
	if k == nil {
		return func() {}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k.mu.Lock()
	s := k.keys[key]
	if s == nil {
		s = &slots{tokens: make(chan struct{}, k.size)}
		k.keys[key] = s
	}
	s.users++
	k.mu.Unlock()
	select {
	case s.tokens <- struct{}{}:
		return sync.OnceFunc(func() {
			<-s.tokens
			k.leave(key, s)
		}), nil
	case <-ctx.Done():
		k.leave(key, s)
		return nil, ctx.Err()
	}
}

func (k *keyedSlots[K]) leave(key K, s *slots) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s.users--
	if s.users == 0 {
		delete(k.keys, key)
	}
}

// len is the number of keys in use, for tests.
func (k *keyedSlots[K]) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}
