package telemetry_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// However many errors an operation has, and of however many codes, its log
// line names at most 16 codes (the rest are "(other)") and counts them all.
func TestOperation_LogLineIsBounded(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	tel := telemetry.New(slog.New(slog.NewJSONHandler(&logs, nil)), telemetry.NewMetrics(0), nil)
	ctx, op := tel.Begin(httptest.NewRequest("POST", "/query", nil))
	var codes []string
	for i := range 100_000 {
		codes = append(codes, fmt.Sprintf("CODE_%d", i%1000))
	}
	op.Answered(false, codes, 0, 0)
	op.End(ctx, 200, nil)
	if logs.Len() > 2048 {
		t.Errorf("the log line has %d bytes", logs.Len())
	}
	var line struct {
		Errors     []string
		ErrorCount int `json:"error_count"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if len(line.Errors) != 17 || line.Errors[0] != "CODE_0" || line.Errors[16] != telemetry.OtherCode || line.ErrorCount != 100_000 {
		t.Errorf("errors %v, error_count %d", line.Errors, line.ErrorCount)
	}
}
