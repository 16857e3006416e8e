package guard_test

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
)

func TestRecover(t *testing.T) {
	log, logs := newLog()
	g := guard.New(guard.Config{Log: log})
	app := newApp()
	app.Use(g.Recover(), g.Headers())
	app.Get("/boom", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentDisposition, "attachment")
		c.WriteString("half an answer")
		panic("kaboom in handler")
	})
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("fine") })

	resp, body := do(t, app, request("GET", "/boom", ""))
	wantError(t, resp, body, 500, "internal error")
	if strings.Contains(body, "half an answer") || resp.Header.Get(fiber.HeaderContentDisposition) != "" {
		t.Errorf("the handler's partial answer leaked: %q %v", body, resp.Header)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("security headers lost on the 500: %v", resp.Header)
	}
	if l := logs.String(); !strings.Contains(l, "kaboom in handler") || !strings.Contains(l, "goroutine") || !strings.Contains(l, "path=/boom") {
		t.Errorf("log lacks the panic, its stack or the path:\n%s", l)
	}

	resp, body = do(t, app, request("GET", "/ok", ""))
	if resp.StatusCode != 200 || body != "fine" {
		t.Errorf("after a panic: %d %q", resp.StatusCode, body)
	}
}

func TestRecoverConn(t *testing.T) {
	log, logs := newLog()
	g := guard.New(guard.Config{Log: log})
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/ws", websocket.New(func(c *websocket.Conn) {
		panic("kaboom in websocket")
	}, websocket.Config{RecoverHandler: g.RecoverConn()}))
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("fine") })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })

	conn, _, err := fws.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var msg struct{ Type, Message string }
	if err := json.Unmarshal(data, &msg); err != nil || msg.Type != "error" || msg.Message != "internal error" {
		t.Errorf("message = %s (%v), want {type:error, message:internal error}", data, err)
	}
	if strings.Contains(string(data), "kaboom") {
		t.Errorf("the panic value reached the client: %s", data)
	}
	if l := logs.String(); !strings.Contains(l, "kaboom in websocket") || !strings.Contains(l, "goroutine") {
		t.Errorf("log lacks the panic or its stack:\n%s", l)
	}

	resp, err := app.Test(request("GET", "/ok", ""), -1)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("after a websocket panic: %v %v", resp, err)
	}
}
