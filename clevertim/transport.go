package clevertim

import (
	"net/http"
	"time"
)

// Connection pool sizes of NewTransport: one API key may have 16 requests in
// flight by default, and a server acts for several keys at once.
const (
	idleConnsPerHost = 128
	idleConns        = 256
)

// NewTransport returns an HTTP transport fit for calling Clevertim:
// http.DefaultTransport's settings (proxy from the environment, dial and
// TLS timeouts, HTTP/2 when the server offers it over TLS) with an idle pool
// large enough that a busy server keeps reusing its connections instead of
// opening (and TLS-handshaking) new ones; the default keeps 2 per host.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = idleConns
	t.MaxIdleConnsPerHost = idleConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = true
	t.DisableKeepAlives = false
	return t
}
