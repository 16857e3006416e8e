package e2e

import (
	"net"
	"testing"
	"time"
)

// TestBrowserTrickle: the server's STUN server never answers, so the
// server gathers for seconds; the page gets its answer at once, takes the
// server's candidates as they come, and is live before the server has
// finished gathering. The page shows the connection's facts. In each
// engine with WebRTC.
func TestBrowserTrickle(t *testing.T) {
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		blackhole, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer blackhole.Close()
		srv := startServer(t, nil, "-stun", "stun:"+blackhole.LocalAddr().String())
		p := e.open(t)
		p.startTake(srv.url, "Live to the server", "live")
		s, err := srv.Sessions.Get(p.text(`[data-testid=session-id]`))
		if err != nil {
			t.Fatal(err)
		}
		if list, complete, _ := s.Candidates(0); complete || len(list) == 0 {
			t.Errorf("live with the server's gathering complete %v, %d candidates: the answer waited for gathering", complete, len(list))
		}
		f := waitFacts(t, p)
		// The server's checks may reach the page before its candidate does
		// (trickle): the page then knows the server as peer reflexive.
		if f.Protocol != "udp" || f.Local != "host" || (f.Remote != "host" && f.Remote != "prflx") {
			t.Errorf("pair %s ↔ %s over %s on loopback, want host ↔ host or prflx over udp (%q)", f.Local, f.Remote, f.Protocol, f.Text)
		}
		t.Logf("page shows: %s", f.Text)
		p.do("stopping", sleep(500*time.Millisecond), p.press("Stop"), p.waitFor(`body[data-state=draft]`))
	})
}
