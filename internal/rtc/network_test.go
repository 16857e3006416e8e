package rtc_test

import (
	"encoding/json"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

// TestTURNCredentials checks the TURN REST API credentials against a value
// computed independently (Python's hmac, as coturn's docs describe it).
func TestTURNCredentials(t *testing.T) {
	now := time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)
	user, pass := rtc.TURNCredentials("north-secret", "alice", now, 12*time.Hour)
	if user != "1767225600:alice" || pass != "PtgFkMyqgR4om/PGc3sDV5OnNo8=" {
		t.Errorf("credentials %q / %q, want 1767225600:alice / PtgFkMyqgR4om/PGc3sDV5OnNo8=", user, pass)
	}
}

// TestNetwork_Browser is what a page is handed: RTCPeerConnection's own
// shape, fresh credentials from the secret, the policy.
func TestNetwork_Browser(t *testing.T) {
	n := rtc.Network{
		STUN: []string{"stun:stun.example.org:3478"}, TURN: []string{"turn:turn.example.org:3478?transport=udp"},
		TURNSecret: "north-secret", TURNUser: "alice", TURNTTL: 12 * time.Hour, RelayOnly: true,
	}
	now := time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)
	b, err := json.Marshal(n.Browser(now))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"iceServers":[{"urls":["stun:stun.example.org:3478"]},` +
		`{"urls":["turn:turn.example.org:3478?transport=udp"],"username":"1767225600:alice","credential":"PtgFkMyqgR4om/PGc3sDV5OnNo8="}],` +
		`"iceTransportPolicy":"relay"}`
	if string(b) != want {
		t.Errorf("browser ICE\n got %s\nwant %s", b, want)
	}
	later := n.Browser(now.Add(time.Hour))
	if later.Servers[1].Username == "1767225600:alice" {
		t.Error("credentials an hour later are the same: they must be made per request")
	}
	static := rtc.Network{TURN: []string{"turns:turn.example.org:5349"}, TURNUser: "u", TURNPassword: "p"}
	if got := static.Browser(now); got.Policy != "all" || got.Servers[0].Username != "u" || got.Servers[0].Credential != "p" {
		t.Errorf("static credentials: %+v", got)
	}
	if got, _ := json.Marshal(rtc.Network{}.Browser(now)); string(got) != `{"iceServers":[],"iceTransportPolicy":"all"}` {
		t.Errorf("no servers: %s", got)
	}
}

func TestNetwork_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    rtc.Network
		ok   bool
	}{
		{"Zero", rtc.Network{}, true},
		{"Full", rtc.Network{STUN: []string{"stun:a:3478"}, TURN: []string{"turn:a:3478"}, TURNSecret: "s", PublicIPs: []string{"198.51.100.7", "198.51.100.8/10.0.0.8"}, UDPPort: 50000, TCPPort: 50000, Networks: []string{"udp4", "tcp4"}}, true},
		{"TURNInSTUN", rtc.Network{STUN: []string{"turn:a:3478"}}, false},
		{"TURNWithoutCredentials", rtc.Network{TURN: []string{"turn:a:3478"}, TURNUser: "u"}, false},
		{"RelayWithoutTURN", rtc.Network{RelayOnly: true}, false},
		{"BadPublicIP", rtc.Network{PublicIPs: []string{"example.org"}}, false},
		{"BadLocalIP", rtc.Network{PublicIPs: []string{"198.51.100.7/x"}}, false},
		{"BadPort", rtc.Network{UDPPort: 70000}, false},
		{"BadRange", rtc.Network{PortMin: 50100, PortMax: 50000}, false},
		{"HalfRange", rtc.Network{PortMin: 50100}, false},
		{"BadNetwork", rtc.Network{Networks: []string{"sctp"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.n.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

// freePort finds a port free for both UDP and TCP on loopback.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			c.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

var candidateLine = regexp.MustCompile(`a=candidate:\S+ \d+ (udp|tcp) \d+ (\S+) (\d+) typ (\w+)(?: tcptype (\w+))?`)

type candidate struct{ proto, addr, port, typ, tcptype string }

func candidates(sdp string) []candidate {
	var out []candidate
	for _, m := range candidateLine.FindAllStringSubmatch(sdp, -1) {
		out = append(out, candidate{m[1], m[2], m[3], m[4], m[5]})
	}
	return out
}

// TestNetwork_OneUDPPort: with a UDP port set, every session's media uses
// that one port, and takes record through it side by side.
func TestNetwork_OneUDPPort(t *testing.T) {
	port := freePort(t)
	m := newManager(t, func(c *rtc.Config) {
		c.Network = rtc.Network{UDPPort: port, Interfaces: []string{"lo"}, Networks: []string{"udp4"}}
	})
	pkts := celtCapture(t)[:50]
	for _, id := range []string{"mux1", "mux2"} {
		b := newBrowser(t)
		s, answer, err := m.Offer(t.Context(), id, b.offer, params(48000, 1))
		if err != nil {
			t.Fatal(err)
		}
		cands := candidates(answer.SDP)
		if len(cands) == 0 {
			t.Fatalf("%s: no candidates in the answer:\n%s", id, answer.SDP)
		}
		for _, c := range cands {
			if c.proto != "udp" || c.port != strconv.Itoa(port) {
				t.Errorf("%s: candidate %+v, want udp on port %d only", id, c, port)
			}
		}
		b.accept(t, answer)
		sendAll(t, b, s, pkts)
		if got := s.Info().Stats.Packets; got < int64(len(pkts)) {
			t.Errorf("%s: %d packets through the mux, want %d", id, got, len(pkts))
		}
	}
}

// TestNetwork_NoLinkLocalCandidates: a session opens no socket on a
// link-local address (fe80::/10): no browser across a router reaches one
// (pion leaves it out of the answer, but gathered it all the same), and
// each cost every session a socket, a reading goroutine and its buffer.
func TestNetwork_NoLinkLocalCandidates(t *testing.T) {
	m := newManager(t)
	b := newBrowser(t) // the test's own peer: counted before
	before, ok := linkLocalUDPSockets(t)
	if !ok || !hasLinkLocalAddress(t) {
		t.Skip("no link-local IPv6 address here (or no /proc/net/udp6) to leave out")
	}
	s, answer, err := m.Offer(t.Context(), "local", b.offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	b.accept(t, answer)
	sendAll(t, b, s, celtCapture(t)[:10])
	if after, _ := linkLocalUDPSockets(t); after > before {
		t.Errorf("%d UDP sockets on link-local addresses after a session connected, %d before", after, before)
	}
}

// linkLocalUDPSockets counts the UDP sockets bound to an fe80::/10
// address in this network namespace (false: no /proc/net/udp6).
func linkLocalUDPSockets(t *testing.T) (int, bool) {
	b, err := os.ReadFile("/proc/self/net/udp6")
	if err != nil {
		return 0, false
	}
	n := 0
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		// The address is four 32-bit words in host order: fe80:: reads
		// 000080FE on a little-endian machine.
		if len(f) > 1 && len(f[1]) == 37 && (strings.HasPrefix(f[1], "000080FE") || strings.HasPrefix(f[1], "FE800000")) {
			n++
		}
	}
	return n, true
}

func hasLinkLocalAddress(t *testing.T) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && n.IP.IsLinkLocalUnicast() {
			return true
		}
	}
	return false
}

// TestNetwork_PublicIPAndTCP: behind 1:1 NAT the server advertises its
// public address in place of its own, and ICE-TCP listens on one port.
func TestNetwork_PublicIPAndTCP(t *testing.T) {
	udp, tcp := freePort(t), freePort(t)
	m := newManager(t, func(c *rtc.Config) {
		c.Network = rtc.Network{PublicIPs: []string{"198.51.100.7"}, UDPPort: udp, TCPPort: tcp, Interfaces: []string{"lo"}, Networks: []string{"udp4", "tcp4"}}
	})
	b := newBrowser(t)
	_, answer, err := m.Offer(t.Context(), "public", b.offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	var sawUDP, sawTCP bool
	for _, c := range candidates(answer.SDP) {
		if c.addr != "198.51.100.7" || c.typ != "host" {
			t.Errorf("candidate %+v: want host candidates on 198.51.100.7 only", c)
		}
		switch {
		case c.proto == "udp" && c.port == strconv.Itoa(udp):
			sawUDP = true
		case c.proto == "tcp" && c.port == strconv.Itoa(tcp) && c.tcptype == "passive":
			sawTCP = true
		}
	}
	if !sawUDP || !sawTCP {
		t.Errorf("want a UDP candidate on %d and a passive TCP one on %d:\n%s", udp, tcp, answer.SDP)
	}
	if strings.Contains(answer.SDP, "127.0.0.1") {
		t.Error("the private address leaked into the answer")
	}
}

// TestNetwork_Trickle: with a STUN server that never answers, gathering
// takes seconds; a trickling page gets its answer at once, reads the
// server's candidates as they come, and is connected before gathering is
// over. The seed's non-trickle offer still gets every candidate.
func TestNetwork_Trickle(t *testing.T) {
	blackhole, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer blackhole.Close()
	m := newManager(t, func(c *rtc.Config) {
		c.Network = rtc.Network{STUN: []string{"stun:" + blackhole.LocalAddr().String()}, Networks: []string{"udp4"}}
	})

	b := newBrowser(t)
	s, answer, err := m.OfferWith(t.Context(), "trickle", b.offer, params(48000, 1), media.OfferOptions{Trickle: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(answer.SDP, "a=end-of-candidates") {
		t.Fatalf("the trickle answer waited for gathering to complete:\n%s", answer.SDP)
	}
	if err := b.pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	next := 0
	deadline := time.After(10 * time.Second)
	for connected := false; !connected; {
		list, complete, changed := s.Candidates(next)
		for _, c := range list {
			if err := b.pc.AddICECandidate(c); err != nil {
				t.Fatalf("adding %q: %v", c.Candidate, err)
			}
		}
		next += len(list)
		select {
		case <-b.connected:
			connected = true
			if complete {
				t.Error("connected only after the server finished gathering: no trickle")
			}
		case <-changed:
		case <-deadline:
			t.Fatalf("not connected after 10 s; %d candidates trickled", next)
		}
	}
	if _, complete, _ := s.Candidates(next); complete {
		t.Error("gathering had completed when the browser connected")
	}
	if next == 0 {
		t.Error("connected without a trickled candidate")
	}

	b2 := newBrowser(t)
	_, full, err := m.Offer(t.Context(), "whole", b2.offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.SDP, "a=end-of-candidates") || len(candidates(full.SDP)) == 0 {
		t.Errorf("the non-trickle answer lacks its candidates:\n%s", full.SDP)
	}
}

// TestNetwork_MDNSCandidate: browsers hide their LAN address behind a
// random .local name; such a candidate is taken (resolved over multicast
// DNS where that reaches), not refused.
func TestNetwork_MDNSCandidate(t *testing.T) {
	m := newManager(t)
	b := newBrowser(t)
	if _, _, err := m.OfferWith(t.Context(), "mdns", b.offer, params(48000, 1), media.OfferOptions{Trickle: true}); err != nil {
		t.Fatal(err)
	}
	c := media.ICECandidate{Candidate: "candidate:1 1 udp 2113937151 6b9c1ac3-6b33-4a0f-9f5f-2e1e1b7c8b11.local 54321 typ host generation 0"}
	if err := m.AddICECandidate("mdns", c); err != nil {
		t.Errorf("an mDNS candidate was refused: %v", err)
	}
}

// TestNetwork_TCPPortAlone: -tcp-port alone offers ICE-TCP (pion gathers
// no TCP candidates unless TCP networks are named).
func TestNetwork_TCPPortAlone(t *testing.T) {
	tcp := freePort(t)
	m := newManager(t, func(c *rtc.Config) { c.Network = rtc.Network{TCPPort: tcp, Interfaces: []string{"lo"}} })
	b := newBrowser(t)
	_, answer, err := m.Offer(t.Context(), "tcp", b.offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range candidates(answer.SDP) {
		if c.proto == "tcp" && c.port == strconv.Itoa(tcp) && c.tcptype == "passive" {
			return
		}
	}
	t.Errorf("no passive TCP candidate on port %d:\n%s", tcp, answer.SDP)
}

// TestBrowserBehindMDNSNames: the server resolves no mDNS names (it opens
// no multicast socket per session), yet a browser that hides every
// address of its own behind a .local name connects: the server learns
// its address from the browser's checks.
func TestBrowserBehindMDNSNames(t *testing.T) {
	m := newManager(t)
	b := newBrowserWith(t, func(se *webrtc.SettingEngine) {
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeQueryAndGather)
		se.SetIncludeLoopbackCandidate(false)
	})
	defer b.close()
	for line := range strings.Lines(b.offer.SDP) {
		if strings.HasPrefix(line, "a=candidate:") && strings.Contains(line, " host ") && !strings.Contains(line, ".local") {
			t.Fatalf("the browser's offer shows an address: %s", line)
		}
	}
	if !strings.Contains(b.offer.SDP, ".local") {
		t.Skip("no .local candidate gathered here (no multicast-capable interface)")
	}
	s, answer, err := m.Offer(t.Context(), "mdns", b.offer, params(48000, 1))
	if err != nil {
		t.Fatal(err)
	}
	b.accept(t, answer)
	sendAll(t, b, s, celtCapture(t)[:10]) // fails unless all 10 arrive
}
