// Package guard is the recorder's front door: the Fiber middleware that
// keeps a server reachable from a network safe to run. It recovers
// panics, sets security headers, refuses cross-site requests, checks an
// optional access token (with a small sign-in page), rate-limits new
// WebRTC sessions and wrong tokens, and reads request bodies only for the
// routes that take them, within their limits, a memory budget and a time
// that follows their size (Bodies). Everything is
// configured by one Config built in main; the package holds no global
// state.
//
// handlers.NewApp mounts them: Bodies.CloseUnread first, then RealClient, Recover,
// Headers, Hosts, SameOrigin and Auth in front of every route;
// RequireJSON, RequireOctetStream, OfferLimit and Bodies.Read on the route
// groups that need them.
package guard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/netip"
	"time"

	"github.com/gofiber/fiber/v2"
)

// DefaultCookieName is the session cookie's name when Config leaves it empty.
const DefaultCookieName = "recorder_token"

// Config is what the guard needs; main builds it once.
type Config struct {
	// Token is the access token. "" leaves the server open to anyone who
	// can reach it (fine on loopback; see WarnIfExposed).
	Token string
	// CookieName names the session cookie set by the sign-in form.
	// Default DefaultCookieName.
	CookieName string
	// SecureCookie marks the cookie Secure: set it when serving HTTPS.
	SecureCookie bool
	// OfferRate is how many POST /webrtc/offer one client IP may make per
	// minute; 0 means unlimited.
	OfferRate int
	// TrustedProxies are the load balancers allowed to say whom they
	// forward for (X-Forwarded-For here; the PROXY protocol in the
	// listener): every per-client limit then counts the real client.
	TrustedProxies []netip.Prefix
	// Log receives panics and warnings. Default: discarded.
	Log *slog.Logger
	// Now is the clock of the rate limits. Default time.Now.
	Now func() time.Time
}

// Guard holds the middleware's configuration and rate-limit state.
type Guard struct {
	cfg Config
	log *slog.Logger
	// session is the cookie value that proves a sign-in (see sessionValue).
	session string
	// tokenSum is the SHA-256 of the token, compared with the sum of a
	// presented one so the comparison's time says nothing about length.
	tokenSum [sha256.Size]byte
	offers   *window
	logins   *window
	links    *window // requests for share links that do not exist
	page     *template.Template
}

// New returns a Guard for cfg, filling in the defaults.
func New(cfg Config) *Guard {
	if cfg.CookieName == "" {
		cfg.CookieName = DefaultCookieName
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	g := &Guard{
		cfg:    cfg,
		log:    cfg.Log,
		offers: newWindow(cfg.OfferRate, time.Minute, cfg.Now),
		logins: newWindow(loginTries, time.Minute, cfg.Now),
		links:  newWindow(linkMisses, time.Minute, cfg.Now),
		page:   template.Must(template.New("login").Parse(loginHTML)),
	}
	if cfg.Token != "" {
		g.session = sessionValue(cfg.Token)
		g.tokenSum = sha256.Sum256([]byte(cfg.Token))
	}
	return g
}

// sessionValue is what the browser keeps after signing in: an HMAC of a
// fixed label keyed by the token, not the token itself. It proves the
// holder once knew the token (it is a bearer credential for this server
// just the same), but a cookie read off a disk or out of a browser profile
// does not reveal a token the user may have reused elsewhere, nor work as
// the Bearer token of the API. Changing the token signs every browser out.
func sessionValue(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("recorder session v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// fail answers the seed's JSON error envelope.
func fail(c *fiber.Ctx, status int, message string) error {
	return c.Status(status).JSON(fiber.Map{"status": "error", "message": message})
}
