package guard

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestHosts(t *testing.T) {
	for _, tc := range []struct {
		host, token string
		ok          bool
	}{
		{"localhost:8080", "", true},
		{"127.0.0.1:8080", "", true},
		{"[::1]:8080", "", true},
		{"192.168.1.20:8080", "", true},
		{"app.localhost", "", true},
		{"rebind.evil.example", "", false},
		{"rebind.evil.example:8080", "", false},
		{"rebind.evil.example", "secret", true}, // the token's cookie guards it
	} {
		app := fiber.New()
		g := New(Config{Token: tc.token})
		calls := 0
		app.Use(g.Hosts())
		app.Get("/", func(c *fiber.Ctx) error { calls++; return c.SendString("ok") })
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Host = tc.host
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.StatusCode == http.StatusOK && calls == 1; got != tc.ok {
			t.Errorf("Host %q (token %q): %d, handler called %d times; want ok %v", tc.host, tc.token, res.StatusCode, calls, tc.ok)
		}
	}
}
