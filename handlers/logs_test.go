package handlers_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// logLines is a slog handler's output that tests can count lines of.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	t   *testing.T
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Logf("%s", bytes.TrimSpace(p))
	return l.buf.Write(p)
}

// count counts the lines that contain substr.
func (l *logLines) count(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), substr)
}

// warnings is every line logged at level WARN.
func (l *logLines) warnings() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, "level=WARN") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// errors counts the lines logged at level ERROR that contain substr.
func (l *logLines) errors(substr string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

// lines is every line that contains substr.
func (l *logLines) lines(substr string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, line := range strings.Split(l.buf.String(), "\n") {
		if strings.Contains(line, substr) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
