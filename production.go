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

// metricsListener serves /metrics on its own address, so that it need not
// be exposed where /query is; stop closes it.
func metricsListener(addr string, metrics http.Handler, logger *slog.Logger) (bound string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "error", err)
		}
	}()
	return ln.Addr().String(), func() { _ = srv.Close() }, nil
}
