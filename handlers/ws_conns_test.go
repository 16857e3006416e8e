package handlers_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/handlers"
)

// TestWSIdle: the server pings; a peer that answers (a browser does, a
// client reading its connection does) stays however quiet it is, one that
// sends nothing at all, not even a pong, is dropped after the idle time.
func TestWSIdle(t *testing.T) {
	ta, _ := newFakeAppWith(t, withHandler(func(h *handlers.Handler) { h.WSIdle = time.Second }))
	addr := ta.serve(t)

	t.Run("OKAnswersPings", func(t *testing.T) {
		c := newWSClient(t, addr)
		pings := 0
		c.conn.SetPingHandler(func(data string) error {
			pings++
			return c.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		})
		_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, _, err := c.conn.ReadMessage() // answers pings meanwhile
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("a quiet client answering pings: %v, want it kept", err)
		}
		if pings < 3 {
			t.Errorf("%d pings in 3 s, want one every 400 ms", pings)
		}
	})
	t.Run("ErrSilentPeer", func(t *testing.T) {
		c := newWSClient(t, addr)
		time.Sleep(2500 * time.Millisecond) // not reading: no pong goes back
		_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			if _, _, err := c.conn.ReadMessage(); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("a peer silent past the idle time is still connected")
				}
				return
			}
		}
	})
}

// TestWSConnsBounded: one client may hold -max-ws-per-client WebSockets;
// the next handshake is refused (429) before the upgrade, and closing one
// makes room again.
func TestWSConnsBounded(t *testing.T) {
	ta, _ := newFakeAppWith(t, func(cfg *appOptions) { cfg.maxWSPerClient = 2 })
	addr := ta.serve(t)
	a, b := newWSClient(t, addr), newWSClient(t, addr)
	// Answered: both are counted (a handshake racing past the check
	// before the upgrade is closed after it, 1013).
	for _, c := range []*wsClient{a, b} {
		if got := c.call(t, `{"type":"ping","timestamp":1}`); got.Type != "pong" {
			t.Fatalf("ping: %+v", got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, res, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/ws", nil)
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		code := 0
		if res != nil {
			code = res.StatusCode
		}
		t.Fatalf("a third WebSocket from one client: %v, status %d, want 429", err, code)
	}
	a.conn.Close()
	deadline := time.Now().Add(3 * time.Second)
	for {
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/ws", nil)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing one, a new WebSocket: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
