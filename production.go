package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// newTelemetry builds the server's logger (on w), metrics and, when the
// OTEL_* environment asks for it, span exporter. flush sends the last spans.
func newTelemetry(ctx context.Context, o productionOptions, getenv func(string) string, w io.Writer) (
	tel *telemetry.Telemetry, flush func(), err error) {
	logger, err := telemetry.NewLogger(w, o.logFormat, o.logLevel)
	if err != nil {
		return nil, nil, err
	}
	tp, err := telemetry.NewTracerProvider(ctx, getenv)
	if err != nil {
		return nil, nil, err
	}
	flush = func() {}
	var provider trace.TracerProvider // nil, not a nil *TracerProvider, when off
	if tp != nil {
		provider = tp
		flush = func() {
			// The run's context is done by now: flushing gets its own time.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tp.Shutdown(ctx); err != nil {
				logger.Warn("flushing spans", "error", err)
			}
		}
	}
	return telemetry.New(logger, telemetry.NewMetrics(o.maxOperationNames), provider), flush, nil
}

// mountProduction adds /readyz and /metrics to mux, or serves /metrics on
// -metrics-addr; stop closes that listener.
func mountProduction(mux *http.ServeMux, base string, o options, tel *telemetry.Telemetry) (
	readyz *readiness, metricsURL string, stop func(), err error) {
	readyz = &readiness{check: upstreamCheck(&http.Client{Timeout: 5 * time.Second}, o.upstreamURL, o.apiKey),
		interval: o.prod.readyCheckInterval}
	mux.Handle("GET /readyz", readyz)
	if o.prod.metricsAddr == "" {
		mux.Handle("GET /metrics", tel.Metrics.Handler())
		return readyz, base + "/metrics", func() {}, nil
	}
	addr, stop, err := metricsListener(o.prod.metricsAddr, tel.Metrics.Handler(), tel.Logger)
	if err != nil {
		return nil, "", nil, err
	}
	return readyz, "http://" + addr + "/metrics", stop, nil
}

// metricsListener serves /metrics on its own address, so that it need not
// be exposed where /query is; stop closes it.
func metricsListener(addr string, metrics http.Handler, logger *slog.Logger) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{Handler: codedErrors(mux), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "error", err)
		}
	}()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}
