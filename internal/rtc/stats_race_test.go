package rtc_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
)

// TestInfoWhileTheBrowserHangsUp: pion closes the server's peer connection
// from its own goroutine when the browser's DTLS says goodbye, and its
// GetStats reads a field that close writes without a lock. Info, called by
// the page four times a second, must not go through it: under -race this
// failed (seen in CI on TestNetwork_OneUDPPort, whose DTLS handshake a
// loaded machine had cut short).
func TestInfoWhileTheBrowserHangsUp(t *testing.T) {
	m := newManager(t)
	for range 5 {
		b := newBrowser(t)
		s, answer, err := m.Offer(t.Context(), "", b.offer, params(48000, 1))
		if err != nil {
			t.Fatal(err)
		}
		b.accept(t, answer)
		sendAll(t, b, s, celtCapture(t)[:10])
		var wg sync.WaitGroup
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
					_ = s.Info()
				}
			}
		}()
		_ = b.pc.Close() // DTLS close_notify: the server closes its side itself
		deadline := time.Now().Add(5 * time.Second)
		for b.pc.ConnectionState() != webrtc.PeerConnectionStateClosed && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the server's close runs meanwhile
		close(done)
		wg.Wait()
	}
}

// TestInfoAsTheOfferIsAnswered: the answer to an offer carries the
// session's Info, read while pion's own goroutine starts the ICE transport
// (SetRemoteDescription's operation), whose start writes a field the
// selected pair's stats read without a lock. Under -race this failed (seen
// in CI on cmd/loadgen's TestSoakQuick): the round trip is read only once
// ICE has connected, which orders the two.
func TestInfoAsTheOfferIsAnswered(t *testing.T) {
	m := newManager(t)
	for i := range 20 {
		b := newBrowser(t)
		id := fmt.Sprintf("answered-%d", i)
		// Trickle, as pages and loadgen offer: answered before gathering.
		if _, _, err := m.Start(t.Context(), id, b.offer.SDP, params(48000, 1), media.OfferOptions{Trickle: true}); err != nil {
			t.Fatal(err)
		}
		for range 50 {
			_, _ = m.Info(id)
		}
	}
}
