package guard

import (
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// SameOrigin refuses cross-site requests that could change something:
// POST, PUT, PATCH and DELETE, and WebSocket upgrades (a cross-site page
// may open a WebSocket to any host, and the browser sends this server's
// cookies with it). Other requests pass: they must not change state.
//
// The decision, in the manner of Go's net/http CrossOriginProtection:
//
//   - Sec-Fetch-Site, which every current browser sends to a secure origin
//     (HTTPS or localhost), decides alone: "same-origin" or "none" (typed,
//     bookmarked) passes; "same-site" (another port or subdomain) and
//     "cross-site" are refused.
//   - Otherwise Origin, when present, must be this server's own origin,
//     c.Protocol()+"://"+c.Hostname() (the host with its port, as the
//     client addressed it; default ports ignored). Over plain HTTP to a LAN
//     address browsers send no Sec-Fetch-Site but do send Origin. An Origin
//     of "null" (sandboxed frames, privacy redirects) is refused.
//   - With neither header the request passes, whatever its Content-Type.
//     A forged request needs a victim's browser to carry the victim's
//     cookies and network position, and browsers send Origin with every
//     cross-origin POST/PUT/PATCH/DELETE and every WebSocket handshake
//     (since Chrome 2019, Firefox 70, Safari 2020). A request with neither
//     header therefore comes from curl, the Go tools or a seed API client,
//     which cannot be made to act for someone else. That is also why a
//     form-encoded, multipart or text/plain request (the "simple" bodies a
//     cross-site <form> or no-cors fetch can send without a CORS preflight)
//     is still allowed here without the headers; the JSON routes add
//     RequireJSON, so even a browser too old to send Origin could not reach
//     them: a cross-site application/json request needs a preflight this
//     server never grants.
//
// A refused request gets 403 {status:"error", message:"cross-site request
// refused"} and never reaches the handler.
func (g *Guard) SameOrigin() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !changesState(c) || !crossSite(c) {
			return c.Next()
		}
		g.log.Warn("cross-site request refused", "method", c.Method(), "path", c.Path(),
			"origin", c.Get(fiber.HeaderOrigin), "sec_fetch_site", c.Get("Sec-Fetch-Site"), "ip", ClientIP(c))
		return fail(c, fiber.StatusForbidden, "cross-site request refused")
	}
}

// changesState reports whether SameOrigin must check the request.
func changesState(c *fiber.Ctx) bool {
	switch c.Method() {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		return true
	}
	return isUpgrade(c)
}

// isUpgrade reports a WebSocket handshake: Upgrade: websocket and
// "upgrade" among the Connection tokens.
func isUpgrade(c *fiber.Ctx) bool {
	if !strings.EqualFold(strings.TrimSpace(c.Get(fiber.HeaderUpgrade)), "websocket") {
		return false
	}
	for tok := range strings.SplitSeq(c.Get(fiber.HeaderConnection), ",") {
		if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
			return true
		}
	}
	return false
}

// crossSite applies SameOrigin's rules.
func crossSite(c *fiber.Ctx) bool {
	switch site := strings.ToLower(c.Get("Sec-Fetch-Site")); site {
	case "same-origin", "none":
		return false
	case "":
	default:
		return true
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		return false
	}
	return !sameOrigin(origin, c.Protocol()+"://"+c.Hostname())
}

// sameOrigin compares two scheme://host[:port] origins, ignoring case and
// a default port.
func sameOrigin(a, b string) bool {
	return strings.EqualFold(trimDefaultPort(a), trimDefaultPort(b))
}

func trimDefaultPort(origin string) string {
	origin = strings.ToLower(origin)
	switch {
	case strings.HasPrefix(origin, "http://"):
		return strings.TrimSuffix(origin, ":80")
	case strings.HasPrefix(origin, "https://"):
		return strings.TrimSuffix(origin, ":443")
	}
	return origin
}

// RequireJSON refuses a request to a JSON route whose body is not
// declared application/json (parameters such as charset allowed) with 415.
// Mount it on the JSON API routes: besides checking the contract, it
// makes them unreachable by the "simple" requests a cross-site page can
// send without a CORS preflight. GET, HEAD and OPTIONS pass, so it can
// guard a whole group such as /webrtc.
func (g *Guard) RequireJSON() fiber.Handler {
	return g.RequireContentType(fiber.MIMEApplicationJSON)
}

// RequireOctetStream is RequireContentType for raw bodies such as upload
// chunks (the page PUTs them as application/octet-stream).
func (g *Guard) RequireOctetStream() fiber.Handler {
	return g.RequireContentType(fiber.MIMEOctetStream)
}

// RequireContentType refuses a request (any method but GET, HEAD and
// OPTIONS) unless its Content-Type's media type is one of types, with 415
// {status:"error", message:"Content-Type must be …"}. A request with
// neither a body nor a Content-Type passes: there is nothing to mistype,
// the handler answers for the missing body, and no browser sends one
// cross-site without an Origin (a <form> always sends a Content-Type).
func (g *Guard) RequireContentType(types ...string) fiber.Handler {
	want := strings.Join(types, " or ")
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		ct := c.Get(fiber.HeaderContentType)
		if ct == "" && len(c.Body()) == 0 {
			return c.Next()
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil {
			for _, t := range types {
				if mt == t {
					return c.Next()
				}
			}
		}
		return fail(c, fiber.StatusUnsupportedMediaType, "Content-Type must be "+want)
	}
}
