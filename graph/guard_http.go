package graph

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes of the answer and load limits.
const (
	CodeResponseTooLarge = "RESPONSE_TOO_LARGE"
	CodeOverloaded       = "OVERLOADED"
)

// DefaultMaxOperationsPerClient is a keyless client address's share of the
// default key's DefaultMaxOperationsPerKey: half, so that one client leaves
// the others room, while a browser's parallel queries rarely queue.
const DefaultMaxOperationsPerClient = 8

// shedder bounds the operations executing at once: overall, per API key,
// and, among requests that carry no key (they all act as the default key),
// per client address, so that one client cannot take the default key's
// whole share. A request waits up to wait for its slots, then is refused.
// Counting semaphores are buffered channels here: the standard idiom,
// cancellable with select, and it keeps this branch's go.mod untouched.
type shedder struct {
	global  chan struct{}
	keys    shares[[32]byte] // by hash, so no API key is kept in memory
	clients shares[netip.Prefix]
	trusted []netip.Prefix
	wait    time.Duration
	metrics *Metrics
}

func newShedder(cfg HandlerConfig) *shedder {
	s := &shedder{wait: cfg.QueueWait, metrics: cfg.Metrics, trusted: cfg.TrustedProxies,
		keys:    shares[[32]byte]{size: cfg.MaxOperationsPerKey},
		clients: shares[netip.Prefix]{size: cfg.MaxOperationsPerClient}}
	if cfg.MaxOperations > 0 {
		s.global = make(chan struct{}, cfg.MaxOperations)
	}
	return s
}

// acquire takes a slot for the request's client (when it carries no key),
// one for its key and one overall, waiting at most s.wait in all; ok is
// false when they did not free up in time, and the refusal is counted
// under the limit that was full.
func (s *shedder) acquire(r *http.Request, key string) (release func(), ok bool) {
	ctx, cancel := context.WithTimeout(r.Context(), s.wait)
	defer cancel()
	var waited bool
	var held []func()
	release = func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
	}
	// Narrowest first: a client or key over its share waits without holding
	// a slot of the wider pools others need.
	if keyless(r) {
		rel, ok := s.clients.acquire(ctx, s, clientOf(r, s.trusted), &waited)
		if !ok {
			s.refuse(LimitClient)
			return nil, false
		}
		held = append(held, rel)
	}
	rel, ok := s.keys.acquire(ctx, s, sha256.Sum256([]byte(key)), &waited)
	if !ok {
		release()
		s.refuse(LimitKey)
		return nil, false
	}
	held = append(held, rel)
	if s.global != nil {
		if !s.take(ctx, s.global, &waited) {
			release()
			s.refuse(LimitGlobal)
			return nil, false
		}
		held = append(held, func() { <-s.global })
	}
	return release, true
}

func (s *shedder) refuse(l Limit) {
	s.metrics.Shed.Add(1)
	s.metrics.shedBy[l].Add(1)
}

// take takes a slot of sem, waiting for one until ctx ends; waited records
// that it had to, so that an operation queued at several limits counts once.
func (s *shedder) take(ctx context.Context, sem chan struct{}, waited *bool) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	if !*waited { // counted when it starts to wait, once however many limits it waits at
		*waited = true
		s.metrics.Queued.Add(1)
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// shares are semaphores of size slots each, one per name, kept only while
// a request holds or waits for one of its slots. size ≤ 0: no limit.
type shares[K comparable] struct {
	size int
	mu   sync.Mutex
	m    map[K]*share
}

type share struct {
	tokens chan struct{}
	users  int // requests holding or waiting for this name's slots
}

func (sh *shares[K]) acquire(ctx context.Context, s *shedder, name K, waited *bool) (release func(), ok bool) {
	if sh.size <= 0 {
		return func() {}, true
	}
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[K]*share{}
	}
	one := sh.m[name]
	if one == nil {
		one = &share{tokens: make(chan struct{}, sh.size)}
		sh.m[name] = one
	}
	one.users++
	sh.mu.Unlock()
	leave := func() {
		sh.mu.Lock()
		if one.users--; one.users == 0 {
			delete(sh.m, name)
		}
		sh.mu.Unlock()
	}
	if !s.take(ctx, one.tokens, waited) {
		leave()
		return nil, false
	}
	return func() { <-one.tokens; leave() }, true
}

