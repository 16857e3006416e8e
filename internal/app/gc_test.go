package app

import (
	"runtime/debug"
	"testing"
)

// TestPaceCollector: without GOGC the server runs the collector at
// gcPercent; a GOGC the operator set stands.
func TestPaceCollector(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if got := paceCollector(func(string) string { return "" }); got != gcPercent {
		t.Errorf("without GOGC the pace is %d, want %d", got, gcPercent)
	}
	if now := debug.SetGCPercent(100); now != gcPercent {
		t.Errorf("the runtime's pace is %d, want %d", now, gcPercent)
	}
	if got := paceCollector(func(k string) string { return map[string]string{"GOGC": "100"}[k] }); got != 100 {
		t.Errorf("with GOGC=100 the pace is %d, want the operator's 100", got)
	}
}
