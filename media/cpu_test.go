package media

import (
	"runtime"
	"testing"
)

// reportCPU pins the benchmark to its thread; the function it returns
// reports the thread's CPU time per op (cpu-ns/op), which a machine shared
// with other work disturbs far less than wall time. Set-up the timer skips
// is counted too: it must be small beside the loop.
func reportCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		used := threadCPU() - start
		runtime.UnlockOSThread()
		if used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}