// keyless says whether a request acts as the default key: it sent no
// Authorization header (as apiKey reads it).
func keyless(r *http.Request) bool {
	return strings.TrimSpace(r.Header.Get("Authorization")) == ""
}

// clientOf names the client a request comes from, for its share of the
// default key: its peer's address, or, when the peer is a trusted proxy,
// the first address X-Forwarded-For names from the right that is not one
// (each trusted proxy appends the address it got the request from, so
// entries left of that are the client's to choose). An IPv6 client is its
// /64, which one host usually holds whole.
func clientOf(r *http.Request, trusted []netip.Prefix) netip.Prefix {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Prefix{} // not TCP (tests, unix sockets): one client
	}
	addr := peer.Addr().Unmap()
	forwarded := strings.Join(r.Header.Values("X-Forwarded-For"), ",")
	for isTrusted(addr, trusted) && forwarded != "" {
		var hop string
		if i := strings.LastIndexByte(forwarded, ','); i >= 0 {
			forwarded, hop = forwarded[:i], forwarded[i+1:]
		} else {
			forwarded, hop = "", forwarded
		}
		next, ok := parseHop(strings.TrimSpace(hop))
		if !ok {
			break // garbage from a trusted proxy: the proxy is the client
		}
		addr = next
	}
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, with a port or
// brackets as some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil
}

// answerSize follows the size of an operation's answer while it executes.
// The estimate (each field's name and scalar value, as gqlgen will write
// them) stops the operation as soon as it passes the limit, before the
// whole answer is built; the captured bytes are then checked exactly.
type answerSize struct {
	limit  int64
	n      atomic.Int64
	over   atomic.Bool
	cancel context.CancelCauseFunc
}

type answerSizeKey struct{}

func errTooLarge(limit int64) *gqlerror.Error {
	return limitError(map[string]any{"code": CodeResponseTooLarge, "limit": limit},
		"the answer is larger than %d bytes; ask for smaller pages or fewer fields", limit)
}

// countAnswer is a field middleware adding each field's share to the
// operation's answer size, and stopping it past the limit: the remaining
// fields resolve to nothing and upstream requests are cancelled.
func countAnswer(ctx context.Context, next graphql.Resolver) (any, error) {
	a, _ := ctx.Value(answerSizeKey{}).(*answerSize)
	if a == nil {
		return next(ctx)
	}
	if a.over.Load() {
		return nil, errTooLarge(a.limit)
	}
	res, err := next(ctx)
	n := int64(len(graphql.GetFieldContext(ctx).Field.Alias)+4) + valueSize(res)
	if a.n.Add(n) > a.limit && !a.over.Swap(true) {
		a.cancel(errTooLarge(a.limit))
	}
	return res, err
}

// valueSize estimates the JSON size of a resolved value without its
// children, which are counted as fields of their own.
func valueSize(v any) int64 {
	switch v := v.(type) {
	case nil:
		return 4
	case string:
		return int64(len(v) + 2)
	case *string:
		if v == nil {
			return 4
		}
		return int64(len(*v) + 2)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return int64(rv.Len() + 2)
	case reflect.Slice:
		n := int64(2 + rv.Len())
		if rv.Type().Elem().Kind() == reflect.String {
			for i := range rv.Len() {
				n += int64(rv.Index(i).Len() + 2)
			}
		}
		return n
	}
	return 8
}

// captured holds an operation's answer until the operation is done, so that
// the answer's size is checked before anything is sent, and the operation's
// memory (loaders, records, the execution tree) can be dropped before a slow
// client is written to. An answer delivered incrementally (@defer over
// multipart/mixed) flushes: from then on it streams, each write with its
// deadline, and stops at the size cap.
type captured struct {
	w      http.ResponseWriter
	out    *answerWriter
	status int
	body   bytes.Buffer
	limit  int
	over   bool
	// streaming is set at the first Flush; sent counts what was streamed.
	streaming bool
	sent      int
	err       error
}

func (c *captured) Header() http.Header { return c.w.Header() }
func (c *captured) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captured) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.limit > 0 && c.sent+c.body.Len()+len(p) > c.limit {
		c.over = true
		if c.streaming {
			return 0, errTooLarge(int64(c.limit))
		}
		return len(p), nil // dropped; the caller answers RESPONSE_TOO_LARGE
	}
	if c.streaming {
		c.sent += len(p)
		return len(p), c.out.write(p)
	}
	return c.body.Write(p)
}

