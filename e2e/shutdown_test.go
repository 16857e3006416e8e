package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
)

// shutdownDeadline is how long SIGTERM may take with live takes and open
// WebSockets: the takes' stop timeout plus the HTTP drain, with room.
const shutdownDeadline = 20 * time.Second

// TestGracefulShutdown runs the real binary with two live takes and a page
// WebSocket open, sends SIGTERM, and checks that the server exits cleanly
// within the deadline, the takes are left as drafts (spool and sidecar,
// holding the audio sent), and the database was closed (SQLite removes its
// WAL file only on a clean close).
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the server binary")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	addr := freeAddr(t)
	srv := startBinary(t, bin, addr, data)
	if code := statusOf(t, "http://"+addr+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before shutdown: %d", code)
	}

	capture, api := toneSender(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, id := range []string{"session_term0", "session_term1"} {
		peer := connectPeer(t, ctx, api, "http://"+addr, id)
		defer peer.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = peer.Stream(ctx, capture, &rtcsend.SendStats{})
		}()
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", http.Header{"Origin": {"http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	time.Sleep(2 * time.Second)

	exited := make(chan error, 1)
	sent := time.Now()
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { exited <- srv.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", err)
		}
		t.Logf("exited %.2f s after SIGTERM", time.Since(sent).Seconds())
	case <-time.After(shutdownDeadline):
		t.Fatalf("still running %v after SIGTERM", shutdownDeadline)
	}
	cancel()
	wg.Wait()

	for _, id := range []string{"session_term0", "session_term1"} {
		spool := filepath.Join(data, "spool", id+".pcm")
		meta, err := media.ReadSpoolMeta(media.SpoolMetaPath(spool))
		if err != nil {
			t.Errorf("%s: no draft sidecar: %v", id, err)
			continue
		}
		fi, err := os.Stat(spool)
		if err != nil {
			t.Errorf("%s: no draft: %v", id, err)
			continue
		}
		secs := float64(fi.Size()) / float64(2*meta.Channels*meta.SampleRate)
		if secs < 1 {
			t.Errorf("%s: draft holds %.2f s of about 2 s streamed", id, secs)
		} else {
			t.Logf("%s: draft of %.2f s", id, secs)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "recorder.db-wal")); !os.IsNotExist(err) {
		t.Errorf("recorder.db-wal is still there (%v): the database was not closed", err)
	}
}

func statusOf(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
