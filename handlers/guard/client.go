package guard

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// clientIPKey is where the real client's address is kept in a request's
// Locals once known.
const clientIPKey = "guard_client_ip"

// ClientIP is the address of the client that sent c: the TCP peer (which
// the PROXY protocol of a trusted proxy has made the client already, see
// internal/proxyproto), unless RealClient or a node forwarding the request
// (handlers.Cluster) found who a trusted peer acts for. Every per-client
// limit counts by it (ClientKey).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.IP()
}

// SetClientIP records who a request is from, for ClientIP: a caller that
// has proved it may say so (a node's signed forward).
func SetClientIP(c *fiber.Ctx, ip netip.Addr) {
	c.Locals(clientIPKey, ip.Unmap().String())
}

// RealClient finds the client behind a trusted proxy (Config.
// TrustedProxies) from its X-Forwarded-For: walking the list from its
// right end, where each proxy appended the address it got the request
// from, past the addresses that are trusted proxies themselves, the first
// other address is the client. Entries further left were written by the
// client and are never believed. From a peer that is not a trusted proxy
// the header is ignored: the peer is the client.
func (g *Guard) RealClient() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(g.cfg.TrustedProxies) == 0 || c.Locals(clientIPKey) != nil {
			return c.Next()
		}
		peer, err := netip.ParseAddr(c.IP())
		if err != nil || !g.trusted(peer) {
			return c.Next()
		}
		if client, ok := g.forwardedFor(c); ok {
			SetClientIP(c, client)
		}
		return c.Next()
	}
}

// Trusted reports whether addr is a trusted proxy.
func (g *Guard) Trusted(addr netip.Addr) bool { return g.trusted(addr) }

func (g *Guard) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range g.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedFor reads X-Forwarded-For (every such header, in order, as one
// list) from the right.
func (g *Guard) forwardedFor(c *fiber.Ctx) (netip.Addr, bool) {
	var hops []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		hops = append(hops, strings.Split(string(v), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, ok := parseHop(hops[i])
		if !ok {
			return netip.Addr{}, false // garbled from here on: trust nothing further left
		}
		if !g.trusted(addr) {
			return addr, true
		}
	}
	return netip.Addr{}, false
}

// parseHop reads one X-Forwarded-For entry: an address, perhaps with a
// port ("192.0.2.7:5000", "[2001:db8::7]:5000").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
