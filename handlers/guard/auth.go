package guard

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const (
	// loginTries is how many wrong tokens one client gets a minute, form
	// and Bearer together, before further wrong ones get 429.
	loginTries = 10
	// MinTokenLength is the shortest access token the server takes: a
	// right token is never refused (see Auth), so the token's own length
	// is what puts guessing out of reach.
	MinTokenLength = 16
	// cookieMaxAge keeps a browser signed in for a year (Chrome caps
	// cookies at 400 days).
	cookieMaxAge = 365 * 24 * time.Hour
	// unauthorized is the 401 message of every refused request.
	unauthorized = "sign in: this server needs its access token"
)

// Auth requires the access token, when there is one, on every route but
// the sign-in page (GET/HEAD and POST /login), /assets/* and the share
// links (/s/*, which open one recording each by their own secret): as the
// session cookie the sign-in form sets, or as "Authorization: Bearer
// <token>". The cookie also admits WebSocket handshakes, on which browsers
// cannot set headers; non-browser WebSocket clients (the feed consumer)
// send the Bearer header. Comparisons are constant-time.
//
// A right token always passes: it is compared before any limit, and never
// counts. A wrong Bearer token counts against its client's sign-in
// attempts (loginTries a minute, shared with the form; the client is the
// real one behind a trusted proxy, see ClientIP), and beyond them gets 429
// with Retry-After instead of 401. So a client is never locked out
// because someone else at its address guessed wrong. What makes guessing
// hopeless is then the token itself: the server takes none shorter than
// MinTokenLength (see the README for the arithmetic); the limit keeps a
// guesser's noise down and tells a mistyped client to stop.
//
// A refused page load (GET or HEAD accepting text/html) is redirected
// (303) to /login?next=<path>; anything else gets 401 {status:"error",
// message} with WWW-Authenticate: Bearer, and, for htmx requests, an
// HX-Redirect to the sign-in page so htmx leaves the page for it rather
// than failing silently.
func (g *Guard) Auth() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if g.cfg.Token == "" || open(c) {
			return c.Next()
		}
		tok, hasBearer := bearer(c)
		if hasBearer && g.tokenMatches(tok) || g.signedIn(c) {
			return c.Next()
		}
		if hasBearer {
			if ok, wait := g.logins.fail(ClientKey(ClientIP(c))); !ok {
				g.log.Debug("Bearer token guesses limited", "ip", ClientIP(c))
				c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
				return fail(c, fiber.StatusTooManyRequests, "too many wrong tokens; try again in a minute")
			}
			g.log.Warn("request refused: wrong Bearer token", "ip", ClientIP(c), "path", c.Path())
		}
		if isPageLoad(c) {
			return c.Redirect(loginURL(c.OriginalURL()), fiber.StatusSeeOther)
		}
		if c.Get("HX-Request") == "true" {
			c.Set("HX-Redirect", loginURL(pageOf(c.Get("HX-Current-URL"))))
		}
		c.Set(fiber.HeaderWWWAuthenticate, "Bearer")
		return fail(c, fiber.StatusUnauthorized, unauthorized)
	}
}

// open reports the routes that stay reachable without the token.
func open(c *fiber.Ctx) bool {
	p := c.Path()
	if p == "/assets" || strings.HasPrefix(p, "/assets/") || isLink(p) {
		return true
	}
	if p != "/login" {
		return false
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost:
		return true
	}
	return false
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(c *fiber.Ctx) (string, bool) {
	scheme, tok, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// signedIn reports whether the request carries the session cookie.
func (g *Guard) signedIn(c *fiber.Ctx) bool {
	if v := c.Cookies(g.cfg.CookieName); v != "" {
		return subtle.ConstantTimeCompare([]byte(v), []byte(g.session)) == 1
	}
	return false
}

// tokenMatches compares hashes, so that neither the token's bytes nor its
// length show in the time taken.
func (g *Guard) tokenMatches(tok string) bool {
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], g.tokenSum[:]) == 1
}

