package rtc_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestEndedSessionIsCollected: once a take has ended and been discarded,
// nothing holds its session any more; the MaxDuration timer (hours away)
// used to keep every ended session, its buffers and its peer connection
// alive until it fired.
func TestEndedSessionIsCollected(t *testing.T) {
	t.Parallel()
	m := newManager(t, func(c *rtc.Config) { c.MaxDuration = time.Hour })
	ref := func() weak.Pointer[rtc.Session] {
		b, s := connect(t, m, "gc", params(48000, 1))
		sendAll(t, b, s, celtCapture(t)[:10])
		if _, err := m.Stop("gc"); err != nil {
			t.Fatal(err)
		}
		if err := m.Discard("gc"); err != nil {
			t.Fatal(err)
		}
		b.close()
		return weak.Make(s)
	}()
	waitFor(t, 10*time.Second, func() bool {
		runtime.GC()
		return ref.Value() == nil
	}, func() string {
		buf := make([]byte, 1<<20)
		return "the discarded session is still referenced (a timer holds it?)\n" + string(buf[:runtime.Stack(buf, true)])
	})
}

// TestDraftsExpire: a stopped take nobody saves or discards is forgotten
// after DraftTTL, with a log line, but its spool stays on disk for the
// next start to recover, and a new session cannot take its id and
// overwrite it. A draft that was discarded in time is not reported.
func TestDraftsExpire(t *testing.T) {
	t.Parallel()
	logs := &mediatest.LogBuffer{}
	m := newManager(t, func(c *rtc.Config) {
		c.DraftTTL = 300 * time.Millisecond
		c.Log = slog.New(slog.NewTextHandler(logs, nil))
	})
	pkts := celtCapture(t)[:20]
	take, _ := record(t, m, "left", params(48000, 1), pkts)
	record(t, m, "gone", params(48000, 1), pkts)
	if err := m.Discard("gone"); err != nil {
		t.Fatal(err)
	}

	waitFor(t, 5*time.Second, func() bool {
		_, err := m.Get("left")
		return errors.Is(err, media.ErrNotFound)
	}, func() string { return "the unsaved draft was never forgotten" })
	time.Sleep(300 * time.Millisecond) // "gone"'s TTL has passed too

	st, err := os.Stat(take.SpoolPath)
	if err != nil || st.Size() != take.PCMBytes {
		t.Fatalf("the expired draft's spool: %v, %v; want it kept whole (%d bytes)", st, err, take.PCMBytes)
	}
	if meta, err := media.ReadSpoolMeta(media.SpoolMetaPath(take.SpoolPath)); err != nil || meta.SessionID != "left" {
		t.Errorf("the expired draft's sidecar: %+v, %v; recovery needs it", meta, err)
	}
	logged := logs.String()
	if !strings.Contains(logged, "expired") || !strings.Contains(logged, "session_id=left") {
		t.Errorf("the expiry was not logged:\n%s", logged)
	}
	for _, line := range strings.Split(logged, "\n") {
		if strings.Contains(line, "expired") && strings.Contains(line, "session_id=gone") {
			t.Errorf("a discarded draft was reported as expired: %s", line)
		}
	}
	b := newBrowser(t)
	if _, _, err := m.Offer(t.Context(), "left", b.offer, params(48000, 1)); !errors.Is(err, media.ErrConflict) {
		t.Errorf("a new session with the expired draft's id: %v, want ErrConflict (it would overwrite the spool)", err)
	}
}

// TestBaseContextEndsSessions: when the base context ends (shutdown), a
// live take stops and stays a draft with all its audio, and a session
// still connecting ends.
func TestBaseContextEndsSessions(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	m := newManager(t, func(c *rtc.Config) { c.BaseContext = ctx; c.ConnectTimeout = time.Minute })
	pkts := celtCapture(t)[:25]
	b, live := connect(t, m, "live", params(16000, 1))
	sendAll(t, b, live, pkts)
	waiting, _, err := m.Offer(t.Context(), "waiting", newBrowser(t).offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}

	cancel()
	waitFor(t, 5*time.Second, func() bool { return live.State() == media.SessionStopped && waiting.State() == media.SessionFailed },
		func() string {
			return "after the base context ended: live " + live.State() + ", connecting " + waiting.State()
		})
	take, err := m.Stop("live")
	if err != nil {
		t.Fatal(err)
	}
	checkDuration(t, take.Duration(), timeline(pkts))
}
