package guard

import "github.com/gofiber/fiber/v2"

// clientIPKey is where the real client's address is kept in a request's
// Locals once known.
const clientIPKey = "guard_client_ip"

// ClientIP is the address of the client that sent c: the TCP peer, unless
// a trusted proxy said who it forwards for.
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.IP()
}
