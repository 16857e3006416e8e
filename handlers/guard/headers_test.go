package guard_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/avatarweb/recorder/handlers/guard"
)

func TestHeaders(t *testing.T) {
	g := guard.New(guard.Config{})
	app := newApp()
	app.Use(g.Recover(), g.Headers())
	app.Get("/", func(c *fiber.Ctx) error {
		c.Type("html", "utf-8")
		return c.SendString("<!DOCTYPE html><title>page</title>")
	})
	app.Get("/get_params", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"fps": 30}) })
	app.Get("/missing", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	app.Use("/assets", filesystem.New(filesystem.Config{
		Root: http.FS(fstest.MapFS{"style.css": {Data: []byte("body{}")}}),
	}))

	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
		"Permissions-Policy":      "microphone=(self), camera=(), geolocation=()",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	}
	for _, tc := range []struct {
		name, path, contentType string
		status                  int
	}{
		{"html", "/", "text/html", 200},
		{"json", "/get_params", "application/json", 200},
		{"asset", "/assets/style.css", "text/css", 200},
		{"error", "/missing", "", 404},
		{"no route", "/nowhere", "", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, app, request("GET", tc.path, ""))
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tc.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type = %q, want %s", ct, tc.contentType)
			}
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
