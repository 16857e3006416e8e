package handlers

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Health answers the probes of a container runtime or load balancer.
// Its routes come before the guards: a probe carries no token.
type Health struct {
	// Ready reports why the server cannot serve (the data directory is
	// not writable, the database does not answer), or nil.
	Ready func(ctx context.Context) error
	// Draining reports that the server is shutting down: not ready, so a
	// balancer sends no new sessions here.
	Draining func() bool
}

// healthz answers GET /healthz: the process answers.
func healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

func (h Health) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if h.Draining != nil && h.Draining() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "error", "message": "shutting down"})
	}
	if h.Ready != nil {
		ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
		defer cancel()
		if err := h.Ready(ctx); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "error", "message": err.Error()})
		}
	}
	return c.JSON(fiber.Map{"status": "ok"})
}
