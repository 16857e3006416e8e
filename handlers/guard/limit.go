package guard

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// maxTracked bounds how many clients a window remembers at once. Beyond
// it (after forgetting the expired), new clients are refused until some
// expire: a flood of addresses must not grow memory without end.
const maxTracked = 1 << 16

// OfferLimit allows each client IP OfferRate POST /webrtc/offer a minute
// (each one starts a WebRTC session: a peer connection, a decoder and a
// spool file). Beyond that it answers 429 {status:"error", message} with
// Retry-After. OfferRate 0 leaves offers unlimited. Mount it on the offer
// route only. IPv6 clients are counted per /64, the block one host holds.
func (g *Guard) OfferLimit() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if g.cfg.OfferRate <= 0 {
			return c.Next()
		}
		if ok, wait := g.offers.allow(ClientKey(ClientIP(c))); !ok {
			c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
			return fail(c, fiber.StatusTooManyRequests, "too many new sessions; try again in a minute")
		}
		return c.Next()
	}
}

// ClientKey is what a per-client limit counts by: the IPv4 address, or
// the /64 of an IPv6 one (the block one host holds).
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		if p, err := a.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return a.String()
}

// window counts hits per key in fixed windows: a key's window opens at its
// first hit and lasts period; within it, limit hits are allowed.
type window struct {
	limit  int
	period time.Duration
	now    func() time.Time

	mu    sync.Mutex
	hits  map[string]*bucket
	swept time.Time
}

type bucket struct {
	start time.Time
	n     int
}

func newWindow(limit int, period time.Duration, now func() time.Time) *window {
	return &window{limit: limit, period: period, now: now, hits: make(map[string]*bucket)}
}

// allow counts one hit for key and reports whether it is within the
// limit; when it is not, wait is how long until the key's window ends.
func (w *window) allow(key string) (ok bool, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if now.Sub(w.swept) >= w.period || len(w.hits) >= maxTracked {
		w.sweep(now)
	}
	b := w.hits[key]
	if b != nil && now.Sub(b.start) >= w.period {
		b = nil
	}
	if b == nil {
		if len(w.hits) >= maxTracked {
			return false, w.period
		}
		b = &bucket{start: now}
		w.hits[key] = b
	}
	if b.n >= w.limit {
		return false, b.start.Add(w.period).Sub(now)
	}
	b.n++
	return true, 0
}

// fail counts one failure for key and reports whether key is still
// within the limit (this failure included); when it is not, wait is how
// long until the key's window ends. Only failures are counted, so a key's
// successes never use up its limit.
func (w *window) fail(key string) (ok bool, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if now.Sub(w.swept) >= w.period || len(w.hits) >= maxTracked {
		w.sweep(now)
	}
	b := w.hits[key]
	if b == nil || now.Sub(b.start) >= w.period {
		if b == nil && len(w.hits) >= maxTracked {
			return false, w.period
		}
		b = &bucket{start: now}
		w.hits[key] = b
	}
	b.n++
	if b.n > w.limit {
		return false, b.start.Add(w.period).Sub(now)
	}
	return true, 0
}

// sweep forgets the keys whose window has ended.
func (w *window) sweep(now time.Time) {
	for k, b := range w.hits {
		if now.Sub(b.start) >= w.period {
			delete(w.hits, k)
		}
	}
	w.swept = now
}
