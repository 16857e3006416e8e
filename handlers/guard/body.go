package guard

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/sync/semaphore"
)

// Prefetched is how much of a body fasthttp reads, with request body
// streaming on, before any handler runs: the whole of a body up to this
// size, the first Prefetched bytes of a larger one. Nothing more is read
// until a route's Bodies.Read asks for it.
const Prefetched = 8 << 10

// bodyReadKey marks, in a request's Locals, a body read whole.
const bodyReadKey = "guard_body_read"

// bodySumKey holds, in a request's Locals, the SHA-256 its body must have.
const bodySumKey = "guard_body_sum"

// ExpectBodySum makes Read refuse (403) a body whose SHA-256 is not sum:
// a request another node forwarded carries its body's hash in what the
// node signed, and the body itself is read only later.
func ExpectBodySum(c *fiber.Ctx, sum [sha256.Size]byte) { c.Locals(bodySumKey, sum) }

// checkSum refuses a body that is not the one a signed request promised.
func checkSum(c *fiber.Ctx, body []byte) error {
	want, ok := c.Locals(bodySumKey).([sha256.Size]byte)
	if !ok || sha256.Sum256(body) == want {
		return nil
	}
	return fiber.NewError(fiber.StatusForbidden, "the forwarded request's body is not the one its node signed")
}

// Bodies reads request bodies, and only once a request has passed the
// guards and found its route: the server streams bodies (fiber.Config
// StreamRequestBody), so a request that is refused, or that matches no
// route, costs its first Prefetched bytes at most, for the header
// timeout at most, and is then answered and its connection closed with
// the rest of the body unread. A route that takes a body mounts Read with
// its own limit; the bytes it holds in memory count against one budget
// for the whole server, so however many clients send at once, bodies in
// flight never hold more than that.
type Bodies struct {
	budget *semaphore.Weighted
	grace  time.Duration
	wait   time.Duration
}

// NewBodies returns Bodies that hold at most budget bytes of bodies in
// memory at once. grace is the header timeout: the time a body's first
// bytes have, and a body's base allowance (it gets a second more for
// every MinBodyRate bytes). A request that finds the budget spent waits
// for it up to grace, then gets 503.
func NewBodies(budget int64, grace time.Duration) *Bodies {
	wait := grace
	if wait <= 0 {
		wait = defaultBudgetWait
	}
	return &Bodies{budget: semaphore.NewWeighted(budget), grace: grace, wait: wait}
}

// defaultBudgetWait is how long a body waits for the budget when there is
// no header timeout to go by.
const defaultBudgetWait = 10 * time.Second

// HeaderReceived is the fasthttp Server.HeaderReceived hook: a request
// with a body gets the time for its first Prefetched bytes (or all of a
// smaller one) to arrive, counted from the end of its header: the header
// timeout plus a second per MinBodyRate bytes. The rest gets its time
// when a route reads it (Read). Requests without a body keep the
// header's deadline.
func (b *Bodies) HeaderReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	n := int64(h.ContentLength())
	if n == -1 || n > Prefetched {
		n = Prefetched
	}
	if n <= 0 || b.grace <= 0 {
		return fasthttp.RequestConfig{}
	}
	return fasthttp.RequestConfig{ReadTimeout: b.allowance(n)}
}

// allowance is the time a body of n bytes has to arrive.
func (b *Bodies) allowance(n int64) time.Duration {
	return b.grace + time.Duration(n)*time.Second/MinBodyRate
}

// CloseUnread is the app's first middleware: after the request is
// answered, a body no route read (refused by a guard, no such route, a
// route that takes none) is still on the connection, so the connection
// is closed rather than read on. A body within Prefetched is read
// already and costs nothing: the connection stays open.
func (b *Bodies) CloseUnread() fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if c.Locals(bodyReadKey) == nil && bodyOnWire(c) {
			c.Context().SetConnectionClose()
		}
		return err
	}
}

// bodyOnWire reports a body that fasthttp has not read whole: chunked, or
// longer than Prefetched.
func bodyOnWire(c *fiber.Ctx) bool {
	n := c.Request().Header.ContentLength()
	return n == -1 || n > Prefetched
}

