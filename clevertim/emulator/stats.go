package emulator

import (
	"encoding/json"
	"net/http"
	"sync"
)

// Stats counts the API requests the emulator received since the last reset.
type Stats struct {
	Total  int64 `json:"total"`
	Faults int64 `json:"faults"`
	// Cancelled counts requests whose client went away while they waited
	// out the latency.
	Cancelled int64 `json:"cancelled"`
	// MaxInFlight is the most API requests handled at once.
	MaxInFlight int64            `json:"maxInFlight"`
	ByMethod    map[string]int64 `json:"byMethod"`
	ByResource  map[string]int64 `json:"byResource"`
	// ByRoute is keyed like "GET /contact" and "GET /contact/{id}".
	ByRoute map[string]int64 `json:"byRoute"`
}

type stats struct {
	mu       sync.Mutex
	s        Stats
	inFlight int64
}

// enter counts a request in flight until the returned function is called.
func (st *stats) enter() func() {
	st.mu.Lock()
	st.inFlight++
	st.s.MaxInFlight = max(st.s.MaxInFlight, st.inFlight)
	st.mu.Unlock()
	return func() {
		st.mu.Lock()
		st.inFlight--
		st.mu.Unlock()
	}
}

func (st *stats) cancelled() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Cancelled++
}

func (st *stats) count(method, resource, route string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s.ByMethod == nil {
		st.s.ByMethod, st.s.ByResource, st.s.ByRoute = map[string]int64{}, map[string]int64{}, map[string]int64{}
	}
	st.s.Total++
	st.s.ByMethod[method]++
	st.s.ByResource[resource]++
	st.s.ByRoute[route]++
}

func (st *stats) fault() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Faults++
}

// Stats returns a copy of the counters.
func (e *Emulator) Stats() Stats {
	e.stats.mu.Lock()
	defer e.stats.mu.Unlock()
	out := e.stats.s
	out.ByMethod, out.ByResource, out.ByRoute = copyMap(out.ByMethod), copyMap(out.ByResource), copyMap(out.ByRoute)
	return out
}

func copyMap(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ResetStats sets every counter to zero.
func (e *Emulator) ResetStats() {
	e.stats.mu.Lock()
	defer e.stats.mu.Unlock()
	e.stats.s = Stats{}
}

// serveStats answers GET (read) and DELETE (reset) on /_emulator/stats.
func (e *Emulator) serveStats(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(e.Stats())
	case http.MethodDelete, http.MethodPost:
		e.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
