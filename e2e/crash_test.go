package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

// TestKillNineRecovers runs the real server binary, streams three live
// takes into it from pion clients, kills it with SIGKILL mid-take, starts
// it again on the same data directory, and checks every take came back as
// a recording holding all its audio up to within a second of the kill.
func TestKillNineRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	addr := freeAddr(t)
	srv := startBinary(t, bin, addr, data)

	capture, api := toneSender(t)
	const takes = 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stats := make([]rtcsend.SendStats, takes)
	var wg sync.WaitGroup
	for i := range takes {
		id := fmt.Sprintf("session_crash%d", i)
		peer := connectPeer(t, ctx, api, "http://"+addr, id)
		defer peer.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = peer.Stream(ctx, capture, &stats[i]) // ends with the server or ctx
		}()
	}
	time.Sleep(2500 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	sent := make([]time.Duration, takes)
	for i := range stats {
		_, sent[i] = stats[i].Snapshot(capture.Every)
	}
	cancel()
	wg.Wait()

	startBinary(t, bin, addr, data)
	var list struct {
		Recordings []struct {
			Filename  string  `json:"filename"`
			Duration  float64 `json:"duration"`
			SessionID string  `json:"webrtc_session_id"`
		} `json:"recordings"`
	}
	getJSON(t, "http://"+addr+"/recordings", &list)
	got := map[string]float64{}
	for _, r := range list.Recordings {
		got[r.SessionID] = r.Duration
	}
	for i := range takes {
		id := fmt.Sprintf("session_crash%d", i)
		d, ok := got[id]
		want := sent[i].Seconds()
		switch {
		case !ok:
			t.Errorf("%s: no recording after the restart (have %v)", id, got)
		case d < want-1 || d > want+0.1:
			t.Errorf("%s: recovered %.3f s of %.3f s sent before the kill; want within 1 s", id, d, want)
		default:
			t.Logf("%s: recovered %.3f s of %.3f s sent (%.0f ms short)", id, d, want, math.Max(0, want-d)*1000)
		}
	}
	if spools, _ := filepath.Glob(filepath.Join(data, "spool", "*")); len(spools) != 0 {
		t.Errorf("spools left after recovery: %v", spools)
	}
}

// buildBinary builds the server into a temp dir and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "recorder")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBinary runs the server and waits until it answers. It is killed
// when the test ends (if it is still running).
func startBinary(t *testing.T, bin, addr, data string) *exec.Cmd {
	t.Helper()
	return spawn(t, bin, nil, []string{"-addr", addr, "-data", data, "-log-level", "warn"}, "http://"+addr+"/get_params")
}

// spawn starts bin with args (and env added to this process's), its log
// in the test's, and waits until ready answers 200; it kills the process
// when the test ends, if it is still running.
func spawn(t *testing.T, bin string, env, args []string, ready string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(ready)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return cmd
			}
			err = fmt.Errorf("%s: %s", ready, res.Status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come up: %v", filepath.Base(bin), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// toneSender returns the Chromium tone capture and the pion API the test
// clients stream it with.
func toneSender(t *testing.T) (rtcsend.Capture, *webrtc.API) {
	t.Helper()
	capture, err := rtcsend.ReadCapture("../media/testdata/chromium-440hz-celt.rtp")
	if err != nil {
		t.Fatal(err)
	}
	api, err := rtcsend.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	return capture, api
}

// connectPeer offers a sender to the server as session id and connects.
func connectPeer(t *testing.T, ctx context.Context, api *webrtc.API, base, id string) *rtcsend.Peer {
	t.Helper()
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	peer, offer, err := rtcsend.NewPeer(octx, api)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"offer": offer, "session_id": id})
	res, err := http.Post(base+"/webrtc/offer", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Answer webrtc.SessionDescription `json:"answer"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("offer %s: %d %v", id, res.StatusCode, err)
	}
	if err := peer.Accept(octx, out.Answer); err != nil {
		t.Fatalf("connect %s: %v", id, err)
	}
	return peer
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
