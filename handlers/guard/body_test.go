package guard_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
)

// bodyServer serves, on a loopback port, an app whose POST /echo reads a
// body of up to 64 KiB with b (and answers its length), whose GET /
// takes none, and whose POST /refused is refused before any body is read,
// as a guard refuses one.
func bodyServer(t *testing.T, b *guard.Bodies) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true, StreamRequestBody: true, ReadTimeout: time.Second})
	app.Server().HeaderReceived = b.HeaderReceived
	app.Use(b.CloseUnread())
	app.Post("/echo", b.Read(64<<10), func(c *fiber.Ctx) error { return c.SendString(fmt.Sprint(len(c.Body()))) })
	app.Post("/hold", b.Read(64<<10), func(c *fiber.Ctx) error {
		time.Sleep(300 * time.Millisecond) // holds its budget meanwhile
		return c.SendString(fmt.Sprint(len(c.Body())))
	})
	app.Post("/refused", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusUnauthorized) })
	app.Get("/", func(c *fiber.Ctx) error { return c.SendString("page") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	return ln.Addr().String()
}

// exchange sends raw on conn and reads one response.
func exchange(t *testing.T, conn net.Conn, br *bufio.Reader, raw string) (*http.Response, string) {
	t.Helper()
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("%.40q: %v", raw, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(body)
}

func post(path string, headers string, body string) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s", path, headers, len(body), body)
}

func TestBodies(t *testing.T) {
	addr := bodyServer(t, guard.NewBodies(100<<10, time.Second))
	dial := func(t *testing.T) (net.Conn, *bufio.Reader) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		return conn, bufio.NewReader(conn)
	}
	// closedAfter reads the connection to its end and says whether the
	// server closed it (rather than the client's deadline passing).
	closed := func(conn net.Conn, br *bufio.Reader) bool {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := io.ReadAll(br)
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}

	t.Run("OKReadAndKeptAlive", func(t *testing.T) {
		conn, br := dial(t)
		for _, n := range []int{10, 20 << 10, 64 << 10} {
			if res, body := exchange(t, conn, br, post("/echo", "", strings.Repeat("a", n))); res.StatusCode != 200 || body != fmt.Sprint(n) {
				t.Fatalf("a %d-byte body: %d %q", n, res.StatusCode, body)
			}
		}
	})
	t.Run("OKChunked", func(t *testing.T) {
		conn, br := dial(t)
		res, body := exchange(t, conn, br, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n")
		if res.StatusCode != 200 || body != "8" {
			t.Fatalf("chunked: %d %q", res.StatusCode, body)
		}
	})
	t.Run("OKSmallRefusedBodyKeepsConnection", func(t *testing.T) {
		// Within Prefetched, a refused body was read whole before the
		// handler: the next request on the connection is served.
		conn, br := dial(t)
		if res, _ := exchange(t, conn, br, post("/refused", "", strings.Repeat("a", 4<<10))); res.StatusCode != 401 || res.Close {
			t.Fatalf("refused: %d, close %v", res.StatusCode, res.Close)
		}
		if res, body := exchange(t, conn, br, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); res.StatusCode != 200 || body != "page" {
			t.Fatalf("next request: %d %q", res.StatusCode, body)
		}
	})
	for _, tc := range []struct{ name, path string }{{"ErrRefused", "/refused"}, {"ErrNoRoute", "/nope"}, {"ErrNoBodyRoute", "/"}} {
		t.Run(tc.name+"UnreadAndClosed", func(t *testing.T) {
			// 1 GiB declared, 16 KiB sent: answered at once, the rest
			// never read, the connection closed.
			conn, br := dial(t)
			method := "POST"
			if tc.path == "/" {
				method = "GET"
			}
			head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", method, tc.path, 1<<30)
			began := time.Now()
			res, _ := exchange(t, conn, br, head+strings.Repeat("a", 16<<10))
			if !res.Close || time.Since(began) > 2*time.Second {
				t.Errorf("%s: %d after %v, close %v; want an answer at once and the connection closed", tc.path, res.StatusCode, time.Since(began), res.Close)
			}
			if !closed(conn, br) {
				t.Error("the connection stayed open")
			}
		})
	}
	t.Run("ErrTooLarge", func(t *testing.T) {
		conn, br := dial(t)
		// Refused unread once its first Prefetched bytes are in.
		res, body := exchange(t, conn, br, fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", 64<<10+1, strings.Repeat("a", guard.Prefetched)))
		if res.StatusCode != fiber.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 64 KiB") || !closed(conn, br) {
			t.Errorf("over the limit: %d %q, want 413 and the connection closed", res.StatusCode, body)
		}
	})
	t.Run("ErrChunkedTooLarge", func(t *testing.T) {
		conn, br := dial(t)
		piece := strings.Repeat("a", 32<<10)
		chunk := fmt.Sprintf("%x\r\n%s\r\n", len(piece), piece)
		res, _ := exchange(t, conn, br, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+chunk+chunk+chunk+"0\r\n\r\n")
		if res.StatusCode != fiber.StatusRequestEntityTooLarge {
			t.Errorf("96 KiB chunked: %d, want 413", res.StatusCode)
		}
	})
	t.Run("ErrCompressed", func(t *testing.T) {
		conn, br := dial(t)
		if res, _ := exchange(t, conn, br, post("/echo", "Content-Encoding: gzip\r\n", "\x1f\x8b")); res.StatusCode != fiber.StatusUnsupportedMediaType {
			t.Errorf("gzip body: %d, want 415", res.StatusCode)
		}
	})
	t.Run("ErrSlowBody", func(t *testing.T) {
		// 16 KiB declared: past the first 8 KiB, the rest has 1 s + 4 s.
		conn, br := dial(t)
		if _, err := io.WriteString(conn, fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", 16<<10, strings.Repeat("a", 9<<10))); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != fiber.StatusRequestTimeout || time.Since(began) > 8*time.Second {
			t.Errorf("a stalled body: %d after %v, want 408 after about 5 s", res.StatusCode, time.Since(began))
		}
	})
	t.Run("ErrBudgetSpent", func(t *testing.T) {
		// A 100 KiB budget holds one 64 KiB body: of three at once, one
		// waits for the first, and all get through in turn.
		var wg sync.WaitGroup
		codes := make([]int, 3)
		for i := range codes {
			wg.Go(func() {
				conn, br := dial(t)
				res, _ := exchange(t, conn, br, post("/hold", "", strings.Repeat("a", 64<<10)))
				codes[i] = res.StatusCode
			})
		}
		wg.Wait()
		for i, code := range codes {
			if code != 200 {
				t.Errorf("body %d: %d, want each to wait its turn", i, code)
			}
		}
	})
}

func TestBodiesBudgetRefusal(t *testing.T) {
	// A budget that stays spent for the header timeout: 503.
	b := guard.NewBodies(64<<10, 200*time.Millisecond)
	app := fiber.New(fiber.Config{DisableStartupMessage: true, StreamRequestBody: true})
	app.Use(b.CloseUnread())
	hold := make(chan struct{})
	app.Post("/hold", b.Read(64<<10), func(c *fiber.Ctx) error { <-hold; return nil })
	app.Post("/echo", b.Read(64<<10), func(c *fiber.Ctx) error { return nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { close(hold); _ = app.Shutdown() })
	send := func(path string) chan int {
		done := make(chan int, 1)
		go func() {
			res, err := http.Post("http://"+ln.Addr().String()+path, "text/plain", strings.NewReader(strings.Repeat("a", 60<<10)))
			if err != nil {
				done <- 0
				return
			}
			res.Body.Close()
			done <- res.StatusCode
		}()
		return done
	}
	held := send("/hold")
	time.Sleep(100 * time.Millisecond)
	if code := <-send("/echo"); code != fiber.StatusServiceUnavailable {
		t.Errorf("a body while the budget is held: %d, want 503", code)
	}
	select {
	case code := <-held:
		t.Fatalf("the holding request ended: %d", code)
	default:
	}
}
