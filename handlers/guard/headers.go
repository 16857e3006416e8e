package guard

import "github.com/gofiber/fiber/v2"

// ContentSecurityPolicy is the page's policy: everything from this origin
// only, no inline script or style, audio from the server or blob: URLs,
// WebSockets to any host (the page opens ws(s)://its own host/ws).
// htmx injects an inline <style> for its indicators unless its config
// has "includeIndicatorStyles":false.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

// PermissionsPolicy lets the page itself ask for the microphone and
// nothing else.
const PermissionsPolicy = "microphone=(self), camera=(), geolocation=()"

// Headers sets the security headers on every response: pages, fragments,
// JSON, assets and errors alike. They are set before the rest of the chain
// runs, so error answers (written after it) carry them too.
func (g *Guard) Headers() fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set(fiber.HeaderContentSecurityPolicy, ContentSecurityPolicy)
		h.Set(fiber.HeaderPermissionsPolicy, PermissionsPolicy)
		h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		h.Set(fiber.HeaderReferrerPolicy, "same-origin")
		h.Set(fiber.HeaderXFrameOptions, "DENY")
		return c.Next()
	}
}