// isPageLoad reports a browser navigation: the answer may be a redirect.
func isPageLoad(c *fiber.Ctx) bool {
	m := c.Method()
	return (m == fiber.MethodGet || m == fiber.MethodHead) &&
		c.Get("HX-Request") != "true" && !isUpgrade(c) &&
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMETextHTML)
}

// loginURL is the sign-in page that returns to next.
func loginURL(next string) string {
	next = safeNext(next)
	if next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// pageOf is the local path and query of an absolute URL (htmx's
// HX-Current-URL), or "/".
func pageOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return "/"
	}
	return safeNext(u.RequestURI())
}

// safeNext keeps next only if it is a path on this server: it starts with
// one "/" and cannot be read by a browser as another host ("//host",
// "/\host", or those with tabs or newlines inside, which browsers strip).
// Anything else becomes "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	if strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

// LoginPage serves GET /login: the sign-in form. Without a token, or when
// the browser is already signed in (its cookie; a Bearer token is not
// looked at here, so the page is no way to test guesses), it goes
// straight on to next.
func (g *Guard) LoginPage() fiber.Handler {
	return func(c *fiber.Ctx) error {
		next := safeNext(c.Query("next"))
		if g.cfg.Token == "" || g.signedIn(c) {
			return c.Redirect(next, fiber.StatusSeeOther)
		}
		return g.renderLogin(c, fiber.StatusOK, next, "")
	}
}

// Login serves POST /login (form fields "token" and "next"). The right
// token sets the session cookie (HttpOnly, SameSite=Strict, Secure when
// SecureCookie, for a year; its value is sessionValue, not the token) and
// redirects (303) to next when that is a local path, else to "/". A wrong
// one answers the form again with 401, and counts against the client's
// attempts: loginTries a minute, beyond which a wrong token gets 429 with
// Retry-After. As with Auth, the right token always signs in.
func (g *Guard) Login() fiber.Handler {
	return func(c *fiber.Ctx) error {
		next := safeNext(c.FormValue("next"))
		if g.cfg.Token == "" {
			return c.Redirect(next, fiber.StatusSeeOther)
		}
		if !g.tokenMatches(c.FormValue("token")) {
			if ok, wait := g.logins.fail(ClientKey(ClientIP(c))); !ok {
				g.log.Warn("sign-in attempts limited", "ip", ClientIP(c))
				c.Set(fiber.HeaderRetryAfter, retryAfter(wait))
				return g.renderLogin(c, fiber.StatusTooManyRequests, next,
					"Too many attempts. Try again in a minute.")
			}
			g.log.Warn("sign-in refused: wrong token", "ip", ClientIP(c))
			return g.renderLogin(c, fiber.StatusUnauthorized, next, "That is not this server's access token.")
		}
		c.Cookie(&fiber.Cookie{
			Name:     g.cfg.CookieName,
			Value:    g.session,
			Path:     "/",
			MaxAge:   int(cookieMaxAge / time.Second),
			Secure:   g.cfg.SecureCookie,
			HTTPOnly: true,
			SameSite: fiber.CookieSameSiteStrictMode,
		})
		return c.Redirect(next, fiber.StatusSeeOther)
	}
}

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	return strconv.Itoa(max(s, 1))
}

func (g *Guard) renderLogin(c *fiber.Ctx, status int, next, problem string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Type("html", "utf-8")
	c.Status(status)
	return g.page.Execute(c.Response().BodyWriter(), struct{ Next, Error string }{next, problem})
}

// loginHTML is the sign-in page: no script, styled by the app's sheet.
const loginHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · WebRTC Audio Recorder</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<main class="container">
<section class="card" aria-labelledby="login-title">
<h1 id="login-title">Sign in</h1>
<p class="hint">This recorder needs its access token.</p>
{{if .Error}}<p class="status error" role="alert" data-testid="login-error">{{.Error}}</p>{{end}}
<form method="post" action="/login" data-testid="login-form">
<div class="field">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
</div>
<input type="hidden" name="next" value="{{.Next}}">
<button type="submit" class="primary">Sign in</button>
</form>
</section>
</main>
</body>
</html>
`
