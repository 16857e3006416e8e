package guard_test

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
)

func TestSameOrigin(t *testing.T) {
	g := guard.New(guard.Config{})
	app := newApp()
	app.Use(g.SameOrigin())
	calls := 0
	handler := func(c *fiber.Ctx) error {
		calls++
		return c.SendString("done")
	}
	app.Post("/params", handler)
	app.Post("/update_params", handler)
	app.Delete("/recordings/:filename", handler)
	app.Put("/uploads/:id/chunks/:index", handler)
	app.Get("/recordings", handler)
	app.Get("/ws", handler)

	const (
		form = "application/x-www-form-urlencoded"
		json = "application/json"
	)
	ws := []string{"Connection", "keep-alive, Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}
	with := func(h []string, more ...string) []string { return append(append([]string{}, h...), more...) }

	for _, tc := range []struct {
		name           string
		method, target string
		headers        []string
		refused        bool
	}{
		{"cross-site form post", "POST", "http://rec.local:8080/params",
			[]string{"Origin", "https://evil.example", "Content-Type", form}, true},
		{"cross-site JSON post", "POST", "http://rec.local:8080/update_params",
			[]string{"Origin", "https://evil.example", "Content-Type", json}, true},
		{"null origin", "POST", "http://rec.local:8080/params",
			[]string{"Origin", "null", "Content-Type", form}, true},
		{"other port, same host", "POST", "http://localhost:8080/params",
			[]string{"Origin", "http://localhost:3000", "Content-Type", form}, true},
		{"other scheme", "POST", "http://rec.local:8080/params",
			[]string{"Origin", "https://rec.local:8080", "Content-Type", form}, true},
		{"same origin with port", "POST", "http://localhost:8080/params",
			[]string{"Origin", "http://localhost:8080", "Content-Type", form}, false},
		{"same origin, default port", "POST", "http://rec.local/params",
			[]string{"Origin", "http://rec.local", "Content-Type", form}, false},
		{"same origin, Host with the default port", "POST", "http://rec.local:80/params",
			[]string{"Origin", "http://rec.local", "Content-Type", form}, false},
		{"https origin, Host with the default port", "POST", "http://rec.local:443/params",
			[]string{"Origin", "https://rec.local", "Content-Type", form, "X-Forwarded-Proto", "https"}, false},
		{"same origin, case", "POST", "http://rec.local:8080/params",
			[]string{"Origin", "http://REC.local:8080", "Content-Type", form}, false},
		{"Sec-Fetch-Site cross-site", "POST", "http://rec.local:8080/params",
			[]string{"Sec-Fetch-Site", "cross-site", "Content-Type", form}, true},
		{"Sec-Fetch-Site same-site", "DELETE", "http://localhost:8080/recordings/a.json",
			[]string{"Sec-Fetch-Site", "same-site"}, true},
		{"Sec-Fetch-Site cross-site beats a matching Origin", "POST", "http://rec.local:8080/params",
			[]string{"Sec-Fetch-Site", "cross-site", "Origin", "http://rec.local:8080", "Content-Type", form}, true},
		{"Sec-Fetch-Site same-origin", "POST", "http://rec.local:8080/params",
			[]string{"Sec-Fetch-Site", "same-origin", "Content-Type", form, "HX-Request", "true"}, false},
		{"Sec-Fetch-Site same-origin behind a proxy", "POST", "http://127.0.0.1:8080/update_params",
			[]string{"Sec-Fetch-Site", "same-origin", "Origin", "https://rec.example.com", "Content-Type", json}, false},
		{"Sec-Fetch-Site none", "POST", "http://rec.local:8080/params",
			[]string{"Sec-Fetch-Site", "none", "Content-Type", form}, false},
		{"no headers, JSON", "POST", "http://rec.local:8080/update_params",
			[]string{"Content-Type", json}, false},
		{"no headers, form (not a browser)", "POST", "http://rec.local:8080/params",
			[]string{"Content-Type", form}, false},
		{"no headers, chunk", "PUT", "http://rec.local:8080/uploads/u/chunks/0",
			[]string{"Content-Type", "application/octet-stream"}, false},
		{"cross-site chunk", "PUT", "http://rec.local:8080/uploads/u/chunks/0",
			[]string{"Origin", "https://evil.example", "Content-Type", "text/plain"}, true},
		{"cross-site GET passes", "GET", "http://rec.local:8080/recordings",
			[]string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, false},
		{"websocket, foreign Origin", "GET", "http://rec.local:8080/ws",
			with(ws, "Origin", "https://evil.example"), true},
		{"websocket, Sec-Fetch-Site cross-site", "GET", "http://rec.local:8080/ws",
			with(ws, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"), true},
		{"websocket, own Origin", "GET", "http://rec.local:8080/ws",
			with(ws, "Origin", "http://rec.local:8080"), false},
		{"websocket, no Origin (Go client)", "GET", "http://rec.local:8080/ws", ws, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := calls
			resp, body := do(t, app, request(tc.method, tc.target, "x=1", tc.headers...))
			called := calls > before
			if tc.refused {
				wantError(t, resp, body, 403, "cross-site request refused")
				if called {
					t.Error("the handler ran for a refused request")
				}
				return
			}
			if resp.StatusCode != 200 || !called {
				t.Errorf("status %d, handler called %v; want 200 and called (body %s)", resp.StatusCode, called, body)
			}
		})
	}
}

func TestRequireContentType(t *testing.T) {
	g := guard.New(guard.Config{})
	app := newApp()
	calls := 0
	handler := func(c *fiber.Ctx) error {
		calls++
		return c.SendString("done")
	}
	app.Post("/update_params", g.RequireJSON(), handler)
	webrtc := app.Group("/webrtc", g.RequireJSON())
	webrtc.Post("/offer", handler)
	webrtc.Post("/stop", handler)
	webrtc.Get("/sessions/:id", handler)
	app.Put("/uploads/:id/chunks/:index", g.RequireOctetStream(), handler)

	for _, tc := range []struct {
		name, method, target, contentType string
		want                              int
	}{
		{"text/plain to JSON route", "POST", "/update_params", "text/plain", 415},
		{"form to JSON route", "POST", "/update_params", "application/x-www-form-urlencoded", 415},
		{"multipart to JSON route", "POST", "/webrtc/offer", "multipart/form-data; boundary=x", 415},
		{"no Content-Type", "POST", "/update_params", "", 415},
		{"no body, no Content-Type", "POST", "/webrtc/stop", "", 200},
		{"no body, form Content-Type", "POST", "/webrtc/stop", "application/x-www-form-urlencoded", 415},
		{"malformed", "POST", "/update_params", "application/json;;=", 415},
		{"JSON look-alike", "POST", "/update_params", "application/jsonx", 415},
		{"JSON", "POST", "/update_params", "application/json", 200},
		{"JSON with charset", "POST", "/update_params", "application/json; charset=utf-8", 200},
		{"JSON upper case", "POST", "/webrtc/offer", "Application/JSON", 200},
		{"GET in a JSON group", "GET", "/webrtc/sessions/s1", "", 200},
		{"chunk as octet-stream", "PUT", "/uploads/u/chunks/0", "application/octet-stream", 200},
		{"chunk as text", "PUT", "/uploads/u/chunks/0", "text/plain", 415},
		{"chunk as JSON", "PUT", "/uploads/u/chunks/0", "application/json", 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := calls
			var h []string
			if tc.contentType != "" {
				h = []string{"Content-Type", tc.contentType}
			}
			payload := "{}"
			if tc.target == "/webrtc/stop" {
				payload = ""
			}
			if strings.HasPrefix(tc.contentType, "multipart/") {
				payload = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--\r\n"
			}
			resp, body := do(t, app, request(tc.method, tc.target, payload, h...))
			if tc.want == 415 {
				msg := "Content-Type must be application/json"
				if tc.method == "PUT" {
					msg = "Content-Type must be application/octet-stream"
				}
				wantError(t, resp, body, 415, msg)
				if calls > before {
					t.Error("the handler ran")
				}
				return
			}
			if resp.StatusCode != tc.want || calls == before {
				t.Errorf("status %d, called %v; want %d and called (%s)", resp.StatusCode, calls > before, tc.want, body)
			}
		})
	}
}
