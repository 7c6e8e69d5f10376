package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// readiness answers /readyz: ready while Clevertim answers and the server
// is not shutting down. Checks are reused for an interval, and one runs at a
// time, so a storm of probes costs Clevertim one request per interval.
type readiness struct {
	check func(context.Context) error
	// redis, when set, is reported but does not make the server unready:
	// without Redis each replica still answers from its memory and
	// Clevertim, and taking every replica out at once would be an outage.
	redis    func(context.Context) error
	interval time.Duration
	draining atomic.Bool

	mu       sync.Mutex // held during a check: concurrent probes share it
	checked  time.Time
	err      error
	redisErr error
}

// upstreamCheck asks Clevertim something cheap: with a key, the account's
// users (few, and an authenticated read proves the key still works);
// without one, whether the API root answers HTTP at all.
func upstreamCheck(client *http.Client, apiRoot, apiKey string) func(context.Context) error {
	apiRoot = strings.TrimRight(apiRoot, "/")
	return func(ctx context.Context) error {
		target := apiRoot + "/"
		if apiKey != "" {
			target = apiRoot + "/user"
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		if apiKey != "" {
			req.SetBasicAuth(apiKey, "X")
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("clevertim unreachable: %w", err)
		}
		// Read (a bounded part of) the answer so its connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if apiKey != "" && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("clevertim answered %d to an authenticated read", resp.StatusCode)
		}
		return nil
	}
}

func (rd *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, body := http.StatusOK, map[string]string{"status": "ready"}
	if rd.draining.Load() {
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "shutting down"}
	} else if err, redisErr := rd.result(r.Context()); err != nil {
		status, body = http.StatusServiceUnavailable, map[string]string{"status": "upstream unavailable", "error": err.Error()}
	} else if rd.redis != nil {
		body["redis"] = "ok"
		if redisErr != nil {
			body["redis"] = "unavailable: " + redisErr.Error()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func (rd *readiness) result(ctx context.Context) (upstream, redis error) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.checked.IsZero() && time.Since(rd.checked) < rd.interval {
		return rd.err, rd.redisErr
	}
	// Not the probe's context: a probe that gives up must not leave the
	// next ones a cancelled result.
	checkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rd.err = rd.check(checkCtx)
	if rd.redis != nil {
		rd.redisErr = rd.redis(checkCtx)
	}
	rd.checked = time.Now()
	return rd.err, rd.redisErr
}