// None is the middleware of a route that takes no body: a request whose
// body is still on the wire (longer than Prefetched, or chunked) is
// refused with 413, unread, so no handler (nor a library it calls, such
// as net/http's adaptors) can read it whole by accident. A small body,
// read already, is let through and ignored.
func (b *Bodies) None() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if bodyOnWire(c) {
			return fiber.NewError(fiber.StatusRequestEntityTooLarge, "this request takes no body")
		}
		return c.Next()
	}
}

// Read returns the middleware of a route that takes a body of up to limit
// bytes: it reads the body into memory before the handler runs, which
// then finds it in c.Body(). It answers
//
//   - 413 for a body over limit (by its Content-Length, unread, or as it
//     arrives when chunked);
//   - 415 for a compressed body (Content-Encoding): the handlers parse
//     bodies as sent, and a small compressed body could expand without
//     bound;
//   - 503 when the server's budget for bodies stays spent for the header
//     timeout;
//   - 408 for a body slower than the header timeout plus a second for
//     every MinBodyRate bytes it declares (a chunked one: limit).
//
// The bytes count against the budget until the handler returns.
func (b *Bodies) Read(limit int64) fiber.Handler {
	return func(c *fiber.Ctx) error {
		release, err := b.read(c, limit)
		if err != nil {
			return err
		}
		defer release()
		return c.Next()
	}
}

func (b *Bodies) read(c *fiber.Ctx, limit int64) (release func(), err error) {
	none := func() {}
	n := int64(c.Request().Header.ContentLength())
	if n == 0 || n == -2 { // none, or none that HTTP/1.1 allows a request
		c.Locals(bodyReadKey, true)
		return none, checkSum(c, nil)
	}
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && enc != "identity" {
		return none, fiber.NewError(fiber.StatusUnsupportedMediaType, "compressed request bodies are not accepted (Content-Encoding: "+enc+")")
	}
	if n > limit {
		return none, tooLarge(limit)
	}
	want := n
	if n < 0 { // chunked: its length shows only at its end
		want = limit
	}
	if err := b.acquire(c.UserContext(), want); err != nil {
		c.Set(fiber.HeaderRetryAfter, "5")
		return none, fiber.NewError(fiber.StatusServiceUnavailable, "the server is busy receiving other requests; try again in a moment")
	}
	release = func() { b.budget.Release(want) }
	body, err := b.receive(c, n, limit)
	if err == nil {
		err = checkSum(c, body)
	}
	if err != nil {
		release()
		return none, err
	}
	c.Request().SetBodyRaw(body)
	c.Locals(bodyReadKey, true)
	return release, nil
}

// acquire takes n bytes of the budget, waiting for them up to b.wait.
func (b *Bodies) acquire(ctx context.Context, n int64) error {
	if b.budget.TryAcquire(n) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.wait)
	defer cancel()
	return b.budget.Acquire(ctx, n)
}

// receive reads the body from the connection: n bytes, or up to limit of
// a chunked one (n < 0). The connection's read deadline is moved to give
// the body the header timeout plus a second per MinBodyRate bytes.
func (b *Bodies) receive(c *fiber.Ctx, n, limit int64) ([]byte, error) {
	stream := c.Context().RequestBodyStream()
	if stream == nil { // read whole already (a server without streaming)
		return c.Request().Body(), nil
	}
	allow := n
	if n < 0 {
		allow = limit
	}
	if conn := c.Context().Conn(); conn != nil && b.grace > 0 {
		_ = conn.SetReadDeadline(time.Now().Add(b.allowance(allow)))
	}
	if n >= 0 {
		body := make([]byte, n)
		if _, err := io.ReadFull(stream, body); err != nil {
			return nil, slowBody(err)
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(stream, limit+1))
	if err != nil {
		return nil, slowBody(err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

func tooLarge(limit int64) error {
	return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %s, the most this request may send", size(limit)))
}

// slowBody is the answer to a body that stopped arriving: its deadline
// passed (or the client went away, when nobody will read the answer).
func slowBody(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fiber.NewError(fiber.StatusRequestTimeout, "the request body came too slowly")
	}
	return fiber.NewError(fiber.StatusBadRequest, "the request body ended early: "+err.Error())
}

// size writes a byte count for people: "16 MiB", "64 KiB", "100 bytes".
func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
