package guard_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
)

func TestOfferLimit(t *testing.T) {
	const rate = 3
	clk := newClock()
	g := guard.New(guard.Config{OfferRate: rate, Now: clk.Now})
	app := newApp()
	calls := 0
	app.Post("/webrtc/offer", g.OfferLimit(), func(c *fiber.Ctx) error {
		calls++
		return c.JSON(fiber.Map{"status": "success"})
	})
	offer := func(ip string) (int, string, string) {
		t.Helper()
		resp, body := do(t, app, request("POST", "/webrtc/offer", "{}", "Content-Type", "application/json", "X-Real-IP", ip))
		if resp.StatusCode == 429 {
			wantError(t, resp, body, 429, "too many new sessions; try again in a minute")
		}
		return resp.StatusCode, resp.Header.Get("Retry-After"), body
	}

	for i := range rate {
		if status, _, body := offer("198.51.100.1"); status != 200 {
			t.Fatalf("offer %d: %d %s", i+1, status, body)
		}
	}
	clk.Add(20 * time.Second)
	before := calls
	status, retry, _ := offer("198.51.100.1")
	if status != 429 {
		t.Fatalf("offer %d within a minute: status %d, want 429", rate+1, status)
	}
	if calls != before {
		t.Error("the handler ran for a limited offer")
	}
	if s, err := strconv.Atoi(retry); err != nil || s != 40 {
		t.Errorf("Retry-After = %q, want 40 (the window's rest)", retry)
	}

	for i := range rate {
		if status, _, _ := offer("198.51.100.2"); status != 200 {
			t.Errorf("another IP, offer %d: %d, want 200", i+1, status)
		}
	}
	if status, _, _ := offer("198.51.100.2"); status != 429 {
		t.Errorf("another IP, offer %d: %d, want 429", rate+1, status)
	}

	clk.Add(39 * time.Second)
	if status, _, _ := offer("198.51.100.1"); status != 429 {
		t.Errorf("a second before the window ends: %d, want 429", status)
	}
	clk.Add(time.Second)
	for i := range rate {
		if status, _, _ := offer("198.51.100.1"); status != 200 {
			t.Errorf("next window, offer %d: %d, want 200", i+1, status)
		}
	}

	// The second IP's window opened 20 s after the first's: it ends on its
	// own clock, not at the next clean-up.
	clk.Add(20 * time.Second)
	if status, _, _ := offer("198.51.100.2"); status != 200 {
		t.Errorf("second IP, its next window: %d, want 200", status)
	}

	t.Run("IPv6 per /64", func(t *testing.T) {
		for i := range rate {
			if status, _, _ := offer("2001:db8:1:2::" + strconv.Itoa(i+1)); status != 200 {
				t.Fatalf("offer %d: %d", i+1, status)
			}
		}
		if status, _, _ := offer("2001:db8:1:2::ffff"); status != 429 {
			t.Errorf("same /64: %d, want 429", status)
		}
		if status, _, _ := offer("2001:db8:1:3::1"); status != 200 {
			t.Errorf("another /64: %d, want 200", status)
		}
	})

	t.Run("unlimited", func(t *testing.T) {
		g := guard.New(guard.Config{})
		app := newApp()
		app.Post("/webrtc/offer", g.OfferLimit(), func(c *fiber.Ctx) error { return c.SendStatus(200) })
		for i := range 100 {
			if resp, _ := do(t, app, request("POST", "/webrtc/offer", "{}", "X-Real-IP", "198.51.100.9")); resp.StatusCode != 200 {
				t.Fatalf("offer %d with OfferRate 0: %d", i+1, resp.StatusCode)
			}
		}
	})
}
