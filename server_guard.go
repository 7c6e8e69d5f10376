package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/graph"
)

// guardFlags are the limits on hostile input: documents, answers, load.
type guardFlags struct {
	maxTokens, maxFields, maxFragments, maxDirectives, maxErrors int
	maxResponseBytes, maxInputValues                             int
	maxOperations, maxOperationsPerKey, maxOperationsPerClient   int
	queueWait, writeTimeout                                      time.Duration
	trustedProxies                                               prefixList
}

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
