package handlers_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// floodResult is how a connection ended under a message too big to take.
type floodResult struct {
	written   int64 // payload bytes the client managed to write
	writeErr  error // why writing stopped; nil if all was written
	closeCode int   // the server's close code, 0 if none was read
	readErr   error
}

// flood writes one binary message of size bytes to conn, in 64 KiB
// pieces from a single buffer (the client holds no more than that), while
// reading what the server answers. It returns once the server has closed
// the connection or every byte is written and the read has given up.
func flood(t *testing.T, conn *websocket.Conn, size int64) floodResult {
	t.Helper()
	read := make(chan floodResult, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				var r floodResult
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					r.closeCode = ce.Code
				}
				r.readErr = err
				read <- r
				return
			}
		}
	}()
	var res floodResult
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	w, err := conn.NextWriter(websocket.BinaryMessage)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for res.written < size {
		n, err := w.Write(buf[:min(int64(len(buf)), size-res.written)])
		res.written += int64(n)
		if err != nil {
			res.writeErr = err
			break
		}
	}
	if res.writeErr == nil {
		res.writeErr = w.Close()
	}
	r := <-read
	res.closeCode, res.readErr = r.closeCode, r.readErr
	return res
}

// TestFeedReadsControlFramesOnly: /feed is send-only. A data message of
// any size closes the connection without the server reading it (it once
// read a 300 MB frame whole into memory), while pings are answered and
// batches still flow until then.
func TestFeedReadsControlFramesOnly(t *testing.T) {
	ta, _ := newFakeApp(t)
	addr := ta.serve(t)

	t.Run("ErrHugeFrame", func(t *testing.T) {
		const size = 32 << 20
		conn := dialWS(t, addr, "/feed/nobody")
		res := flood(t, conn, size)
		if res.writeErr == nil {
			t.Errorf("the whole %d MiB message was written: the server read it all", size>>20)
		}
		if res.written > size/2 {
			t.Errorf("%d MiB written before the server closed, want it closed at the frame header", res.written>>20)
		}
		if res.closeCode != 0 && res.closeCode != websocket.CloseMessageTooBig && res.closeCode != websocket.CloseUnsupportedData {
			t.Errorf("close code %d, want %d or %d", res.closeCode, websocket.CloseMessageTooBig, websocket.CloseUnsupportedData)
		}
		t.Logf("written before the close: %d KiB; read: %v", res.written>>10, res.readErr)
	})

	t.Run("ErrSmallMessage", func(t *testing.T) {
		conn := dialWS(t, addr, "/feed/nobody")
		if err := conn.WriteMessage(websocket.TextMessage, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(wsWait))
		_, _, err := conn.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseUnsupportedData || ce.Text != "the feed is send-only" {
			t.Errorf("read: %v, want close %d \"the feed is send-only\"", err, websocket.CloseUnsupportedData)
		}
	})

	t.Run("OKPingThenBatch", func(t *testing.T) {
		conn := dialWS(t, addr, "/feed/s1")
		eventually(t, "a subscriber", func() bool { return ta.hub.Subscribers("s1") == 1 })
		pong := make(chan string, 1)
		conn.SetPongHandler(func(data string) error { pong <- data; return nil })
		if err := conn.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(wsWait)); err != nil {
			t.Fatal(err)
		}
		// Batches keep coming while the ping is answered: each read runs
		// the pong handler for a pong that arrived before the batch.
		b, p, _ := feedBatch()
		// Bounded by time, not a count of batches: on a loaded machine the
		// server's reader may take a while to get to the ping.
		deadline := time.Now().Add(10 * time.Second)
		for {
			if err := ta.hub.Publish("s1", b, p); err != nil {
				t.Fatal(err)
			}
			if h, _ := readFeed(t, conn); h.Batch != b.Index {
				t.Fatalf("batch %d, want %d", h.Batch, b.Index)
			}
			select {
			case got := <-pong:
				if got != "are you there" {
					t.Errorf("pong %q", got)
				}
				return
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no pong after %d batches in 10 s", b.Index)
			}
			b.Index++
		}
	})
}
