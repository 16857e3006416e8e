package app

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/internal/config"
)

// serveWithFlags runs the real server, as run wires it, on a loopback port
// with args added to its flags, and returns its address.
func serveWithFlags(t *testing.T, args ...string) string {
	t.Helper()
	cfg, err := config.Parse(append([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0"}, args...), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
	})
	return ln.Addr().String()
}

// dialRaw opens a raw connection that gives up after a generous while: a
// server that never closes it fails the test instead of hanging it.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// wantServerClosed reads conn to its end and fails unless the server
// closed it (rather than the client's own deadline passing).
func wantServerClosed(t *testing.T, conn net.Conn, what string) {
	t.Helper()
	_, err := io.ReadAll(conn)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Errorf("%s: still open after 10 s", what)
	}
}

// rawRequest sends a complete request on conn and reads its response.
func rawRequest(t *testing.T, conn net.Conn, br *bufio.Reader, method, target, contentType, body string) (*http.Response, string) {
	t.Helper()
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n", method, target, len(body))
	if contentType != "" {
		req += "Content-Type: " + contentType + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"+body); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestServerTimeouts: a client that sends half a request, or trickles a
// body far slower than any phone, or idles on a kept-alive connection, is
// disconnected (300 half-sent requests were once held for over a minute:
// the server had no timeouts); while an upload that is slow but moving,
// a WebSocket quiet for longer than every timeout, and a long download
// read slowly all go through. The timeouts here are short; the defaults
// are seconds.
func TestServerTimeouts(t *testing.T) {
	addr := serveWithFlags(t, "-header-timeout", "300ms", "-idle-timeout", "600ms", "-write-timeout", "500ms", "-max-body", "1")

	t.Run("ErrHalfHeader", func(t *testing.T) {
		conn := dialRaw(t, addr)
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
			t.Fatal(err)
		}
		wantServerClosed(t, conn, "a half-sent header")
	})

	t.Run("ErrTrickledHeader", func(t *testing.T) {
		conn := dialRaw(t, addr)
		if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() { // a header line at a time, never finishing
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := io.WriteString(conn, "X-Slow-"+fmt.Sprint(i)+": 1\r\n"); err != nil {
					return
				}
			}
		}()
		wantServerClosed(t, conn, "a header trickled forever")
	})

	t.Run("ErrTrickledBody", func(t *testing.T) {
		conn := dialRaw(t, addr)
		// 2 KiB promised, sent at 20 bytes a second: 100 s for the whole.
		if _, err := io.WriteString(conn, "POST /update_params HTTP/1.1\r\nHost: 127.0.0.1\r\n"+
			"Content-Type: application/json\r\nContent-Length: 2048\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := io.WriteString(conn, " "); err != nil {
					return
				}
			}
		}()
		wantServerClosed(t, conn, "a body trickled at 20 B/s")
	})

	t.Run("ErrIdle", func(t *testing.T) {
		conn := dialRaw(t, addr)
		br := bufio.NewReader(conn)
		if res, body := rawRequest(t, conn, br, "GET", "/get_params", "", ""); res.StatusCode != 200 {
			t.Fatalf("GET /get_params: %d %s", res.StatusCode, body)
		}
		wantServerClosed(t, conn, "an idle kept-alive connection")
	})

	t.Run("OKSlowUpload", func(t *testing.T) {
		conn := dialRaw(t, addr)
		br := bufio.NewReader(conn)
		if res, body := rawRequest(t, conn, br, "POST", "/uploads", "application/json", `{"upload_id":"slow","mime":"audio/webm"}`); res.StatusCode != 200 {
			t.Fatalf("begin: %d %s", res.StatusCode, body)
		}
		// 64 KiB in 16 pieces 100 ms apart: 1.6 s, over five header
		// timeouts, but moving at 40 KiB/s.
		const size = 64 << 10
		if _, err := io.WriteString(conn, fmt.Sprintf("PUT /uploads/slow/chunks/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n"+
			"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", size)); err != nil {
			t.Fatal(err)
		}
		piece := bytes.Repeat([]byte{0x1a}, size/16)
		for range 16 {
			time.Sleep(100 * time.Millisecond)
			if _, err := conn.Write(piece); err != nil {
				t.Fatalf("the server cut a moving upload: %v", err)
			}
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("the server cut a moving upload: %v", err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), fmt.Sprintf(`"bytes":%d`, size)) {
			t.Errorf("slow chunk: %d %s", res.StatusCode, b)
		}
	})

	t.Run("OKQuietWebSocket", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		time.Sleep(1500 * time.Millisecond) // past every timeout, twice over
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping","timestamp":1}`)); err != nil {
			t.Fatalf("write after a quiet while: %v", err)
		}
		_, msg, err := conn.ReadMessage()
		if err != nil || !strings.Contains(string(msg), `"pong"`) {
			t.Errorf("after a quiet while: %s %v, want a pong", msg, err)
		}
	})

	t.Run("OKSlowDownload", func(t *testing.T) {
		// An 8 MiB take, fetched from byte 1000 on by a client that reads
		// 64 KiB every 20 ms through a small window: it takes seconds,
		// several write timeouts, but it moves all along.
		const size, from = 8 << 20, 1000
		conn := dialRaw(t, addr)
		br := bufio.NewReader(conn)
		if res, body := rawRequest(t, conn, br, "POST", "/uploads", "application/json", `{"upload_id":"long","mime":"audio/webm"}`); res.StatusCode != 200 {
			t.Fatalf("begin: %d %s", res.StatusCode, body)
		}
		chunk := strings.Repeat("\x1a", 1<<20)
		for i := range size >> 20 {
			if res, body := rawRequest(t, conn, br, "PUT", fmt.Sprintf("/uploads/long/chunks/%d", i), "application/octet-stream", chunk); res.StatusCode != 200 {
				t.Fatalf("chunk %d: %d %s", i, res.StatusCode, body)
			}
		}
		d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
			var err error
			_ = c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
			return err
		}}
		slow, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer slow.Close()
		_ = slow.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(slow, fmt.Sprintf("GET /uploads/long/audio HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=%d-\r\n\r\n", from)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReaderSize(slow, 64<<10), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusPartialContent {
			t.Fatalf("status %d, want 206", res.StatusCode)
		}
		buf := make([]byte, 64<<10)
		var got int64
		start := time.Now()
		for {
			n, err := io.ReadFull(res.Body, buf)
			got += int64(n)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("after %d bytes: %v", got, err)
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got != size-from {
			t.Errorf("read %d bytes, want %d: the download was cut", got, size-from)
		}
		t.Logf("read %d KiB in %v", got>>10, time.Since(start).Round(time.Millisecond))
	})
}

// TestWSMessageLimit: /ws carries small JSON, so it takes messages up to
// 64 KiB whatever -max-body says (it once took -max-body, 16 MiB, each
// held in memory until its last fragment came), and closes on a bigger
// one.
func TestWSMessageLimit(t *testing.T) {
	addr := serveWithFlags(t, "-max-body", "32")
	ping := func(n int) []byte {
		const head, tail = `{"type":"ping","timestamp":7,"pad":"`, `"}`
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, ping(64<<10)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := conn.ReadMessage(); err != nil || !bytes.Contains(msg, []byte(`"pong"`)) {
		t.Fatalf("a 64 KiB message: %.100s %v, want a pong", msg, err)
	}
	_ = conn.WriteMessage(websocket.TextMessage, ping(64<<10+1)) // the server may close before all is written
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
		t.Errorf("a message over 64 KiB: %v, want close %d", err, websocket.CloseMessageTooBig)
	}
}
