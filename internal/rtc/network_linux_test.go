package rtc_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/avatarweb/recorder/internal/rtc"
)

// TestNetwork_UDPPortBuffer: the one UDP port's socket asks the kernel
// for a large receive buffer. Every session's packets queue there while
// its one reader waits for a core; at the kernel's default (208 KB) 100
// sessions on a loaded machine lost 3–6 % of their packets through it
// (cmd/loadgen, docs/performance.md) where a socket per session lost none.
func TestNetwork_UDPPortBuffer(t *testing.T) {
	port := freePort(t)
	newManager(t, func(c *rtc.Config) {
		c.Network = rtc.Network{UDPPort: port, Interfaces: []string{"lo"}, Networks: []string{"udp4"}}
	})
	fd := udpSocketFD(t, port)
	got, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	if err != nil {
		t.Fatal(err)
	}
	want := min(4<<20, readInt(t, "/proc/sys/net/core/rmem_max")) // the kernel's cap
	// The kernel reports twice what it grants (its bookkeeping included).
	if got/2 < want {
		t.Errorf("the UDP port's receive buffer is %d bytes, want %d", got/2, want)
	}
}

// udpSocketFD finds this process's descriptor of the UDP socket bound to
// port, through /proc: the socket's inode in /proc/net/udp, then the
// descriptor that links to it.
func udpSocketFD(t *testing.T, port int) int {
	t.Helper()
	f, err := os.Open("/proc/net/udp")
	if err != nil {
		t.Skipf("no /proc/net/udp: %v", err)
	}
	defer f.Close()
	var inode string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && strings.HasSuffix(fields[1], fmt.Sprintf(":%04X", port)) {
			inode = fields[9]
		}
	}
	if inode == "" {
		t.Fatalf("no UDP socket on port %d in /proc/net/udp", port)
	}
	links, _ := filepath.Glob("/proc/self/fd/*")
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && target == "socket:["+inode+"]" {
			fd, _ := strconv.Atoi(filepath.Base(l))
			return fd
		}
	}
	t.Fatalf("no descriptor of socket %s", inode)
	return -1
}

func readInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