// Flush starts streaming: what is buffered is sent, and what follows is
// sent as it comes.
func (c *captured) Flush() {
	if c.err != nil {
		return
	}
	if !c.streaming {
		c.streaming = true
		c.w.WriteHeader(cmp.Or(c.status, http.StatusOK))
		c.sent = c.body.Len()
		c.err = c.out.write(c.body.Bytes())
		c.body = bytes.Buffer{}
	}
	if c.err == nil {
		c.err = c.out.rc.Flush()
	}
}

// answerWriter writes to the client in chunks, each with its own write
// deadline, so a client reading slower than chunk bytes per timeout is cut
// off instead of holding the answer's memory and a slot for minutes.
type answerWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	chunk   int
	timeout time.Duration
}

func newAnswerWriter(w http.ResponseWriter, chunk int, timeout time.Duration) *answerWriter {
	return &answerWriter{w: w, rc: http.NewResponseController(w), chunk: chunk, timeout: timeout}
}

func (a *answerWriter) write(body []byte) error {
	for len(body) > 0 {
		n := min(a.chunk, len(body))
		// Not every ResponseWriter has a connection (recorders in tests).
		_ = a.rc.SetWriteDeadline(time.Now().Add(a.timeout))
		if _, err := a.w.Write(body[:n]); err != nil {
			return fmt.Errorf("writing the answer: %w", err)
		}
		if err := a.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return fmt.Errorf("writing the answer: %w", err)
		}
		body = body[n:]
	}
	return nil
}

// finish sends a buffered answer whole, with its length.
func (c *captured) finish() error {
	if c.streaming {
		return c.err
	}
	status, body := c.status, c.body.Bytes()
	if c.over {
		status, body = http.StatusOK, tooLarge(c.limit)
		c.w.Header().Set("Content-Type", "application/json")
	}
	c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(cmp.Or(status, http.StatusOK))
	return c.out.write(body)
}

func overloaded(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Round(time.Second)/time.Second))))
	writeGraphQLError(w, http.StatusServiceUnavailable,
		"the server is busy with other operations; retry after the time in Retry-After", CodeOverloaded)
}

func tooLarge(limit int) []byte {
	b, _ := json.Marshal(map[string]any{"errors": []*gqlerror.Error{errTooLarge(int64(limit))}})
	return b
}

// withGuardDefaults fills in the hostile-input limits.
func (cfg HandlerConfig) withGuardDefaults() HandlerConfig {
	cfg.MaxTokens = orDefault(cfg.MaxTokens, DefaultMaxTokens)
	cfg.MaxFields = orDefault(cfg.MaxFields, DefaultMaxFields)
	cfg.MaxFragments = orDefault(cfg.MaxFragments, DefaultMaxFragments)
	cfg.MaxDirectives = orDefault(cfg.MaxDirectives, DefaultMaxDirectives)
	cfg.MaxErrors = orDefault(cfg.MaxErrors, DefaultMaxErrors)
	cfg.MaxResponseBytes = orDefault(cfg.MaxResponseBytes, DefaultMaxResponseBytes)
	cfg.MaxInputValues = orDefault(cfg.MaxInputValues, DefaultMaxInputValues)
	cfg.MaxOperations = orDefault(cfg.MaxOperations, DefaultMaxOperations)
	cfg.MaxOperationsPerKey = orDefault(cfg.MaxOperationsPerKey, DefaultMaxOperationsPerKey)
	cfg.MaxOperationsPerClient = orDefault(cfg.MaxOperationsPerClient, DefaultMaxOperationsPerClient)
	if cfg.MaxOperationsPerKey == 0 {
		cfg.MaxOperationsPerClient = 0 // a share of no limit is no limit
	}
	cfg.QueueWait = positiveOr(cfg.QueueWait, DefaultQueueWait)
	cfg.WriteTimeout = positiveOr(cfg.WriteTimeout, DefaultWriteTimeout)
	cfg.WriteChunk = positiveOr(cfg.WriteChunk, DefaultWriteChunk)
	if cfg.Metrics == nil {
		cfg.Metrics = &Metrics{}
	}
	return cfg
}
