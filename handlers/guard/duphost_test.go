package guard

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestDuplicateHostRefused sends raw requests with two Host headers to a
// real listener: fasthttp keeps only the last, so without the guard a
// request would be judged (and routed by a proxy in front) by a different
// Host than the one the guard saw. Every such request is a 400, with or
// without a token, whatever the order; one Host still passes.
func TestDuplicateHostRefused(t *testing.T) {
	for _, token := range []string{"", "secret"} {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		g := New(Config{Token: token})
		app.Use(g.Hosts())
		app.Get("/", func(c *fiber.Ctx) error { return c.SendString("ok " + c.Hostname()) })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go app.Listener(ln)
		t.Cleanup(func() { app.Shutdown() })

		for _, tc := range []struct {
			name, headers string
			want          int
		}{
			{"one Host", "Host: localhost\r\n", 200},
			{"evil last", "Host: localhost\r\nHost: rebind.evil.example\r\n", 400},
			{"evil first", "Host: rebind.evil.example\r\nHost: localhost\r\n", 400},
			{"same twice", "Host: localhost\r\nHost: localhost\r\n", 400},
			{"case and spacing", "Host: localhost\r\nhOsT:127.0.0.1\r\n", 400},
			{"apart", "Host: localhost\r\nAccept: */*\r\nHOST: localhost\r\n", 400},
		} {
			status, body := rawGet(t, ln.Addr().String(), tc.headers)
			if status != tc.want {
				t.Errorf("token %q, %s: %d %q, want %d", token, tc.name, status, body, tc.want)
			}
			if tc.want == 400 && !strings.Contains(body, "more than one Host header") {
				t.Errorf("token %q, %s: body %q", token, tc.name, body)
			}
		}
	}
}

// rawGet writes GET / with headers as given, and reads the answer.
func rawGet(t *testing.T, addr, headers string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\n"+headers+"Connection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
