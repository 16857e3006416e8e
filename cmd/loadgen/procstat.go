package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// With -server-pid, loadgen reads the server's CPU time and resident memory
// from /proc (Linux; loadgen is loopback-only, so the server is a process
// of this machine): once before the sessions connect (the idle RSS), once
// as they start streaming and once as they stop (before the takes are
// stopped), and reports the server's CPU per second of audio per session
// and its RSS per session.

// userHZ is the unit of utime and stime in /proc/PID/stat: USER_HZ, which
// Linux fixes at 100 on every architecture Go supports (sysconf(_SC_CLK_TCK)).
const userHZ = 100

// procSample is one reading of a process.
type procSample struct {
	at    time.Time
	cpu   time.Duration // user + system time of every thread so far
	rssKB int64         // resident set now
	load1 float64       // the machine's 1-minute load average
}

// readProc reads process pid under root (normally "/proc").
func readProc(root string, pid int) (procSample, error) {
	s := procSample{at: time.Now()}
	dir := filepath.Join(root, strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procSample{}, fmt.Errorf("server process: %w", err)
	}
	ticks, err := parseStatCPU(stat)
	if err != nil {
		return procSample{}, fmt.Errorf("server process: %s/stat: %w", dir, err)
	}
	s.cpu = time.Duration(ticks) * time.Second / userHZ
	status, err := os.Open(filepath.Join(dir, "status"))
	if err != nil {
		return procSample{}, fmt.Errorf("server process: %w", err)
	}
	defer status.Close()
	if s.rssKB, err = parseStatusRSS(status); err != nil {
		return procSample{}, fmt.Errorf("server process: %s/status: %w", dir, err)
	}
	// The load average is context, not a figure: a machine without it is fine.
	if b, err := os.ReadFile(filepath.Join(root, "loadavg")); err == nil {
		s.load1, _ = parseLoadAvg(b)
	}
	return s, nil
}

// parseStatCPU returns utime + stime, in ticks, from the text of
// /proc/PID/stat. The command name (field 2) is in parentheses and may hold
// spaces and parentheses itself, so the fields are counted from the last ')'.
func parseStatCPU(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("no ')' after the command name")
	}
	// After the name: state (field 3), ..., utime (14), stime (15).
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	utime, err1 := strconv.ParseUint(f[11], 10, 64)
	stime, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("utime/stime: %w", err)
	}
	return utime + stime, nil
}

// parseStatusRSS returns VmRSS, in kB, from the text of /proc/PID/status.
func parseStatusRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("VmRSS %q: want N kB", strings.TrimSpace(v))
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS: %w", err)
		}
		return n, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no VmRSS line (a zombie or kernel thread?)")
}

// parseLoadAvg returns the 1-minute load average from /proc/loadavg.
func parseLoadAvg(b []byte) (float64, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, errors.New("empty loadavg")
	}
	return strconv.ParseFloat(f[0], 64)
}

// ServerUsage is what the server spent on a run, read from /proc: the
// -server-pid part of the summary.
type ServerUsage struct {
	ServerPID int `json:"server_pid"`
	// Load1 is the machine's 1-minute load average as streaming started.
	Load1 float64 `json:"load_avg_1m"`
	// CPUSeconds is the server's user + system CPU over WallSeconds, the
	// streaming (polls included; connecting and stopping left out).
	CPUSeconds  float64 `json:"server_cpu_s"`
	WallSeconds float64 `json:"server_wall_s"`
	CPUCores    float64 `json:"server_cpu_cores"` // CPUSeconds / WallSeconds
	// AudioSeconds is the audio sent over the same span, all sessions.
	AudioSeconds float64 `json:"audio_s"`
	// CPUMsPerAudioS is server CPU ms per second of audio per session.
	CPUMsPerAudioS float64 `json:"cpu_ms_per_audio_s_per_session"`
	RSSIdleKB      int64   `json:"rss_idle_kb"`  // before the sessions connected
	RSSStartKB     int64   `json:"rss_start_kb"` // as streaming started
	RSSEndKB       int64   `json:"rss_end_kb"`   // as streaming ended
	// RSSPerSessionKB is (RSSEndKB - RSSIdleKB) / sessions.
	RSSPerSessionKB float64 `json:"rss_per_session_kb"`
}

