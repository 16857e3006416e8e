package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestOpusTakes runs the real server binary with -live-format opus: a live
// take saved over HTTP is stored as Ogg Opus holding the packets the
// client sent, byte for byte, for the take's length; a take streaming when
// the server is killed with SIGKILL comes back after the restart as a
// valid Ogg of every packet up to its last whole page (a second at most
// before the kill).
func TestOpusTakes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	addr := freeAddr(t)
	base := "http://" + addr
	srv := spawn(t, bin, nil, []string{"-addr", addr, "-data", data, "-log-level", "warn", "-live-format", "opus"}, base+"/get_params")
	var p struct{ Format string }
	getJSON(t, base+"/get_params", &p)
	if p.Format != "opus" {
		t.Fatalf("get_params says format %q with -live-format opus", p.Format)
	}

	capture, api := toneSender(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// A take saved as usual.
	saved := connectPeer(t, ctx, api, base, "session_opus_saved")
	defer saved.Close()
	sctx, stop := context.WithTimeout(ctx, 2*time.Second)
	var sst rtcsend.SendStats
	_ = saved.Stream(sctx, capture, &sst)
	stop()
	time.Sleep(200 * time.Millisecond)
	postOK(t, base+"/webrtc/stop", `{"session_id":"session_opus_saved"}`)
	postOK(t, base+"/save_recording", `{"session_id":"session_opus_saved","recording_type":"webrtc","duration":2.2}`)

	// A take streaming when the server is killed.
	killed := connectPeer(t, ctx, api, base, "session_opus_killed")
	defer killed.Close()
	var kst rtcsend.SendStats
	done := make(chan struct{})
	go func() { defer close(done); _ = killed.Stream(ctx, capture, &kst) }()
	time.Sleep(3500 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	_, sentBeforeKill := kst.Snapshot(capture.Every)
	cancel()
	<-done

	startBinary(t, bin, addr, data) // without the flag: the take's sidecar says opus
	var list struct {
		Recordings []struct {
			Filename  string  `json:"filename"`
			Duration  float64 `json:"duration"`
			MIME      string  `json:"mime"`
			SessionID string  `json:"webrtc_session_id"`
		} `json:"recordings"`
	}
	getJSON(t, base+"/recordings", &list)
	if len(list.Recordings) != 2 {
		t.Fatalf("%d recordings after the restart, want 2: %+v", len(list.Recordings), list.Recordings)
	}
	for _, r := range list.Recordings {
		if r.MIME != "audio/ogg;codecs=opus" {
			t.Errorf("%s: stored as %s", r.SessionID, r.MIME)
			continue
		}
		audio := getBytes(t, base+"/recordings/"+r.Filename+"/audio")
		info, pkts, _, err := mediatest.OggPackets(audio)
		if err != nil {
			t.Errorf("%s: not a valid Ogg: %v", r.SessionID, err)
			continue
		}
		// The sender streams the capture in a loop: packet k is the
		// capture's k mod its length.
		for k, pkt := range pkts {
			if !bytes.Equal(pkt, capture.Pkts[k%len(capture.Pkts)].Payload) {
				t.Errorf("%s: packet %d is not the one sent", r.SessionID, k)
				break
			}
		}
		kept := len(pkts)
		switch r.SessionID {
		case "session_opus_saved":
			_, sent := sst.Snapshot(capture.Every)
			if d := info.Duration.Seconds(); d < sent.Seconds()-0.05 || d > sent.Seconds()+0.5 {
				t.Errorf("saved take lasts %.3f s, %.3f s sent", d, sent.Seconds())
			}
			t.Logf("saved: %d packets, %.3f s (%.3f s sent), %d bytes", kept, info.Duration.Seconds(), sent.Seconds(), len(audio))
		case "session_opus_killed":
			if d := info.Duration.Seconds(); d < sentBeforeKill.Seconds()-1.3 || d > sentBeforeKill.Seconds()+0.1 {
				t.Errorf("recovered %.3f s of %.3f s sent before the kill; want within its last page (1 s)", d, sentBeforeKill.Seconds())
			}
			if audio[bytes.LastIndex(audio, []byte("OggS"))+5]&0x04 == 0 {
				t.Error("the recovered Ogg's last page is not marked as the end of the stream")
			}
			t.Logf("recovered: %d packets, %.3f s of %.3f s sent, %d bytes", kept, info.Duration.Seconds(), sentBeforeKill.Seconds(), len(audio))
		default:
			t.Errorf("a recording of session %q", r.SessionID)
		}
	}
	if spools, _ := filepath.Glob(filepath.Join(data, "spool", "*")); len(spools) != 0 {
		t.Errorf("spools left after recovery: %v", spools)
	}
}

func postOK(t *testing.T, url, body string) {
	t.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("POST %s: %s %s", url, res.Status, b)
	}
}

func getBytes(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, res.Status, err)
	}
	return b
}
