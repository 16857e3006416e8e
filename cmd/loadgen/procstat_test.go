package main

import (
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadProc_Testdata reads a recorded /proc: a command name with spaces
// and parentheses, and a kernel thread without VmRSS.
func TestReadProc_Testdata(t *testing.T) {
	s, err := readProc("testdata/proc", 4242)
	if err != nil {
		t.Fatal(err)
	}
	if want := (1234 + 567) * 10 * time.Millisecond; s.cpu != want {
		t.Errorf("cpu %s, want %s (utime 1234 + stime 567 ticks)", s.cpu, want)
	}
	if s.rssKB != 55296 {
		t.Errorf("rss %d kB, want 55296 (VmRSS, not VmHWM)", s.rssKB)
	}
	if s.load1 != 0.69 {
		t.Errorf("load %.2f, want 0.69", s.load1)
	}
	if _, err := readProc("testdata/proc", 2); err == nil || !strings.Contains(err.Error(), "VmRSS") {
		t.Errorf("a process without VmRSS: %v, want an error naming it", err)
	}
	if _, err := readProc("testdata/proc", 999999); err == nil {
		t.Error("a missing process: no error")
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1 (init) S 0 1 1 0 -1 4194560 1 2 3 4 10 20 0 0 20 0 1 0 5", 30, true},
		{"7 (a) b) c) R 0 1 1 0 -1 0 0 0 0 0 1 2 0 0", 3, true},
		{"7 (x y) R 0 1 1 0 -1 0 0 0 0 0 1 2", 3, true},
		{"7 x R 0 1 1 0 -1 0 0 0 0 0 1 2 0 0", 0, false},     // no parentheses
		{"7 (x) R 0 1 1 0 -1 0 0 0 0 0 1", 0, false},         // cut short
		{"7 (x) R 0 1 1 0 -1 0 0 0 0 0 one 2 0 0", 0, false}, // not a number
		{"7 (x) R 0 1 1 0 -1 0 0 0 0 0 1 -2 0 0", 0, false},  // negative
	} {
		got, err := parseStatCPU([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStatCPU(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseStatusRSS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tx\nVmHWM:\t  9 kB\nVmRSS:\t  7 kB\n", 7, true},
		{"VmRSS:\t7 MB\n", 0, false},
		{"VmRSS:\tseven kB\n", 0, false},
		{"Name:\tx\n", 0, false},
	} {
		got, err := parseStatusRSS(strings.NewReader(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseStatusRSS(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestReadProc_Self reads this test's own process and checks it against
// what the kernel says through getrusage, and that touching memory shows.
func TestReadProc_Self(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	cpuNow := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// Burn some CPU first, so that the figures are well above zero.
	for x, end := 0, time.Now().Add(100*time.Millisecond); time.Now().Before(end); x++ {
		_ = x * x
	}
	before, err := readProc("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	ru := cpuNow()
	after, err := readProc("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// /proc truncates user and system time to whole ticks each, so their
	// sum may be up to two ticks behind getrusage.
	tick := time.Second / userHZ
	if ru < before.cpu || ru > after.cpu+2*tick {
		t.Errorf("getrusage says %s of CPU, /proc %s just before and %s just after", ru, before.cpu, after.cpu)
	}
	if before.cpu < 50*time.Millisecond {
		t.Errorf("/proc says %s of CPU after 100 ms of spinning", before.cpu)
	}

	const grow = 64 << 20
	buf := make([]byte, grow)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = 1
	}
	grown, err := readProc("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(buf)
	if d := grown.rssKB - after.rssKB; d < grow/1024*3/4 {
		t.Errorf("RSS grew %d kB after touching %d kB", d, grow/1024)
	}
}

func TestComputeUsage(t *testing.T) {
	t0 := time.Unix(1000, 0)
	idle := procSample{at: t0, cpu: 2 * time.Second, rssKB: 40_000}
	start := procSample{at: t0.Add(time.Second), cpu: 3 * time.Second, rssKB: 50_000, load1: 0.5}
	stop := procSample{at: t0.Add(11 * time.Second), cpu: 6 * time.Second, rssKB: 60_000}
	// 32 sessions, 10 s each: 320 s of audio for 3 s of CPU.
	u := computeUsage(7, idle, start, stop, 32, 320)
	want := ServerUsage{ServerPID: 7, Load1: 0.5, CPUSeconds: 3, WallSeconds: 10, CPUCores: 0.3, AudioSeconds: 320,
		CPUMsPerAudioS: 9.375, RSSIdleKB: 40_000, RSSStartKB: 50_000, RSSEndKB: 60_000, RSSPerSessionKB: 625}
	if *u != want {
		t.Errorf("usage\n %+v, want\n %+v", *u, want)
	}

	// In the summary: a line of text, fields of the JSON object.
	var text, js bytes.Buffer
	if err := writeSummary(&text, summary{Sessions: 32, ServerUsage: u}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "cpu_ms_per_audio_s_per_session=9.38") || !strings.Contains(text.String(), "rss_per_session=625kB") {
		t.Errorf("text summary:\n%s", text.String())
	}
	if err := writeSummary(&js, summary{Sessions: 32, ServerUsage: u}, true); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["cpu_ms_per_audio_s_per_session"] != 9.375 || m["rss_per_session_kb"] != 625.0 || m["rss_end_kb"] != 60000.0 || m["sessions"] != 32.0 {
		t.Errorf("JSON summary: %s", js.String())
	}
	// Without -server-pid the fields are absent, not zero.
	js.Reset()
	if err := writeSummary(&js, summary{Sessions: 1}, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(js.String(), "cpu_ms") {
		t.Errorf("JSON summary without a pid: %s", js.String())
	}
}

// TestRun_ServerPID: with -server-pid, a load run reports the server's CPU
// and memory in its JSON summary. The server here runs in the test's own
// process, so the figures include loadgen's own work: the test checks
// they are there and sane, not what they are.
func TestRun_ServerPID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc is Linux's")
	}
	srv := startServer(t)
	var out bytes.Buffer
	args := []string{"-url", srv.url, "-sessions", "2", "-duration", "2s", "-capture", testCapture,
		"-json", "-server-pid", strconv.Itoa(os.Getpid())}
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	var sum summary
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &sum); err != nil {
				t.Fatalf("summary %s: %v", line, err)
			}
		}
	}
	u := sum.ServerUsage
	if u == nil {
		t.Fatalf("no server figures in the summary:\n%s", out.String())
	}
	t.Logf("%+v", *u)
	if u.ServerPID != os.Getpid() || u.WallSeconds < 1.9 || u.WallSeconds > 4 || u.AudioSeconds < 3.8 || u.AudioSeconds > 4.2 {
		t.Errorf("pid %d, %.2f s of wall time, %.2f s of audio; want %d, about 2 s and 4 s",
			u.ServerPID, u.WallSeconds, u.AudioSeconds, os.Getpid())
	}
	if u.CPUSeconds <= 0 || u.CPUMsPerAudioS <= 0 || u.RSSIdleKB <= 0 || u.RSSEndKB <= 0 {
		t.Errorf("no CPU or memory measured: %+v", *u)
	}
	if got := 1000 * u.CPUSeconds / u.AudioSeconds; got != u.CPUMsPerAudioS {
		t.Errorf("cpu_ms_per_audio_s_per_session %.3f, want %.3f", u.CPUMsPerAudioS, got)
	}

	if err := run(t.Context(), []string{"-url", srv.url, "-capture", testCapture, "-server-pid", "999999999"}, &out); err == nil || !strings.Contains(err.Error(), "-server-pid") {
		t.Errorf("a missing server process: %v", err)
	}
}
