package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireAiortcEnv makes the baseline test fail, not skip, without aiortc.
const requireAiortcEnv = "RECORDER_REQUIRE_AIORTC"

// debianPython is the interpreter Debian's python3-aiortc installs for; a
// python3 earlier on PATH (pyenv, a venv) would not see it.
const debianPython = "/usr/bin/python3"

// startAiortc runs cmd/loadgen/aiortc/server.py on a free loopback port
// and returns its URL and process id once it answers /readyz. It skips the
// test when Debian's python3-aiortc and python3-aiohttp are missing, or
// fails it when RECORDER_REQUIRE_AIORTC=1.
func startAiortc(t *testing.T) (string, int) {
	t.Helper()
	if out, err := exec.Command(debianPython, "-c", "import aiortc, aiohttp").CombinedOutput(); err != nil {
		msg := "the aiortc baseline needs Debian's python3-aiortc and python3-aiohttp (`apt-get install -y python3-aiortc python3-aiohttp`): " +
			strings.TrimSpace(string(out)) + " " + err.Error()
		if os.Getenv(requireAiortcEnv) == "1" {
			t.Fatal(msg + " (" + requireAiortcEnv + "=1)")
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(debianPython, "aiortc/server.py", "-addr", addr)
	cmd.Stdout, cmd.Stderr = t.Output(), t.Output()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, cmd.Process.Pid
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("server.py exited: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server.py did not come up: %v", err)
		}
	}
}

// TestBaseline_Aiortc drives the aiortc baseline with loadgen, as a sweep
// does: two sessions for a few seconds, every packet decoded, the server's
// latencies and CPU reported.
func TestBaseline_Aiortc(t *testing.T) {
	base, pid := startAiortc(t)
	args := []string{"-baseline", "-url", base, "-sessions", "2", "-duration", "3s", "-capture", testCapture,
		"-json", "-server-pid", strconv.Itoa(pid)}
	out, rows := runTable(t, args, 2)
	for _, r := range rows {
		sent, counted := atoi(t, r, "sent"), atoi(t, r, "counted")
		if sent < 140 || counted < sent-baselineTail-2 || counted > sent {
			t.Errorf("%s: the server decoded %d of %d packets", r["session"], counted, sent)
		}
		// aiortc's jitter buffer holds four packets of 20 ms: the lag is
		// at least that.
		if lag := atof(t, r, "lag_p50_ms"); lag < 60 || lag > 1000 {
			t.Errorf("%s: lag p50 %.2f ms, want 80 ms and a little", r["session"], lag)
		}
		if r["state"] != "stopped" {
			t.Errorf("%s: state %s", r["session"], r["state"])
		}
	}
	var sum summary
	for line := range strings.Lines(out) {
		if strings.HasPrefix(line, "{") {
			if err := json.Unmarshal([]byte(line), &sum); err != nil {
				t.Fatalf("summary %s: %v", line, err)
			}
		}
	}
	if sum.Sessions != 2 || sum.LossPct > 1 || sum.LagP99MaxMs < sum.LagP50Ms || sum.LagP50Ms <= 0 {
		t.Errorf("summary %+v", sum)
	}
	if u := sum.ServerUsage; u == nil || u.ServerPID != pid || u.CPUMsPerAudioS <= 0 || u.RSSEndKB <= 0 {
		t.Errorf("server figures %+v", u)
	}

	// The sessions are gone once discarded.
	res, err := http.Get(base + "/webrtc/sessions/" + rows[0]["session"])
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("a discarded session: %s", res.Status)
	}
}

func TestBaselineLoss(t *testing.T) {
	rows := []row{{sent: 500}, {sent: 500}, {sent: 500}, {sent: 10}}
	rows[0].info.Stats.Packets = 496 // all but the jitter buffer's tail
	rows[1].info.Stats.Packets = 400
	rows[2].info.Stats.Packets, rows[2].info.Stats.LostPackets = 496, 9 // the server saw gaps
	baselineLoss(rows)
	for i, want := range []int64{0, 96, 9, 6} {
		if got := rows[i].info.Stats.LostPackets; got != want {
			t.Errorf("row %d: lost %d, want %d", i, got, want)
		}
	}
}
