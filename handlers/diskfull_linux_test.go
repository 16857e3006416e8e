package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestLiveTakeDiskFull: the data disk fills up during a live take. The
// page learns at once (the session's info and the /ws stats say failed,
// "disk full"); Stop answers 200 with the take so far; a save while the
// disk is still full fails and changes nothing, and the same save once
// space is freed succeeds with the audio up to the failure.
func TestLiveTakeDiskFull(t *testing.T) {
	disk := mediatest.Tmpfs(t, "4m")
	m, err := rtc.NewManager(rtc.Config{
		SpoolDir:        filepath.Join(disk, "spool"),
		IncludeLoopback: true,
		ConnectTimeout:  time.Minute,
		Log:             testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	ta := buildTestAppIn(t, disk, m, testLogger(t))
	// Leave about 3 s of 48 kHz mono PCM free.
	var st syscall.Statfs_t
	if err := syscall.Statfs(disk, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(disk, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize-300<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	page := newWSClient(t, ta.serve(t))

	// A client streams a tone until the server hangs up.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	peer, capture := connectPeer(ctx, t, ta, "full")
	defer peer.Close()
	streamed := make(chan error, 1)
	go func() {
		var st rtcsend.SendStats
		streamed <- peer.Stream(t.Context(), capture, &st)
	}()

	// The page watching the session sees it fail, with the reason.
	wantMsg(t, page.call(t, `{"type":"watch","session_id":"full"}`), wsMsg{Type: "watching", SessionID: "full"})
	var seen *media.SessionInfo
	for deadline := time.Now().Add(10 * time.Second); seen == nil; {
		if time.Now().After(deadline) {
			t.Fatal("the page never saw the session fail; it is still " + mustSession(t, m, "full").State())
		}
		if msg := page.read(t); msg.Session != nil && msg.Session.State != media.SessionLive && msg.Session.State != media.SessionConnecting {
			seen = msg.Session
		}
	}
	if seen.State != media.SessionFailed || !strings.Contains(seen.Reason, "disk full") {
		t.Errorf("the page saw state %q, reason %q; want failed, disk full", seen.State, seen.Reason)
	}
	var info media.SessionInfo
	ta.do(t, http.MethodGet, "/webrtc/sessions/full", "").decode(t, &info)
	if info.State != media.SessionFailed || !strings.Contains(info.Reason, "disk full") {
		t.Errorf("GET /webrtc/sessions/full: state %q, reason %q; want failed, disk full", info.State, info.Reason)
	}
	select {
	case <-streamed:
	case <-time.After(10 * time.Second):
		t.Error("the server did not hang up on the client")
	}

	// Stop hands back the take so far.
	res := ta.do(t, http.MethodPost, "/webrtc/stop", `{"session_id":"full"}`)
	res.wantStatus(t, http.StatusOK)
	var stopped struct {
		State    string  `json:"state"`
		Reason   string  `json:"reason"`
		Duration float64 `json:"duration"`
	}
	if err := json.Unmarshal(res.body, &stopped); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped: %+v", stopped)
	if stopped.State != media.SessionFailed || !strings.Contains(stopped.Reason, "disk full") || stopped.Duration < 0.5 {
		t.Errorf("stop answered %+v, want the failed take with its audio", stopped)
	}

	// Saving while the disk is full fails and leaves nothing behind...
	save := `{"session_id":"full","recording_type":"webrtc","duration":2}`
	before := ta.written(t)
	ta.do(t, http.MethodPost, "/save_recording", save).wantError(t, http.StatusInsufficientStorage, "disk is full")
	ta.wantUnchanged(t, before)

	// ...and succeeds once space is freed.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	res = ta.do(t, http.MethodPost, "/save_recording", save)
	res.wantStatus(t, http.StatusOK)
	var saved struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(res.body, &saved); err != nil {
		t.Fatal(err)
	}
	rec, err := ta.db.GetRecording(context.Background(), saved.Filename)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Duration < stopped.Duration-0.01 || rec.Duration > stopped.Duration+0.01 {
		t.Errorf("saved %.3f s, the take held %.3f s", rec.Duration, stopped.Duration)
	}
	if entries, _ := os.ReadDir(filepath.Join(disk, "spool")); len(entries) != 0 {
		t.Errorf("the saved draft's spool is still there: %v", entries)
	}
}

func mustSession(t *testing.T, m *rtc.Manager, id string) *rtc.Session {
	t.Helper()
	s, err := m.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
