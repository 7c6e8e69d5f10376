package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/felixge/httpsnoop"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// guardFlags are the limits on hostile input: documents, answers, load.
type guardFlags struct {
	maxTokens, maxFields, maxFragments, maxDirectives, maxErrors int
	maxResponseBytes, maxInputValues                             int
	maxOperations, maxOperationsPerKey, maxOperationsPerClient   int
	queueWait, writeTimeout                                      time.Duration
	trustedProxies                                               prefixList
	maxHeaderBytes                                               int
}

// defaultMaxHeaderBytes leaves room for long tokens and cookies, well
// below net/http's 1 MiB.
const defaultMaxHeaderBytes = 64 << 10

// prefixList is a flag of comma-separated IP addresses and CIDR prefixes.
type prefixList []netip.Prefix

func (l *prefixList) String() string {
	s := make([]string, len(*l))
	for i, p := range *l {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func (l *prefixList) Set(v string) error {
	*l = nil
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			a, aerr := netip.ParseAddr(item)
			if aerr != nil {
				return fmt.Errorf("%q is neither an IP address nor a CIDR prefix", item)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		*l = append(*l, p.Masked())
	}
	return nil
}

func (g *guardFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&g.maxTokens, "max-tokens", graph.DefaultMaxTokens, "most tokens in a GraphQL document (-1: no limit)")
	fs.IntVar(&g.maxFields, "max-fields", graph.DefaultMaxFields, "most fields in an operation, fragments expanded, __typename included (-1: no limit)")
	fs.IntVar(&g.maxFragments, "max-fragments", graph.DefaultMaxFragments, "most fragments defined, and spread with spreads expanded (-1: no limit)")
	fs.IntVar(&g.maxDirectives, "max-directives", graph.DefaultMaxDirectives, "most directives in an operation, fragments expanded (-1: no limit)")
	fs.IntVar(&g.maxErrors, "max-errors", graph.DefaultMaxErrors, "most validation errors reported; the rest are counted (-1: no limit)")
	fs.IntVar(&g.maxInputValues, "max-input-values", graph.DefaultMaxInputValues,
		"most input values (objects such as filters and their and/or/not terms, and list items) in an operation's arguments and variables (-1: no limit)")
	fs.IntVar(&g.maxResponseBytes, "max-response-bytes", graph.DefaultMaxResponseBytes, "largest answer; past it the operation stops (-1: no limit)")
	fs.IntVar(&g.maxOperations, "max-operations", graph.DefaultMaxOperations, "most operations executing at once (-1: no limit)")
	fs.IntVar(&g.maxOperationsPerKey, "max-operations-per-key", graph.DefaultMaxOperationsPerKey, "most operations executing at once per API key (-1: no limit)")
	fs.IntVar(&g.maxOperationsPerClient, "max-operations-per-client", graph.DefaultMaxOperationsPerClient,
		"most operations executing at once per client address among requests without an API key, within the default key's share (-1: no limit)")
	fs.Var(&g.trustedProxies, "trusted-proxies",
		"comma-separated IP addresses or CIDR prefixes of the proxies whose X-Forwarded-For names the client; empty: the peer is the client")
	fs.IntVar(&g.maxHeaderBytes, "max-header-bytes", defaultMaxHeaderBytes,
		"largest request line and headers accepted; larger ones get 431 HEADERS_TOO_LARGE (-1: net/http's 1 MiB, answered in plain text)")
	fs.DurationVar(&g.queueWait, "queue-wait", graph.DefaultQueueWait, "how long an operation over those limits waits before 503 OVERLOADED")
	fs.DurationVar(&g.writeTimeout, "write-timeout", graph.DefaultWriteTimeout,
		"how long a client may take to read each 16 KiB of an answer before it is cut off")
}

func (g guardFlags) apply(cfg *graph.HandlerConfig) {
	cfg.MaxTokens, cfg.MaxFields, cfg.MaxFragments, cfg.MaxDirectives, cfg.MaxErrors =
		g.maxTokens, g.maxFields, g.maxFragments, g.maxDirectives, g.maxErrors
	cfg.MaxResponseBytes, cfg.MaxInputValues = g.maxResponseBytes, g.maxInputValues
	cfg.MaxOperations, cfg.MaxOperationsPerKey, cfg.QueueWait = g.maxOperations, g.maxOperationsPerKey, g.queueWait
	cfg.MaxOperationsPerClient, cfg.TrustedProxies = g.maxOperationsPerClient, g.trustedProxies
	cfg.WriteTimeout = g.writeTimeout
}

// internalServer serves the embedded emulator to the facade alone, on a
// loopback port of its own. Through the public listener, the upstream
// requests of operations still finishing during shutdown would fail once
// that listener is closed.
type internalServer struct {
	*http.Server
	url string
}

func serveInternally(h http.Handler) (*internalServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	// Serve ends with ErrServerClosed when the server shuts down; any
	// other failure shows as the facade's UPSTREAM_UNAVAILABLE.
	go func() { _ = srv.Serve(ln) }()
	return &internalServer{Server: srv, url: "http://" + ln.Addr().String()}, nil
}

func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// checkHost answers only requests addressed to this server: a Host that is
// listed in allowed, an IP address it listens on (any, when it listens on
// all of them), or localhost when it listens on loopback. A name an
// attacker controls (DNS rebinding) is refused with 421.
func checkHost(listen net.Addr, allowed string, next http.Handler) http.Handler {
	names := map[string]bool{}
	for _, h := range strings.Split(allowed, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			names[h] = true
		}
	}
	tcp, _ := listen.(*net.TCPAddr)
	ok := func(host string) bool {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if names[host] {
			return true
		}
		if tcp == nil {
			return false
		}
		if ip := net.ParseIP(host); ip != nil {
			return tcp.IP.IsUnspecified() || ip.Equal(tcp.IP) || ip.IsLoopback() && tcp.IP.IsLoopback()
		}
		return host == "localhost" && (tcp.IP.IsLoopback() || tcp.IP.IsUnspecified())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ok(r.Host) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMisdirectedRequest)
			_, _ = w.Write([]byte(`{"errors":[{"message":"this server does not answer to that Host; list it in -allowed-hosts","extensions":{"code":"HOST_NOT_ALLOWED"}}]}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Codes of the answers the server gives outside /query.
const (
	codeNotFound         = "NOT_FOUND"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeHeadersTooLarge  = "HEADERS_TOO_LARGE"
)

// plainCode is the code of an error net/http's own handlers write as
// plain text (http.Error): the mux's 404 and 405, a file server's 404 and
// 400s, the rare 500.
func plainCode(status int) (string, bool) {
	switch status {
	case http.StatusBadRequest:
		return graph.CodeBadRequest, true
	case http.StatusNotFound:
		return codeNotFound, true
	case http.StatusMethodNotAllowed:
		return codeMethodNotAllowed, true
	case http.StatusInternalServerError:
		return graph.CodeInternal, true
	}
	return "", false
}

// codedErrors gives the plain-text errors of net/http's handlers (an
// unknown path, a method a path does not take, a GraphiQL asset that does
// not exist) a JSON body with an extensions.code, like every other error
// of the server. Answers already in JSON (the emulator's, as Clevertim
// gives them) pass untouched.
func codedErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orig, replaced := w, false
		w = httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(write httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(status int) {
					code, ok := plainCode(status)
					if !ok || replaced || !strings.HasPrefix(orig.Header().Get("Content-Type"), "text/plain") {
						write(status)
						return
					}
					replaced = true
					message := http.StatusText(status)
					switch status {
					case http.StatusNotFound:
						message = fmt.Sprintf("no such path: %s; GraphQL is served at /query", r.URL.Path)
					case http.StatusMethodNotAllowed:
						message = fmt.Sprintf("%s does not take %s; allowed: %s", r.URL.Path, r.Method, orig.Header().Get("Allow"))
					}
					writeCoded(orig, status, message, code)
				}
			},
			// The plain text that follows a replaced header is dropped.
			Write: func(write httpsnoop.WriteFunc) httpsnoop.WriteFunc {
				return func(b []byte) (int, error) {
					if replaced {
						return len(b), nil
					}
					return write(b)
				}
			},
		})
		next.ServeHTTP(w, r)
	})
}

func writeCoded(w http.ResponseWriter, status int, message, code string) {
	body, _ := json.Marshal(map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]any{"code": code}}},
	})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// limitHeaders refuses a request whose line and headers are over max bytes
// with a coded 431. net/http refuses larger ones itself, in plain text,
// before any handler runs: headerHardCap sets its limit above max, so that
// only requests far over it (or a malformed request line) get that.
func limitHeaders(max int, next http.Handler) http.Handler {
	if max <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// As net/http counts them, near enough: the request line, then
		// "Name: value\r\n" for each header, Host included.
		n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: \r\n") + len(r.Host)
		for name, values := range r.Header {
			for _, v := range values {
				n += len(name) + len(v) + 4
			}
		}
		if n > max {
			writeCoded(w, http.StatusRequestHeaderFieldsTooLarge,
				fmt.Sprintf("the request's headers are %d bytes, over the limit of %d", n, max), codeHeadersTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headerHardCap is the http.Server's MaxHeaderBytes for a -max-header-bytes
// of max: twice it, so that limitHeaders answers the requests a little over.
func headerHardCap(max int) int {
	if max <= 0 {
		return 0 // net/http's default, 1 MiB
	}
	return 2 * max
}
