// Package emulator is an in-process Clevertim REST API with a demo account:
// the upstream that tests, benchmarks and the zero-configuration server run against.
package emulator

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const maxBodyBytes = 8 << 20

// Emulator answers like https://www.clevertim.com/api under /api/, and
// serves its own counters under /_emulator/. It is safe for concurrent use.
type Emulator struct {
	store     *store
	latency   atomic.Int64 // nanoseconds added to every API request
	faultRate atomic.Uint64
	rngMu     sync.Mutex
	rng       *rand.Rand
	injected  []Fault // faults for the next requests, in order
	stats     stats
}

// Fault is a way an API request can fail.
type Fault int

// The faults the emulator can produce.
const (
	// FaultUnavailable answers 503 before doing anything.
	FaultUnavailable Fault = iota + 1
	// FaultCut drops the connection before doing anything.
	FaultCut
	// FaultLostAnswer does the request, then drops the connection instead of
	// answering: a write happens and its client never hears of it.
	FaultLostAnswer
	// FaultRateLimited answers 429 with Retry-After: 1.
	FaultRateLimited
	// FaultBadGateway answers 502 with an HTML page, as a proxy would,
	// after doing the request.
	FaultBadGateway
)

// InjectFaults makes the next API requests fail, one fault each, in order,
// before the random faults of the fault rate apply.
func (e *Emulator) InjectFaults(faults ...Fault) {
	e.rngMu.Lock()
	defer e.rngMu.Unlock()
	e.injected = append(e.injected, faults...)
}

// nextFault picks the fault of a request, if any: an injected one, else one
// of unavailable, cut and lost answer at the fault rate.
func (e *Emulator) nextFault() Fault {
	e.rngMu.Lock()
	defer e.rngMu.Unlock()
	if len(e.injected) > 0 {
		f := e.injected[0]
		e.injected = e.injected[1:]
		return f
	}
	rate := float64(e.faultRate.Load()) / 1e9
	if rate == 0 || e.rng.Float64() >= rate {
		return 0
	}
	return []Fault{FaultUnavailable, FaultCut, FaultLostAnswer}[e.rng.IntN(3)]
}

// Option configures an Emulator.
type Option func(*options)

type options struct {
	sizes     Sizes
	seed      uint64
	latency   time.Duration
	faultRate float64
	dbPath    string
	now       func() time.Time
}

// WithSizes sets the size of the demo account.
func WithSizes(s Sizes) Option { return func(o *options) { o.sizes = s } }

// WithSeed makes a different, still deterministic, demo account.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = seed } }

// WithLatency adds a delay to every API request, as a remote server has.
func WithLatency(d time.Duration) Option { return func(o *options) { o.latency = d } }

// WithFaultRate makes a fraction (0 to 1) of API requests fail: half are
// answered 503, half have their connection cut without an answer.
func WithFaultRate(f float64) Option { return func(o *options) { o.faultRate = f } }

// WithPersistence keeps the account in a bbolt file at path. A new file is
// seeded with the demo account; an existing one is loaded as it was left.
func WithPersistence(path string) Option { return func(o *options) { o.dbPath = path } }

// WithClock sets the clock used for `ao` and `lm`.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New builds an emulator holding the demo account.
func New(opts ...Option) (*Emulator, error) {
	o := options{sizes: DefaultSizes(), seed: 1, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if o.faultRate < 0 || o.faultRate > 1 {
		return nil, fmt.Errorf("emulator: fault rate %v is not between 0 and 1", o.faultRate)
	}
	e := &Emulator{store: newStore(o.now), rng: rand.New(rand.NewPCG(o.seed, 42))}
	e.SetLatency(o.latency)
	e.SetFaultRate(o.faultRate)
	if o.dbPath == "" {
		seed(e.store, o.sizes, o.seed)
		return e, nil
	}
	db, err := openBolt(o.dbPath)
	if err != nil {
		return nil, err
	}
	found, err := db.load(e.store)
	if err == nil && !found {
		seed(e.store, o.sizes, o.seed)
		err = db.saveAll(e.store)
	}
	if err != nil {
		db.close()
		return nil, err
	}
	e.store.db = db
	return e, nil
}

// Close releases the persistence file, if any.
func (e *Emulator) Close() error {
	if e.store.db != nil {
		return e.store.db.close()
	}
	return nil
}

// SetLatency changes the delay added to every API request.
func (e *Emulator) SetLatency(d time.Duration) { e.latency.Store(int64(d)) }

// SetFaultRate changes the fraction of API requests that fail.
func (e *Emulator) SetFaultRate(f float64) { e.faultRate.Store(uint64(f * 1e9)) }

// ServeHTTP routes /api/{resource}[/{id}] and /_emulator/stats.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_emulator/stats":
		e.serveStats(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/"):
		e.serveAPI(w, r)
	default:
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.URL.Path)
	}
}

