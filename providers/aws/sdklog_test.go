package aws

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// The SDK's warnings reach the log as warnings, except the note that a
// response body could not be drained, which costs only a connection and is
// debug: it appeared on CI runs under throttling with nothing wrong.
func TestSDKLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	l := sdkLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Logf(logging.Warn, "failed to discard remaining HTTP response body, this may affect connection reuse: %v", "read tcp: use of closed network connection")
	l.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	l.Logf(logging.Debug, "request sent")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"level=DEBUG msg=\"failed to discard", "level=WARN msg=\"Response has no supported checksum", "level=DEBUG msg=\"request sent"}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) || !strings.Contains(lines[i], "source=aws-sdk") {
			t.Errorf("line %d = %q, want %q and source=aws-sdk", i, lines[i], w)
		}
	}
}
