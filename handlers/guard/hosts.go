package guard

import (
	"bytes"
	"net"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Hosts protects a server without a token from DNS rebinding: a page on
// evil.example can re-point its own name at 127.0.0.1, and then the
// browser calls it same-origin. Without a token, only requests addressed
// to localhost, this machine's host name or an IP literal are answered
// (a rebinding attack needs a DNS name of its own). With a token the
// sign-in cookie, bound to the real host, already stops it, so any Host
// is accepted.
//
// A request with more than one Host header is refused (400) first, token
// or not: fasthttp keeps only the last one, while a proxy or log in front
// may go by the first, so such a request means different things to
// different readers.
func (g *Guard) Hosts() fiber.Handler {
	own := map[string]bool{"localhost": true}
	if h, err := os.Hostname(); err == nil && h != "" {
		own[strings.ToLower(h)] = true
		own[strings.ToLower(h)+".local"] = true
	}
	return func(c *fiber.Ctx) error {
		if hostHeaders(c) > 1 {
			return fail(c, fiber.StatusBadRequest, "the request has more than one Host header")
		}
		if g.cfg.Token != "" {
			return c.Next()
		}
		host := strings.ToLower(c.Hostname())
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
		if own[host] || strings.HasSuffix(host, ".localhost") || net.ParseIP(host) != nil {
			return c.Next()
		}
		return fail(c, fiber.StatusMisdirectedRequest,
			"this server answers localhost or its IP addresses; to use another name, start it with a token")
	}
}

// hostHeaders counts the request's Host headers as received (fasthttp's
// parsed header holds only the last).
func hostHeaders(c *fiber.Ctx) int {
	n := 0
	c.Request().Header.VisitAllInOrder(func(key, _ []byte) {
		if bytes.EqualFold(key, []byte(fiber.HeaderHost)) {
			n++
		}
	})
	return n
}