func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	resource, id, hasID := strings.Cut(rest, "/")
	route := r.Method + " /" + resource
	if hasID {
		route += "/{id}"
	}
	e.stats.count(r.Method, resource, route)
	defer e.stats.enter()()

	if d := time.Duration(e.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			e.stats.cancelled()
			return
		}
	}
	switch fault := e.nextFault(); fault {
	case FaultUnavailable:
		e.stats.fault()
		w.Header().Set("Retry-After", "0")
		writeError(w, http.StatusServiceUnavailable, "service temporarily unavailable")
		return
	case FaultRateLimited:
		e.stats.fault()
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "rate limit exceeded")
		return
	case FaultCut:
		e.stats.fault()
		cut(w)
		return
	case FaultLostAnswer, FaultBadGateway:
		e.stats.fault()
		e.handle(discard{header: http.Header{}}, r, resource, id, hasID, route)
		if fault == FaultBadGateway {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
			return
		}
		cut(w)
		return
	}
	e.handle(w, r, resource, id, hasID, route)
}

// discard is a ResponseWriter that drops the answer, for lost answers.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}

// handle does an API request and writes its answer.
func (e *Emulator) handle(w http.ResponseWriter, r *http.Request, resource, id string, hasID bool, route string) {
	rest := resource
	if hasID {
		rest += "/" + id
	}

	sp, ok := e.store.specs[resource]
	if !ok || strings.Contains(id, "/") {
		writeError(w, http.StatusNotFound, "unknown resource "+rest)
		return
	}
	c := e.authenticate(r)
	if c == nil {
		writeError(w, http.StatusUnauthorized, "invalid or missing API key")
		return
	}
	var (
		out  []json.RawMessage
		err  error
		body map[string]any
	)
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if body, err = readBody(r); err != nil {
			writeErr(w, err)
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && !hasID:
		out = e.store.list(resource, c)
	case r.Method == http.MethodGet:
		var rec json.RawMessage
		rec, err = e.store.get(resource, id, c)
		out = []json.RawMessage{rec}
	case sp.readOnly, sp.noUpdate && r.Method == http.MethodPut:
		err = &errStatus{http.StatusNotImplemented, fmt.Sprintf("%s %s is not supported", r.Method, route)}
	case r.Method == http.MethodPost && !hasID:
		var rec json.RawMessage
		rec, err = e.store.create(resource, body, c)
		out = []json.RawMessage{rec}
	case r.Method == http.MethodPut && hasID:
		var rec json.RawMessage
		rec, err = e.store.update(resource, id, body, c)
		out = []json.RawMessage{rec}
	case r.Method == http.MethodDelete && hasID:
		if err = e.store.delete(resource, id, c); err == nil {
			writeJSON(w, http.StatusOK, map[string]any{"status": "OK"})
			return
		}
	default:
		err = &errStatus{http.StatusNotImplemented, fmt.Sprintf("%s %s is not supported", r.Method, route)}
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeContent(w, out)
}

// writeContent writes the success envelope around records already encoded.
func writeContent(w http.ResponseWriter, recs []json.RawMessage) {
	size := 32
	for _, r := range recs {
		size += len(r) + 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, `{"status":"OK","content":[`...)
	for i, r := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r...)
	}
	buf = append(buf, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
}

// authenticate reads Basic auth as Clevertim takes it: user name = API key,
// password = "X". The official Python client's `Basic b'...'` form is
// accepted too, so that it works unmodified.
func (e *Emulator) authenticate(r *http.Request) *caller {
	h := r.Header.Get("Authorization")
	enc, ok := strings.CutPrefix(h, "Basic ")
	if !ok {
		return nil
	}
	if strings.HasPrefix(enc, "b'") && strings.HasSuffix(enc, "'") && len(enc) >= 3 {
		enc = enc[2 : len(enc)-1]
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if err != nil {
		return nil
	}
	key, password, ok := strings.Cut(string(raw), ":")
	if !ok || password != "X" || key == "" {
		return nil
	}
	return e.store.userByKey(key)
}

func readBody(r *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, &errStatus{http.StatusBadRequest, "could not read the request body"}
	}
	if len(data) > maxBodyBytes {
		return nil, &errStatus{http.StatusRequestEntityTooLarge, "request body too large"}
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, &errStatus{http.StatusInternalServerError, "the request body is not valid JSON"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &errStatus{http.StatusBadRequest, "the request body must be a JSON object"}
	}
	return obj, nil
}

// cut drops the connection without an answer, as a failing proxy does.
func cut(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func writeErr(w http.ResponseWriter, err error) {
	var st *errStatus
	var br badRequest
	switch {
	case errors.As(err, &st):
		writeError(w, st.status, st.msg)
	case errors.As(err, &br):
		writeError(w, http.StatusBadRequest, string(br))
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": "ERROR", "error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
