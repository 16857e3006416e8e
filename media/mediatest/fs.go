package mediatest

import (
	"bytes"
	"os"
	"sync"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of size (as mount -o size= takes it, "4m") on a
// new directory and unmounts it when the test ends: a small disk to fill
// up, or to remount read-only. Where mounting is not allowed (not root,
// no CAP_SYS_ADMIN) the test is skipped, saying why.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "recorder-tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		os.Remove(dir)
		t.Skipf("skipped: cannot mount a %s tmpfs (needs root or CAP_SYS_ADMIN): %v", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			// A file on it is still open: detach it; it goes when closed.
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		os.Remove(dir)
	})
	return dir
}

// LogBuffer collects log lines (a slog handler's writer) for a test to
// read while the code under test still writes.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Take returns what was logged since the last Take, and forgets it.
func (l *LogBuffer) Take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.buf.String()
	l.buf.Reset()
	return s
}
