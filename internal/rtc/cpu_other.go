//go:build !unix

package rtc

import "time"

// processCPU is unknown here: admission then goes by lag and handshakes.
func processCPU() time.Duration { return 0 }
