package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

// TestOffersThatNeverConnect: offers whose browser never connects held a
// live slot for 30 s each, so at 30 offers a minute three addresses kept
// all 32 slots busy. A client now holds -max-sessions-per-client (8)
// sessions at once, connecting or live (429 beyond), and one that never
// connects ends after -connect-timeout, freeing its slot.
func TestOffersThatNeverConnect(t *testing.T) {
	srv := newTestServer(t, []string{"-connect-timeout", "1s", "-max-sessions", "10"}, nil)
	_, api := toneSender(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	offer := func(id string) int {
		t.Helper()
		peer, sdp, err := rtcsend.NewPeer(ctx, api)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { peer.Close() }) // never given the answer
		body, _ := json.Marshal(map[string]any{"offer": sdp, "session_id": id})
		return callApp(t, srv, "POST", "/webrtc/offer", string(body), nil)
	}
	for i := range 8 {
		if code := offer(fmt.Sprintf("ghost%d", i)); code != http.StatusOK {
			t.Fatalf("offer %d: %d", i+1, code)
		}
	}
	if code := offer("ghost8"); code != http.StatusTooManyRequests {
		t.Errorf("a ninth offer from one address: %d, want 429", code)
	}
	began := time.Now()
	for {
		code := offer(fmt.Sprintf("again%d", time.Since(began).Milliseconds()))
		if code == http.StatusOK {
			t.Logf("slots free again %v after the refusal", time.Since(began).Round(100*time.Millisecond))
			break
		}
		if time.Since(began) > 5*time.Second {
			t.Fatalf("offers that never connected still hold their slots after %v: %d", time.Since(began), code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
