package clevertim

import "context"

// ReadSharer lets concurrent identical GETs share one request: see
// WithReadSharing.
type ReadSharer interface {
	// Share returns what fetch returns, calling it only if no call with the
	// same key is in flight; otherwise it waits for that call. fetch gets a
	// context that no single caller can cancel; a caller whose ctx ends
	// leaves at once with ctx's error. Keys hold no API key.
	Share(ctx context.Context, key string, fetch func(context.Context) (any, error)) (any, error)
	// Wrote is called when a write's answer is in (or lost): reads that
	// start afterwards must not share a request that started before.
	Wrote()
}

// WithReadSharing makes concurrent GETs of the same URL with the same key
// share one request. The records a shared List returns are shared by all
// its callers: treat them as read-only (copy one before changing it). Get
// gives each caller its own record.
func WithReadSharing(s ReadSharer) Option { return func(c *config) { c.sharer = s } }
