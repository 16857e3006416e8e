package rtc

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// formatted counts how often it was formatted into a line.
type formatted struct{ n *int }

func (f formatted) String() string { *f.n++; return "x" }

// TestPionLogs: every session's pion scope shares one logger, pion's
// errors reach the server's log as warnings with their scope, and a line
// below the handler's level is never formatted.
func TestPionLogs(t *testing.T) {
	var out bytes.Buffer
	logs := newPionLogs(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})))
	a, b := logs.NewLogger("ice"), logs.NewLogger("ice")
	if a != b {
		t.Error("two sessions' ice loggers are two loggers, want one shared")
	}
	a.Errorf("failed to read: %v", "use of closed connection")
	if got := out.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "pion=ice") ||
		!strings.Contains(got, `msg="failed to read: use of closed connection"`) {
		t.Errorf("pion's error logged as %q, want a warning with pion=ice and its message", got)
	}
	out.Reset()
	n := 0
	a.Debugf("%v", formatted{&n})
	a.Tracef("%v", formatted{&n})
	a.Warnf("%v", formatted{&n})
	if n != 0 || out.Len() != 0 {
		t.Errorf("lines below the handler's level: formatted %d times, wrote %q; want none", n, out.String())
	}

	// -log-level debug-4 shows pion's own debug lines.
	var level slog.Level
	if err := level.UnmarshalText([]byte("debug-4")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	debug := newPionLogs(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: level}))).NewLogger("dtls")
	debug.Debugf("handshake %s", "flight 4")
	if got := out.String(); !strings.Contains(got, `msg="handshake flight 4"`) || !strings.Contains(got, "pion=dtls") {
		t.Errorf("at debug-4, pion's debug line logged as %q", got)
	}
}
