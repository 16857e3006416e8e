package guard_test

import (
	"io"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
)

// TestRealClient: behind a trusted proxy the client is the rightmost
// X-Forwarded-For entry that is not a trusted proxy; what the client put
// further left, and any header from an untrusted peer, is ignored.
func TestRealClient(t *testing.T) {
	// app.Test's connections come from 0.0.0.0.
	trusting := guard.New(guard.Config{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"),
	}})
	for _, tc := range []struct {
		name string
		g    *guard.Guard
		xff  []string
		want string
	}{
		{"NoHeader", trusting, nil, "0.0.0.0"},
		{"OneHop", trusting, []string{"192.0.2.7"}, "192.0.2.7"},
		{"ClientLied", trusting, []string{"203.0.113.1, 192.0.2.7"}, "192.0.2.7"},
		{"TwoProxies", trusting, []string{"192.0.2.7, 10.0.0.5"}, "192.0.2.7"},
		{"TwoHeaders", trusting, []string{"203.0.113.1", "192.0.2.7"}, "192.0.2.7"},
		{"WithPort", trusting, []string{"192.0.2.7:5000"}, "192.0.2.7"},
		{"IPv6", trusting, []string{"2001:db8::7, fd00::1"}, "2001:db8::7"},
		{"Mapped", trusting, []string{"::ffff:192.0.2.7"}, "192.0.2.7"},
		{"Garbled", trusting, []string{"192.0.2.7, not-an-ip"}, "0.0.0.0"},
		{"AllTrusted", trusting, []string{"10.0.0.9"}, "0.0.0.0"},
		{"UntrustedPeer", guard.New(guard.Config{}), []string{"192.0.2.7"}, "0.0.0.0"},
		{"PeerNotInList", guard.New(guard.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}), []string{"192.0.2.7"}, "0.0.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{DisableStartupMessage: true})
			app.Use(tc.g.RealClient())
			app.Get("/", func(c *fiber.Ctx) error { return c.SendString(guard.ClientIP(c)) })
			req := httptest.NewRequest("GET", "/", nil)
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			res, err := app.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			if string(got) != tc.want {
				t.Errorf("client %q, want %q", got, tc.want)
			}
		})
	}
}
