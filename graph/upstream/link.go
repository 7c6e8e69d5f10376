package upstream

import (
	"slices"
	"sync"
	"time"
)

// LinkModel is what a request to Clevertim costs in time: a round trip, and
// the answer's bytes at a throughput. Answers are decoded as they arrive, so
// the throughput includes decoding.
type LinkModel struct {
	RTT            time.Duration
	BytesPerSecond float64
}

// DefaultLinkModel is the prior before any request has been measured: a
// remote HTTPS API (50 ms a round trip) over about 100 Mbit/s, which is
// also about what one core decodes JSON into records at.
func DefaultLinkModel() LinkModel {
	return LinkModel{RTT: 50 * time.Millisecond, BytesPerSecond: 10 << 20}
}

// Link learns the LinkModel from the requests actually sent: the median of
// the last few times small answers took (the round trip) and of the rates
// at which large ones arrived. It is a property of the link and of
// Clevertim, the same for every API key, so one Link serves a whole
// handler; it holds timings and sizes only. A median rather than a moving
// average: on a busy machine one request may wait a second behind a burst
// of decoding, and a model that believed it would turn a small account's
// one round into hundreds of GETs by id, which then bring no large answer
// to correct it. Safe for concurrent use; a nil *Link is the default model.
type Link struct {
	mu    sync.Mutex
	fixed bool
	rtts  window
	rates window
}

// window holds the last samples; it starts with copies of the prior, so the
// first samples alone cannot overturn it.
type window struct {
	samples []float64
	next    int
	size    int
}

func newWindow(prior float64, size int) window {
	w := window{size: size}
	for range size / 2 {
		w.add(prior)
	}
	return w
}

func (w *window) add(v float64) {
	if len(w.samples) < w.size {
		w.samples = append(w.samples, v)
		return
	}
	w.samples[w.next] = v
	w.next = (w.next + 1) % w.size
}

func (w *window) median() float64 {
	sorted := slices.Clone(w.samples)
	slices.Sort(sorted)
	return sorted[len(sorted)/2]
}

// Answers up to smallAnswer bytes time the round trip; answers of at least
// largeAnswer bytes time the throughput. Those in between say too little
// about either to be worth a sample. Round trips come by the dozen per
// query, large answers a few: their windows are sized so that a lasting
// change shows within a query or two.
const (
	smallAnswer = 16 << 10
	largeAnswer = 256 << 10
	rttWindow   = 15
	rateWindow  = 5
)

// NewLink returns a Link that starts from prior and learns from then on.
func NewLink(prior LinkModel) *Link {
	prior = prior.orDefault()
	return &Link{rtts: newWindow(float64(prior.RTT), rttWindow), rates: newWindow(prior.BytesPerSecond, rateWindow)}
}

// FixedLink returns a Link that always answers m and ignores what it is
// told: tests fix the model so that choices they count are deterministic.
func FixedLink(m LinkModel) *Link {
	l := NewLink(m)
	l.fixed = true
	return l
}

func (m LinkModel) orDefault() LinkModel {
	def := DefaultLinkModel()
	if m.RTT <= 0 {
		m.RTT = def.RTT
	}
	if m.BytesPerSecond <= 0 {
		m.BytesPerSecond = def.BytesPerSecond
	}
	return m
}

// Model is the current estimate.
func (l *Link) Model() LinkModel {
	if l == nil {
		return DefaultLinkModel()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return LinkModel{RTT: time.Duration(l.rtts.median()), BytesPerSecond: l.rates.median()}
}

// Observe takes one request's time, from sending it to having read its
// answer, and the answer's bytes.
func (l *Link) Observe(elapsed time.Duration, bytes int64) {
	if l == nil || l.fixed || elapsed <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case bytes <= smallAnswer:
		l.rtts.add(float64(elapsed))
	case bytes >= largeAnswer:
		// The transfer is what the round trip does not explain; at least
		// half the whole, so that a round trip estimated too high cannot
		// inflate the rate.
		rtt := time.Duration(l.rtts.median())
		transfer := max(elapsed-rtt, elapsed/2)
		l.rates.add(float64(bytes) / transfer.Seconds())
	}
}
