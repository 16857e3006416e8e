package e2e

import (
	"net"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTrickle: the server's STUN server never answers, so the
// server gathers for seconds; the page gets its answer at once, takes the
// server's candidates as they come, and is live before the server has
// finished gathering. The page shows the connection's facts.
func TestBrowserTrickle(t *testing.T) {
	chromiumPath(t)
	blackhole, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer blackhole.Close()
	srv := startServer(t, nil, "-stun", "stun:"+blackhole.LocalAddr().String())
	ctx := newBrowser(t, toneWAV(t))
	type css = chromedp.CSS
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.url),
		chromedp.Click(css(`[data-testid=btn-start]`)),
		chromedp.WaitReady(css(`body[data-state=live]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	id := attrOrFail(t, ctx, `[data-testid=session-id]`)
	s, err := srv.Sessions.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if list, complete, _ := s.Candidates(0); complete || len(list) == 0 {
		t.Errorf("live with the server's gathering complete %v, %d candidates: the answer waited for gathering", complete, len(list))
	}
	if err := chromedp.Do(ctx, chromedp.WaitReady(css(`[data-testid=net-facts][data-ice-state=connected][data-protocol=udp]`))); err != nil {
		t.Fatal(err)
	}
	facts := attrOrFail(t, ctx, `[data-testid=net-facts]`)
	local, remote := attr(t, ctx, `[data-testid=net-facts]`, "data-local-type"), attr(t, ctx, `[data-testid=net-facts]`, "data-remote-type")
	// The server's checks may reach the page before its candidate does
	// (trickle): the page then knows the server as peer reflexive.
	if local != "host" || (remote != "host" && remote != "prflx") {
		t.Errorf("pair %s ↔ %s on loopback, want host ↔ host or prflx (%q)", local, remote, facts)
	}
	t.Logf("page shows: %s", facts)
	time.Sleep(500 * time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.Click(css(`[data-testid=btn-stop]`)), chromedp.WaitReady(css(`body[data-state=draft]`))); err != nil {
		t.Fatal(err)
	}
}
