package media

import (
	"syscall"
	"time"
)

// threadCPU is the user and system CPU time the calling OS thread has
// used: on a shared machine, unlike wall time, it leaves out the time the
// thread waited for a core.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
