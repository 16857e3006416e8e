package guard

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
)

// Recover turns a panic in a later handler into a logged error (with its
// stack) and a 500 {status:"error", message:"internal error"}, so one bad
// request never takes the server down: fasthttp does not recover panics.
// Mount it first. WebSocket handlers run outside the middleware chain
// once upgraded; give them RecoverConn.
func (g *Guard) Recover() fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			g.log.Error("panic serving request",
				"method", c.Method(), "path", c.Path(),
				"err", fmt.Errorf("panic: %v", r), "stack", string(debug.Stack()))
			// Whatever the handler had started to answer is dropped (fail
			// replaces the body); the headers set before it (Headers') stay.
			c.Response().Header.Del(fiber.HeaderContentDisposition)
			c.Response().Header.Del(fiber.HeaderContentRange)
			c.Response().Header.Del(fiber.HeaderContentEncoding)
			err = fail(c, fiber.StatusInternalServerError, "internal error")
		}()
		return c.Next()
	}
}

// RecoverConn is a websocket.Config.RecoverHandler: it logs a panic in a
// WebSocket handler with its stack and tells the client
// {type:"error", message:"internal error"} (what the page's ws.js reads),
// instead of the contrib default, which prints to stderr and sends the
// panic value itself to the client.
func (g *Guard) RecoverConn() func(*websocket.Conn) {
	return func(conn *websocket.Conn) {
		r := recover()
		if r == nil {
			return
		}
		g.log.Error("panic in websocket handler",
			"err", fmt.Errorf("panic: %v", r), "stack", string(debug.Stack()))
		if conn == nil || conn.Conn == nil {
			return
		}
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_ = conn.WriteJSON(fiber.Map{"type": "error", "message": "internal error"})
	}
}