// procMonitor takes the three samples of a run; a nil monitor (no
// -server-pid) does nothing.
type procMonitor struct {
	root              string
	pid               int
	idle, start, stop procSample
	err               error
}

// newProcMonitor returns nil for pid 0, else a monitor of pid that has
// checked the process is readable now.
func newProcMonitor(root string, pid int) (*procMonitor, error) {
	if pid == 0 {
		return nil, nil
	}
	m := &procMonitor{root: root, pid: pid}
	var err error
	if m.idle, err = readProc(root, pid); err != nil {
		return nil, fmt.Errorf("-server-pid %d: %w", pid, err)
	}
	return m, nil
}

// started samples the server as streaming starts.
func (m *procMonitor) started() {
	if m == nil {
		return
	}
	var err error
	m.start, err = readProc(m.root, m.pid)
	m.err = errors.Join(m.err, err)
}

// stopped samples the server as streaming stops.
func (m *procMonitor) stopped() {
	if m == nil {
		return
	}
	var err error
	m.stop, err = readProc(m.root, m.pid)
	m.err = errors.Join(m.err, err)
}

// usage works out the figures for sessions that sent audioSeconds of audio
// in all between the samples; nil without a monitor or a full set of samples.
func (m *procMonitor) usage(sessions int, audioSeconds float64) (*ServerUsage, error) {
	if m == nil {
		return nil, nil
	}
	if m.err != nil {
		return nil, m.err
	}
	return computeUsage(m.pid, m.idle, m.start, m.stop, sessions, audioSeconds), nil
}

func computeUsage(pid int, idle, start, stop procSample, sessions int, audioSeconds float64) *ServerUsage {
	u := &ServerUsage{
		ServerPID:    pid,
		Load1:        start.load1,
		CPUSeconds:   (stop.cpu - start.cpu).Seconds(),
		WallSeconds:  stop.at.Sub(start.at).Seconds(),
		AudioSeconds: audioSeconds,
		RSSIdleKB:    idle.rssKB,
		RSSStartKB:   start.rssKB,
		RSSEndKB:     stop.rssKB,
	}
	if u.WallSeconds > 0 {
		u.CPUCores = u.CPUSeconds / u.WallSeconds
	}
	if audioSeconds > 0 {
		u.CPUMsPerAudioS = 1000 * u.CPUSeconds / audioSeconds
	}
	if sessions > 0 {
		u.RSSPerSessionKB = float64(stop.rssKB-idle.rssKB) / float64(sessions)
	}
	return u
}

// writeUsage prints the server's figures as one line of the text report.
func writeUsage(w io.Writer, u *ServerUsage) error {
	if u == nil {
		return nil
	}
	_, err := fmt.Fprintf(w, "server: pid=%d load_avg_1m=%.2f cpu=%.2fs over %.1fs (%.2f cores) audio=%.0fs cpu_ms_per_audio_s_per_session=%.2f rss_idle=%.1fMiB rss_start=%.1fMiB rss_end=%.1fMiB rss_per_session=%.0fkB\n",
		u.ServerPID, u.Load1, u.CPUSeconds, u.WallSeconds, u.CPUCores, u.AudioSeconds, u.CPUMsPerAudioS,
		float64(u.RSSIdleKB)/1024, float64(u.RSSStartKB)/1024, float64(u.RSSEndKB)/1024, u.RSSPerSessionKB)
	return err
}

// audioSeconds is the audio the sessions sent, in all.
func audioSeconds(rows []row) float64 {
	var s float64
	for _, r := range rows {
		s += r.wall.Seconds()
	}
	return s
}
