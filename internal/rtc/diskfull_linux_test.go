package rtc_test

import (
	"context"
	"errors"
	"log/slog"
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

// streamTone connects an rtcsend client to session id on m and streams the
// Chromium capture in a loop until the test ends or the connection does;
// the returned channel gets Stream's result.
func streamTone(t *testing.T, m *rtc.Manager, id string) (*rtc.Session, <-chan error) {
	t.Helper()
	capture, err := rtcsend.ReadCapture(filepath.Join("..", "..", "media", "testdata", "chromium-440hz-celt.rtp"))
	if err != nil {
		t.Fatal(err)
	}
	api, err := rtcsend.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	peer, offer, err := rtcsend.NewPeer(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(peer.Close)
	s, answer, err := m.Offer(ctx, id, offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.Accept(ctx, answer); err != nil {
		t.Fatal(err)
	}
	streamed := make(chan error, 1)
	go func() {
		var st rtcsend.SendStats
		streamed <- peer.Stream(t.Context(), capture, &st)
	}()
	return s, streamed
}

// TestSession_DiskFull: the disk fills up during a live take. The failing
// spool write ends the whole pipeline at once: the session becomes failed
// with "disk full" as its reason, which the log says right away, the peer
// connection is closed, and the take up to the last good write is a draft
// that Stop returns (and that can be saved once there is space again).
func TestSession_DiskFull(t *testing.T) {
	disk := mediatest.Tmpfs(t, "160k") // ~1.6 s of 48 kHz mono after the sidecar
	logs := &mediatest.LogBuffer{}
	m := newManager(t, func(c *rtc.Config) {
		c.SpoolDir = filepath.Join(disk, "spool")
		c.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	s, streamed := streamTone(t, m, "full")

	waitFor(t, 10*time.Second, func() bool { return s.State() != media.SessionLive && s.State() != media.SessionConnecting },
		func() string {
			return "the disk is full but the session is still " + s.State() + "; log:\n" + logs.String()
		})
	logged := logs.String() // what the log said by the time the state changed
	info := s.Info()
	t.Logf("state %q, reason %q, %.2f s", info.State, info.Reason, info.Duration)
	if info.State != media.SessionFailed || !strings.Contains(info.Reason, "disk full") {
		t.Errorf("state %q, reason %q; want failed, disk full", info.State, info.Reason)
	}
	if !strings.Contains(logged, "level=ERROR") || !strings.Contains(logged, "disk full") || !strings.Contains(logged, "session_id=full") {
		t.Errorf("no error about the full disk logged when the session failed:\n%s", logged)
	}
	if n := m.Live(); n != 0 {
		t.Errorf("Live() = %d after the take failed", n)
	}

	take, err := m.Stop("full")
	if err != nil {
		t.Fatalf("Stop after the disk filled: %v, want the take up to the failure", err)
	}
	samples := readTake(t, take)
	t.Logf("draft: %d bytes, %.2f s", take.PCMBytes, take.Duration())
	if take.Duration() < 0.5 {
		t.Errorf("draft lasts %.2f s, want the audio before the disk filled (over 1 s)", take.Duration())
	}
	checkTone(t, samples, take.SampleRate, take.Channels)
	if got := s.Info().Duration; got != take.Duration() {
		t.Errorf("session says %.3f s, the draft holds %.3f s", got, take.Duration())
	}
	again, err := m.Stop("full")
	if err != nil || again.PCMBytes != take.PCMBytes {
		t.Errorf("second Stop: %d bytes, %v; want the same draft", again.PCMBytes, err)
	}

	// The server closed its peer connection: the client's stream ends.
	select {
	case err := <-streamed:
		t.Logf("client: %v", err)
	case <-time.After(10 * time.Second):
		t.Error("the client still streams 10 s after the take failed: the peer connection was not closed")
	}

}

// TestSession_DiskFullAtStart: with no space left when the audio arrives,
// the session fails at once with "disk full" as its reason, Stop says
// nothing was recorded and why, and nothing is left behind in the spool
// directory (not even a half-written sidecar).
func TestSession_DiskFullAtStart(t *testing.T) {
	disk := mediatest.Tmpfs(t, "64k")
	spoolDir := filepath.Join(disk, "spool")
	m := newManager(t, func(c *rtc.Config) { c.SpoolDir = spoolDir; c.FailedTTL = 200 * time.Millisecond })
	fill(t, filepath.Join(disk, "filler"))
	s, _ := streamTone(t, m, "nospace")

	waitFor(t, 10*time.Second, func() bool { return s.State() == media.SessionFailed },
		func() string { return "with a full disk the session is " + s.State() })
	if reason := s.Info().Reason; !strings.Contains(reason, "disk full") {
		t.Errorf("reason %q, want disk full", reason)
	}
	_, err := m.Stop("nospace")
	if !errors.Is(err, rtc.ErrEmptyTake) || !strings.Contains(media.Message(err), "disk full") {
		t.Errorf("Stop: %v (message %q), want nothing recorded because the disk is full", err, media.Message(err))
	}
	waitFor(t, 5*time.Second, func() bool {
		_, err := m.Get("nospace")
		return errors.Is(err, media.ErrNotFound)
	}, func() string { return "the failed session was never forgotten" })
	if entries, _ := os.ReadDir(spoolDir); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("left in the spool dir: %v", names)
	}
}

// fill writes path until the disk it is on is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}
