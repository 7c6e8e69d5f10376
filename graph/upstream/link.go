package upstream

import (
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

// Link learns the LinkModel from the requests actually sent: an
// exponentially weighted moving average of the time small answers take (the
// round trip) and of the rate at which large ones arrive. It is a property
// of the link and of Clevertim, the same for every API key, so one Link
// serves a whole handler; it holds timings and sizes only. Safe for
// concurrent use; a nil *Link is the default model.
type Link struct {
	mu    sync.Mutex
	model LinkModel
	fixed bool
	rtts  int // samples taken so far
	rates int
}

// Answers up to smallAnswer bytes time the round trip; answers of at least
// largeAnswer bytes time the throughput. Those in between say too little
// about either to be worth a sample.
const (
	smallAnswer = 16 << 10
	largeAnswer = 256 << 10
	// linkWeight is the weight of a new sample in the averages: the model
	// follows a change in the link within some ten requests, and one slow
	// request moves it by a fifth.
	linkWeight = 0.2
)

// NewLink returns a Link that starts from prior and learns from then on.
func NewLink(prior LinkModel) *Link {
	return &Link{model: prior.orDefault()}
}

// FixedLink returns a Link that always answers m and ignores what it is
// told: tests fix the model so that choices they count are deterministic.
func FixedLink(m LinkModel) *Link { return &Link{model: m.orDefault(), fixed: true} }

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
	return l.model
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
		l.model.RTT = time.Duration(average(float64(l.model.RTT), float64(elapsed), l.rtts))
		l.rtts++
	case bytes >= largeAnswer:
		// The transfer is what the round trip does not explain; at least
		// half the whole, so that a round trip estimated too high cannot
		// inflate the rate.
		transfer := max(elapsed-l.model.RTT, elapsed/2)
		rate := float64(bytes) / transfer.Seconds()
		l.model.BytesPerSecond = average(l.model.BytesPerSecond, rate, l.rates)
		l.rates++
	}
}

// average moves avg towards sample; the first sample replaces the prior.
// A sample counts as at most twice or half the average: a request that
// waited behind a burst of decoding on a busy machine, or a cached answer,
// moves the model by a fifth of that, while a lasting change in the link
// still shows within some ten requests.
func average(avg, sample float64, seen int) float64 {
	if seen == 0 {
		return sample
	}
	sample = min(max(sample, avg/2), avg*2)
	return avg + linkWeight*(sample-avg)
}
