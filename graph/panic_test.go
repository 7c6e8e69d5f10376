package graph

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestRecoverPanic_LogsTheStack: a panic's log line says where it happened.
// Not parallel: it swaps the default logger.
func TestRecoverPanic_LogsTheStack(t *testing.T) {
	var logged bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	func() {
		defer func() {
			if err := recoverPanic(context.Background(), recover()); err == nil {
				t.Error("no error for a panic")
			}
		}()
		panicInAResolver()
	}()
	if !strings.Contains(logged.String(), "panicInAResolver") {
		t.Errorf("the log does not show where the panic happened: %s", logged.String())
	}
}

func panicInAResolver() { panic("boom") }
