package guard

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// LinksPrefix starts the path of every share link (/s/<token>…): the
// only routes besides the sign-in page and the assets that need no token.
// What a link opens is for its handler to decide.
const LinksPrefix = "/s/"

// linkMisses is how many requests for links that do not exist (answered
// 404) one client may make a minute before the next get 429. A link's
// secret has 130 random bits, so the limit is not what keeps guessers
// out; it keeps them from hammering the index.
const linkMisses = 30

// LinkLimit rate-limits the share links' routes: each answer 404 (no
// such link, or a wrong secret) counts against its client, and a client
// over linkMisses a minute gets 429 with Retry-After, before the index is
// asked, for the rest of its minute. Links that work never count, so
// someone behind the same address as a guesser is refused only while the
// guesser's minute lasts.
func (g *Guard) LinkLimit() fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := ClientKey(ClientIP(c))
		if wait, over := g.links.over(key); over {
			c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
			return c.Status(fiber.StatusTooManyRequests).SendString("Too many wrong links. Try again in a minute.\n")
		}
		err := c.Next()
		if err == nil && c.Response().StatusCode() == fiber.StatusNotFound {
			if ok, _ := g.links.fail(key); !ok {
				g.log.Warn("share link guesses limited", "ip", ClientIP(c))
			}
		}
		return err
	}
}

// isLink reports a request for a share link's routes. A path with a
// ".." is none, whatever a router would make of it.
func isLink(path string) bool {
	return strings.HasPrefix(path, LinksPrefix) && !strings.Contains(path, "..")
}

// over reports, without counting, whether key has used up its window;
// wait is then how long until the window ends.
func (w *window) over(key string) (wait time.Duration, over bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	b := w.hits[key]
	if b == nil || now.Sub(b.start) >= w.period || b.n < w.limit {
		return 0, false
	}
	return b.start.Add(w.period).Sub(now), true
}
