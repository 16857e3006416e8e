package guard_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/avatarweb/recorder/handlers/guard"
)

const token = "correct horse battery staple"

// authApp is wired as the package's doc tells main to wire it, in front
// of handlers.Register's routes with stub handlers.
func authApp(g *guard.Guard) *fiber.App {
	app := newApp()
	app.Use(g.Recover(), g.Headers(), g.SameOrigin(), g.Auth())
	app.Get("/login", g.LoginPage())
	app.Post("/login", g.Login())
	json := g.RequireJSON()
	for _, path := range jsonRoutes {
		app.Post(path, json)
	}
	app.Post("/webrtc/offer", g.OfferLimit())
	app.Put("/uploads/:id/chunks/:index", g.RequireOctetStream())

	ok := func(c *fiber.Ctx) error { return c.SendString("ok " + c.Path()) }
	for _, r := range routes {
		app.Add(r.method, r.pattern, ok)
	}
	app.Use("/assets", filesystem.New(filesystem.Config{
		Root: http.FS(fstest.MapFS{"style.css": {Data: []byte("body{}")}, "js/app.js": {Data: []byte("//")}}),
	}))
	return app
}

// jsonRoutes are the POST routes whose body is JSON.
var jsonRoutes = []string{
	"/update_params", "/webrtc/offer", "/webrtc/ice-candidate", "/webrtc/audio-data",
	"/webrtc/stop", "/webrtc/discard", "/uploads", "/uploads/:id/discard", "/save_recording",
}

// routes are handlers.Register's routes.
var routes = []struct{ method, pattern string }{
	{"GET", "/"}, {"GET", "/ui/recordings"}, {"GET", "/ui/params"}, {"POST", "/params"},
	{"GET", "/get_params"}, {"POST", "/update_params"}, {"GET", "/ws"}, {"GET", "/feed/:id"},
	{"POST", "/webrtc/offer"}, {"POST", "/webrtc/ice-candidate"}, {"POST", "/webrtc/audio-data"},
	{"POST", "/webrtc/stop"}, {"POST", "/webrtc/discard"}, {"GET", "/webrtc/sessions/:id"},
	{"POST", "/uploads"}, {"GET", "/uploads/:id"}, {"PUT", "/uploads/:id/chunks/:index"},
	{"GET", "/uploads/:id/audio"}, {"POST", "/uploads/:id/discard"},
	{"POST", "/save_recording"}, {"GET", "/recordings"}, {"GET", "/recordings/:filename"},
	{"GET", "/recordings/:filename/audio"}, {"POST", "/recordings/:filename/title"},
	{"GET", "/recordings/:filename/delete"}, {"POST", "/recordings/:filename/delete"},
	{"DELETE", "/recordings/:filename"},
}

// protected are requests as clients make them: page loads accept HTML
// and are redirected to sign in; the rest get 401.
var protected = []struct {
	method, target string
	headers        []string
	page           bool
}{
	{"GET", "/", []string{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}, true},
	{"GET", "/recordings/x.json", []string{"Accept", "text/html"}, true},
	{"GET", "/ui/recordings?offset=10", []string{"HX-Request", "true", "HX-Current-URL", "http://rec.local/?offset=10"}, false},
	{"GET", "/get_params", nil, false},
	{"POST", "/update_params", []string{"Content-Type", "application/json"}, false},
	{"POST", "/params", []string{"Content-Type", "application/x-www-form-urlencoded", "HX-Request", "true"}, false},
	{"GET", "/ws", []string{"Connection", "Upgrade", "Upgrade", "websocket", "Origin", "http://example.com"}, false},
	{"GET", "/feed/x", []string{"Connection", "Upgrade", "Upgrade", "websocket"}, false},
	{"GET", "/recordings", nil, false},
	{"GET", "/recordings/x/audio", []string{"Accept", "audio/*"}, false},
	{"POST", "/save_recording", []string{"Content-Type", "application/json"}, false},
	{"PUT", "/uploads/x/chunks/0", []string{"Content-Type", "application/octet-stream"}, false},
	{"POST", "/webrtc/offer", []string{"Content-Type", "application/json"}, false},
	{"DELETE", "/recordings/x.json", nil, false},
}

// login signs in with tok and returns the response.
func login(t *testing.T, app *fiber.App, tok, next string, headers ...string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"token": {tok}, "next": {next}}.Encode()
	h := append([]string{"Content-Type", "application/x-www-form-urlencoded", "Origin", "http://example.com"}, headers...)
	return do(t, app, request("POST", "/login", form, h...))
}

func sessionCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == guard.DefaultCookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", guard.DefaultCookieName, resp.Header)
	return nil
}

func TestAuth(t *testing.T) {
	g := guard.New(guard.Config{Token: token})
	app := authApp(g)

	resp, body := login(t, app, token, "/")
	if resp.StatusCode != 303 {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	cookie := sessionCookie(t, resp)

	for i, tc := range protected {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			t.Run("refused", func(t *testing.T) {
				resp, body := do(t, app, request(tc.method, tc.target, "{}", tc.headers...))
				if tc.page {
					if resp.StatusCode != 303 {
						t.Fatalf("status = %d, want 303 (%s)", resp.StatusCode, body)
					}
					want := "/login?next=" + url.QueryEscape(tc.target)
					if tc.target == "/" {
						want = "/login"
					}
					if loc := resp.Header.Get("Location"); loc != want {
						t.Errorf("Location = %q, want %q", loc, want)
					}
					return
				}
				wantError(t, resp, body, 401, "sign in: this server needs its access token")
				if got := resp.Header.Get("WWW-Authenticate"); got != "Bearer" {
					t.Errorf("WWW-Authenticate = %q", got)
				}
			})
			t.Run("wrong token", func(t *testing.T) {
				// Each from its own address: wrong tokens are rate limited.
				h := append([]string{"Authorization", "Bearer not-the-token", "Cookie", guard.DefaultCookieName + "=" + token,
					"X-Real-IP", "198.51.100." + strconv.Itoa(i+1)}, tc.headers...)
				resp, body := do(t, app, request(tc.method, tc.target, "{}", h...))
				if resp.StatusCode != 401 && resp.StatusCode != 303 {
					t.Errorf("status = %d, want refused (%s)", resp.StatusCode, body)
				}
			})
			for name, cred := range map[string][]string{
				"bearer": {"Authorization", "Bearer " + token},
				"cookie": {"Cookie", cookie.Name + "=" + cookie.Value},
			} {
				t.Run(name, func(t *testing.T) {
					resp, body := do(t, app, request(tc.method, tc.target, "{}", append(cred, tc.headers...)...))
					if resp.StatusCode != 200 || !strings.HasPrefix(body, "ok ") {
						t.Errorf("status = %d %q, want 200 from the handler", resp.StatusCode, body)
					}
				})
			}
		})
	}

	t.Run("htmx is sent to sign in", func(t *testing.T) {
		resp, _ := do(t, app, request("GET", "/ui/recordings", "", "HX-Request", "true", "HX-Current-URL", "http://rec.local/recordings?offset=10"))
		if got, want := resp.Header.Get("HX-Redirect"), "/login?next="+url.QueryEscape("/recordings?offset=10"); got != want {
			t.Errorf("HX-Redirect = %q, want %q", got, want)
		}
	})

	t.Run("open routes", func(t *testing.T) {
		for _, target := range []string{"/assets/style.css", "/assets/js/app.js", "/login", "/login?next=/recordings"} {
			resp, body := do(t, app, request("GET", target, "", "Accept", "text/html"))
			if resp.StatusCode != 200 {
				t.Errorf("GET %s = %d %s", target, resp.StatusCode, body)
			}
		}
		resp, body := do(t, app, request("GET", "/login?next=/recordings", ""))
		if !strings.Contains(body, `name="token"`) || !strings.Contains(body, `type="password"`) ||
			!strings.Contains(body, `name="next" value="/recordings"`) || strings.Contains(body, "<script") {
			t.Errorf("login page:\n%s", body)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("login page headers: %v", resp.Header)
		}
	})

	t.Run("no way round through /assets", func(t *testing.T) {
		for _, target := range []string{"/assets/../recordings", "/assets/%2e%2e/recordings", "/ASSETS/../recordings", "/assets/../../get_params"} {
			resp, body := do(t, app, request("GET", target, ""))
			if strings.HasPrefix(body, "ok ") {
				t.Errorf("GET %s reached a handler: %d %q", target, resp.StatusCode, body)
			}
		}
	})

	t.Run("only /assets/ itself is open", func(t *testing.T) {
		app := authApp(g)
		app.Get("/assets-admin", func(c *fiber.Ctx) error { return c.SendString("ok admin") })
		resp, body := do(t, app, request("GET", "/assets-admin", ""))
		if resp.StatusCode != 401 {
			t.Errorf("GET /assets-admin without the token: %d %q", resp.StatusCode, body)
		}
	})

	t.Run("cookie", func(t *testing.T) {
		if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" || cookie.MaxAge < 30*24*3600 {
			t.Errorf("cookie = %+v, want HttpOnly, SameSite=Strict, Path=/, a long Max-Age", cookie)
		}
		if cookie.Secure {
			t.Error("Secure without SecureCookie")
		}
		if strings.Contains(cookie.Value, token) || cookie.Value == url.QueryEscape(token) {
			t.Errorf("the cookie holds the raw token: %q", cookie.Value)
		}
		resp, _ := do(t, app, request("GET", "/get_params", "", "Authorization", "Bearer "+cookie.Value, "X-Real-IP", "198.51.100.254"))
		if resp.StatusCode != 401 {
			t.Errorf("the cookie value works as the Bearer token: %d", resp.StatusCode)
		}
		secure := authApp(guard.New(guard.Config{Token: token, SecureCookie: true, CookieName: "rt"}))
		resp, body := login(t, secure, token, "/")
		var got *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "rt" {
				got = c
			}
		}
		if got == nil || !got.Secure {
			t.Errorf("SecureCookie: cookies %v (%s)", resp.Cookies(), body)
		}
	})

	t.Run("signed in page skips the form", func(t *testing.T) {
		resp, _ := do(t, app, request("GET", "/login?next=/recordings", "", "Cookie", cookie.Name+"="+cookie.Value))
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/recordings" {
			t.Errorf("%d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name, next, want string
	}{
		{"local path", "/recordings?offset=10", "/recordings?offset=10"},
		{"empty", "", "/"},
		{"protocol-relative", "//evil.example", "/"},
		{"protocol-relative with path", "//evil.example/recordings", "/"},
		{"absolute", "https://evil", "/"},
		{"two slashes", "//", "/"},
		{"three slashes", "///evil.example", "/"},
		{"backslash", "/\\evil.example", "/"},
		{"tab", "/\t/evil.example", "/"},
		{"scheme only", "javascript:alert(1)", "/"},
		{"relative", "recordings", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := authApp(guard.New(guard.Config{Token: token}))
			resp, body := login(t, app, token, tc.next)
			if resp.StatusCode != 303 {
				t.Fatalf("status = %d (%s)", resp.StatusCode, body)
			}
			if loc := resp.Header.Get("Location"); loc != tc.want {
				t.Errorf("Location = %q, want %q", loc, tc.want)
			}
		})
	}

	t.Run("wrong token", func(t *testing.T) {
		app := authApp(guard.New(guard.Config{Token: token}))
		for _, wrong := range []string{"", "correct horse", token + " ", strings.ToUpper(token)} {
			resp, body := login(t, app, wrong, "/recordings")
			if resp.StatusCode != 401 {
				t.Errorf("token %q: status = %d", wrong, resp.StatusCode)
			}
			if len(resp.Cookies()) != 0 {
				t.Errorf("token %q: cookies set: %v", wrong, resp.Cookies())
			}
			if !strings.Contains(body, `data-testid="login-error"`) || !strings.Contains(body, `value="/recordings"`) {
				t.Errorf("token %q: the page lacks the error or next:\n%s", wrong, body)
			}
		}
	})

	t.Run("rate limited", func(t *testing.T) {
		clk := newClock()
		app := authApp(guard.New(guard.Config{Token: token, Now: clk.Now}))
		for i := range 10 {
			if resp, _ := login(t, app, "guess", "/", "X-Real-IP", "203.0.113.7"); resp.StatusCode != 401 {
				t.Fatalf("guess %d: status = %d, want 401", i+1, resp.StatusCode)
			}
		}
		resp, _ := login(t, app, "guess", "/", "X-Real-IP", "203.0.113.7")
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || len(resp.Cookies()) != 0 {
			t.Errorf("11th wrong try: status %d, Retry-After %q, cookies %v; want 429, no cookie",
				resp.StatusCode, resp.Header.Get("Retry-After"), resp.Cookies())
		}
		// The right token is never refused, even from an address that
		// guessed wrong (someone else behind the same NAT, say).
		if resp, _ := login(t, app, token, "/", "X-Real-IP", "203.0.113.7"); resp.StatusCode != 303 || len(resp.Cookies()) != 1 {
			t.Errorf("the right token from the limited address: status %d, cookies %v; want 303 and the cookie", resp.StatusCode, resp.Cookies())
		}
		if resp, _ := login(t, app, "guess", "/", "X-Real-IP", "203.0.113.8"); resp.StatusCode != 401 {
			t.Errorf("another IP: status = %d, want 401", resp.StatusCode)
		}
		clk.Add(61 * time.Second)
		if resp, _ := login(t, app, "guess", "/", "X-Real-IP", "203.0.113.7"); resp.StatusCode != 401 {
			t.Errorf("a minute later: status = %d, want 401", resp.StatusCode)
		}

		// Right tokens neither count nor clear the wrong ones.
		for i := range 10 {
			if resp, _ := login(t, app, "typo "+strconv.Itoa(i), "/", "X-Real-IP", "203.0.113.9"); resp.StatusCode != 401 {
				t.Fatalf("typo %d: status = %d, want 401", i+1, resp.StatusCode)
			}
			if resp, _ := login(t, app, token, "/", "X-Real-IP", "203.0.113.9"); resp.StatusCode != 303 {
				t.Fatalf("the right token after typo %d: status = %d, want 303", i+1, resp.StatusCode)
			}
		}
		if resp, _ := login(t, app, "typo", "/", "X-Real-IP", "203.0.113.9"); resp.StatusCode != 429 {
			t.Errorf("the 11th typo: status = %d, want 429", resp.StatusCode)
		}
	})

	t.Run("cross-site sign-in refused", func(t *testing.T) {
		app := authApp(guard.New(guard.Config{Token: token}))
		resp, body := login(t, app, token, "/", "Origin", "https://evil.example")
		wantError(t, resp, body, 403, "cross-site request refused")
	})
}

