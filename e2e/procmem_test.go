package e2e

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// serverProcess is the built server binary running for one test, measured
// from outside through /proc as an attacker's victim would be.
type serverProcess struct {
	cmd  *exec.Cmd
	addr string
}

// runServer starts bin on a free loopback port with args (after -addr
// and -data) and env (added to this process's), waits until it answers
// /healthz, and kills it when the test ends.
func runServer(t *testing.T, bin string, env []string, args ...string) *serverProcess {
	t.Helper()
	addr := freeAddr(t)
	args = append([]string{"-addr", addr, "-data", t.TempDir(), "-log-level", "error"}, args...)
	return &serverProcess{cmd: spawn(t, bin, env, args, "http://"+addr+"/healthz"), addr: addr}
}

// memory reads the process's resident set now (VmRSS) and its peak so far
// (VmHWM), in bytes.
func (p *serverProcess) memory(t *testing.T) (rss, peak int64) {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatalf("reading the server's memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", name, value)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if rss == 0 || peak == 0 {
		t.Fatal("no VmRSS or VmHWM in /proc/PID/status")
	}
	return rss, peak
}

// raiseFileLimit makes sure this process, and the servers it starts
// (which inherit the limit), may each hold n open files: it raises the
// soft limit up to the hard one, and skips the test if even that is
// lower.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("needs %d open files, and the hard limit (ulimit -Hn) is %d", n, lim.Max)
	}
	old := lim.Cur
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		lim.Cur = old
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	})
}

// mib writes bytes as MiB with one decimal.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
