//go:build !linux

package media

import "time"

// threadCPU is unmeasured here: benchmarks report no CPU time.
func threadCPU() time.Duration { return 0 }