func TestAuthOpen(t *testing.T) {
	app := authApp(guard.New(guard.Config{}))
	for _, tc := range protected {
		resp, body := do(t, app, request(tc.method, tc.target, "{}", tc.headers...))
		if resp.StatusCode != 200 {
			t.Errorf("%s %s without a token configured: %d %s", tc.method, tc.target, resp.StatusCode, body)
		}
	}
	resp, _ := do(t, app, request("GET", "/login?next=/recordings", ""))
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/recordings" {
		t.Errorf("GET /login with no token: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestWiring checks the content-type and offer guards as mounted before
// the routes (route-level middleware that falls through with c.Next).
func TestWiring(t *testing.T) {
	app := authApp(guard.New(guard.Config{Token: token, OfferRate: 2}))
	bearer := []string{"Authorization", "Bearer " + token}
	for _, tc := range []struct {
		method, target, contentType, body string
		want                              int
	}{
		{"POST", "/update_params", "text/plain", "{}", 415},
		{"POST", "/update_params", "application/json", "{}", 200},
		{"POST", "/save_recording", "application/x-www-form-urlencoded", "a=1", 415},
		{"POST", "/webrtc/ice-candidate", "application/json; charset=utf-8", "{}", 200},
		{"POST", "/uploads", "text/plain", "{}", 415},
		{"POST", "/uploads/u1/discard", "", "", 200},
		{"POST", "/uploads/u1/discard", "text/plain", "{}", 415},
		{"PUT", "/uploads/u1/chunks/0", "application/octet-stream", "abc", 200},
		{"PUT", "/uploads/u1/chunks/0", "application/json", "{}", 415},
		{"POST", "/params", "application/x-www-form-urlencoded", "fps=30", 200},
		{"GET", "/webrtc/sessions/s1", "", "", 200},
		{"POST", "/webrtc/offer", "application/json", "{}", 200},
		{"POST", "/webrtc/offer", "application/json", "{}", 200},
		{"POST", "/webrtc/offer", "application/json", "{}", 429},
	} {
		h := bearer
		if tc.contentType != "" {
			h = append([]string{"Content-Type", tc.contentType}, bearer...)
		}
		resp, body := do(t, app, request(tc.method, tc.target, tc.body, h...))
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s (%s): %d %s, want %d", tc.method, tc.target, tc.contentType, resp.StatusCode, body, tc.want)
		}
		if tc.want == 200 && !strings.HasPrefix(body, "ok ") {
			t.Errorf("%s %s: the route's handler did not answer: %s", tc.method, tc.target, body)
		}
	}
}
