//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/sys/unix"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// requireNetnsEnv, when 1 (CI sets it), turns a machine that cannot make
// network namespaces from a skip into a failure.
const requireNetnsEnv = "RECORDER_REQUIRE_NETNS"

// The simulated Internet. Every address lives in namespaces the test makes
// and removes; 198.51.100.0/24 is a documentation range, routed nowhere
// else, and no namespace has a route off this machine.
//
//	cli 192.168.50.2 ── home (NAT, masquerade) 198.51.100.2 ─┐
//	                                                         wan (bridge)
//	srv 10.0.0.10 ── cloud (1:1 NAT) 198.51.100.10 ──────────┤
//	                                turn (coturn) 198.51.100.20 ┘
const (
	publicIP  = "198.51.100.10" // the server's public address (cloud's 1:1 NAT)
	serverIP  = "10.0.0.10"     // the server's own
	turnIP    = "198.51.100.20"
	homeWAN   = "198.51.100.2"
	homeWAN2  = "198.51.100.3" // the home's address after a network change
	mediaUDP  = 50000
	mediaTCP  = 50001
	webPort   = 8080
	turnPort  = 3478
	turnRealm = "recorder.test"
)

// topology is the namespaces of one test.
type topology struct {
	t      *testing.T
	prefix string
}

func (n *topology) ns(name string) string { return n.prefix + name }

// needNetns skips (or fails, in CI) unless this machine lets the test make
// namespaces, veth pairs and NAT rules.
func needNetns(t *testing.T) {
	t.Helper()
	skip := func(why string) {
		msg := "network-namespace test skipped: " + why
		if os.Getenv(requireNetnsEnv) == "1" {
			t.Fatal(msg + " — but " + requireNetnsEnv + "=1 makes it mandatory")
		}
		t.Skip(msg)
	}
	if testing.Short() {
		t.Skip("network-namespace tests are long")
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(tool + " not found (apt-get install -y iproute2 iptables)")
		}
	}
	if os.Geteuid() != 0 {
		skip("needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to make network namespaces")
	}
	probe := fmt.Sprintf("rnprobe%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", probe).CombinedOutput(); err != nil {
		skip(fmt.Sprintf("this machine forbids network namespaces: ip netns add: %v %s", err, out))
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
}

func (n *topology) run(args ...string) {
	n.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		n.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// in runs a command inside namespace ns.
func (n *topology) in(ns string, args ...string) {
	n.t.Helper()
	n.run(append([]string{"ip", "netns", "exec", n.ns(ns)}, args...)...)
}

// link joins two namespaces with a veth pair and addresses each end.
func (n *topology) link(a, aIf, aAddr, b, bIf, bAddr string) {
	n.t.Helper()
	n.run("ip", "link", "add", aIf, "netns", n.ns(a), "type", "veth", "peer", "name", bIf, "netns", n.ns(b))
	for _, end := range [][3]string{{a, aIf, aAddr}, {b, bIf, bAddr}} {
		if end[2] != "" {
			n.run("ip", "-n", n.ns(end[0]), "addr", "add", end[2], "dev", end[1])
		}
		n.run("ip", "-n", n.ns(end[0]), "link", "set", end[1], "up")
	}
}

// newTopology builds the namespaces and removes them when the test ends.
func newTopology(t *testing.T) *topology {
	t.Helper()
	needNetns(t)
	n := &topology{t: t, prefix: fmt.Sprintf("rn%d-", os.Getpid()%100000)}
	names := []string{"cli", "home", "wan", "cloud", "srv", "turn"}
	t.Cleanup(func() {
		for _, name := range names {
			_ = exec.Command("ip", "netns", "del", n.ns(name)).Run()
		}
	})
	for _, name := range names {
		n.run("ip", "netns", "add", n.ns(name))
		n.run("ip", "-n", n.ns(name), "link", "set", "lo", "up")
	}
	n.run("ip", "-n", n.ns("wan"), "link", "add", "br0", "type", "bridge")
	n.run("ip", "-n", n.ns("wan"), "link", "set", "br0", "up")
	n.link("cli", "c0", "192.168.50.2/24", "home", "h-in", "192.168.50.1/24")
	n.link("home", "h-out", homeWAN+"/24", "wan", "w-home", "")
	n.link("cloud", "k-out", publicIP+"/24", "wan", "w-cloud", "")
	n.link("turn", "t0", turnIP+"/24", "wan", "w-turn", "")
	n.link("srv", "s0", serverIP+"/24", "cloud", "k-in", "10.0.0.1/24")
	for _, port := range []string{"w-home", "w-cloud", "w-turn"} {
		n.run("ip", "-n", n.ns("wan"), "link", "set", port, "master", "br0")
	}
	n.run("ip", "-n", n.ns("cli"), "route", "add", "default", "via", "192.168.50.1")
	n.run("ip", "-n", n.ns("srv"), "route", "add", "default", "via", "10.0.0.1")
	for _, router := range []string{"home", "cloud"} {
		n.in(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	}
	// The home router hides the browser behind its one address.
	n.in("home", "iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "h-out", "-j", "MASQUERADE")
	// The cloud maps its public address to the server's, both ways.
	n.in("cloud", "iptables", "-t", "nat", "-A", "PREROUTING", "-d", publicIP, "-j", "DNAT", "--to-destination", serverIP)
	n.in("cloud", "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", serverIP, "-o", "k-out", "-j", "SNAT", "--to-source", publicIP)
	return n
}

// firewall replaces a router's FORWARD rules with rules (each an iptables
// argument list after "-A FORWARD").
func (n *topology) firewall(router string, rules ...[]string) {
	n.t.Helper()
	n.in(router, "iptables", "-F", "FORWARD")
	for _, r := range rules {
		n.in(router, append([]string{"iptables", "-A", "FORWARD"}, r...)...)
	}
}

// dialIn dials from inside namespace ns: the socket is made on a thread
// moved into it, and stays there; the thread is then thrown away.
func (n *topology) dialIn(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	path := "/run/netns/" + n.ns(ns)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		done := make(chan result, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			f, err := os.Open(path)
			if err != nil {
				done <- result{nil, err}
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				done <- result{nil, fmt.Errorf("setns %s: %w", path, err)}
				return
			}
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			done <- result{c, err}
		}()
		r := <-done
		return r.c, r.err
	}
}

// netServer is the real binary running in the server's namespace.
type netServer struct {
	data   string
	client *http.Client // dials inside the server's namespace
	base   string       // as the test reaches it
	public string       // as the browser reaches it
}

func (n *topology) startServer(t *testing.T, bin string, flags ...string) *netServer {
	t.Helper()
	s := &netServer{
		data:   t.TempDir(),
		client: &http.Client{Transport: &http.Transport{DialContext: n.dialIn("srv")}, Timeout: 10 * time.Second},
		base:   fmt.Sprintf("http://%s:%d", serverIP, webPort),
		public: fmt.Sprintf("http://%s:%d", publicIP, webPort),
	}
	args := append([]string{"netns", "exec", n.ns("srv"), bin, "-addr", fmt.Sprintf("%s:%d", serverIP, webPort),
		"-data", s.data, "-ice-loopback=false", "-public-ip", publicIP, "-log-level", "info"}, flags...)
	cmd := exec.Command("ip", args...)
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(unix.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := s.client.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server in its namespace did not come up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startTURN runs coturn in its namespace with shared-secret credentials.
func (n *topology) startTURN(t *testing.T, secret string) {
	t.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		msg := "coturn not found (apt-get install -y coturn)"
		if os.Getenv(requireNetnsEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command("ip", "netns", "exec", n.ns("turn"), bin, "-n", "--no-cli", "--no-tls", "--no-dtls",
		"--listening-ip", turnIP, "--relay-ip", turnIP, "--listening-port", strconv.Itoa(turnPort),
		"--use-auth-secret", "--static-auth-secret", secret, "--realm", turnRealm,
		"--fingerprint", "--log-file", "stdout", "--simple-log", "--pidfile", filepath.Join(t.TempDir(), "turn.pid"))
	cmd.Stdout = testWriter{t}
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	time.Sleep(500 * time.Millisecond) // coturn has no readiness signal; it binds at once
}

// browserIn starts headless Chromium inside namespace ns, its fake
// microphone playing wav, trusting the server's plain-http origin.
func (n *topology) browserIn(t *testing.T, ns, origin, wav string) context.Context {
	t.Helper()
	wrapper := filepath.Join(t.TempDir(), "chromium-in-netns")
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", n.ns(ns), chromiumPath(t))
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return launchChromium(t, wrapper, 120*time.Second,
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", origin),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
	)
}

// facts are what the page shows about its connection.
type facts struct {
	State, Local, Remote, Protocol, RemotePort, RTT, Restarts, Text string
}

// factsJS reads the facts from the page.
const factsJS = `(() => {
	const el = document.querySelector('[data-testid=net-facts]');
	if (!el) return {};
	const d = el.dataset;
	return {State: d.iceState || '', Local: d.localType || '', Remote: d.remoteType || '', Protocol: d.protocol || '',
		RemotePort: d.remotePort || '', RTT: d.rtt || '', Restarts: d.restarts || '', Text: el.textContent};
})()`

// netBrowserKind starts one kind of browser inside a namespace.
type netBrowserKind struct {
	name  string
	tone  float64 // what its fake microphone plays, Hz
	start func(t *testing.T, n *topology, ns, origin, wav string) *tab
}

var netBrowserKinds = []netBrowserKind{
	{"Chromium", toneHz, func(t *testing.T, n *topology, ns, origin, wav string) *tab {
		return chromiumTab(t, n.browserIn(t, ns, origin, wav))
	}},
	{"Firefox", firefoxToneHz, func(t *testing.T, n *topology, ns, origin, _ string) *tab {
		u, err := url.Parse(origin)
		if err != nil {
			t.Fatal(err)
		}
		return newFirefox(t, []string{"ip", "netns", "exec", n.ns(ns)}, n.dialIn(ns), u.Hostname())
	}},
}

// facts reads what the page shows about its connection.
func (p *tab) facts() facts {
	p.t.Helper()
	var f facts
	p.eval(factsJS, &f)
	return f
}

// waitFacts waits until the page shows a connected pair.
func waitFacts(t *testing.T, p *tab) facts {
	t.Helper()
	if err := p.waitFor(`[data-testid=net-facts][data-ice-state=connected][data-local-type][data-protocol]`)(p.ctx); err != nil {
		t.Fatalf("the page never showed a connected candidate pair: %v (%+v)", err, p.facts())
	}
	return p.facts()
}

// loadTake reads a saved recording's audio (mono) from the data dir.
func loadTake(t *testing.T, data, filename string) ([]float32, int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(data, "recordings", filename))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		AudioData string `json:"audio_data"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	audio, err := base64.StdEncoding.DecodeString(file.AudioData)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(audio)
	info, err := media.ReadWAVHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	pcm, _ := io.ReadAll(r)
	return mediatest.Channel(media.S16LEToFloat(nil, pcm), info.Channels, 0), info.SampleRate
}

// checkTone: the take is a tone of hz and as long as the page recorded.
func checkTone(t *testing.T, samples []float32, rate int, recorded, hz float64) {
	t.Helper()
	dur := float64(len(samples)) / float64(rate)
	steady := samples[min(len(samples), rate/5):]
	f := mediatest.DominantFrequency(steady, rate)
	if math.Abs(f-hz) > 5 {
		t.Errorf("dominant frequency %.1f Hz, want %.0f ± 5", f, hz)
	}
	// The page's clock starts as the connection is up; a loaded machine's
	// Firefox starts sending its audio up to ~0.7 s later (every packet it
	// sends arrives: the lines below count them). So a short take may be
	// that much shorter, never longer.
	if short := recorded - dur; dur > 1.15*recorded || short > max(0.15*recorded, 0.7) {
		t.Errorf("take of %.2f s, the page recorded %.2f s (want +15%%, -max(15%%, 0.7 s))", dur, recorded)
	}
	t.Logf("take %.2f s of %.2f s recorded, %.1f Hz", dur, recorded, f)
}

// TestNetNAT proves a live take across real network topologies built from
// namespaces: the browser behind a masquerading home router, the server
// behind a cloud's 1:1 NAT advertising its public address. Each topology
// is tried with Chromium and with Firefox.
func TestNetNAT(t *testing.T) {
	needNetns(t)
	bin := buildBinary(t)
	wav := toneWAV(t)
	url := func(s *netServer) string { return s.public + "/" }
	for _, kind := range netBrowserKinds {
		// A fresh network for each browser: NetworkChange leaves the
		// browser's side with other addresses.
		t.Run(kind.name, func(t *testing.T) { netScenarios(t, newTopology(t), kind, bin, wav, url) })
	}
}

// netScenarios are TestNetNAT's topologies, for one kind of browser.
func netScenarios(t *testing.T, n *topology, kind netBrowserKind, bin, wav string, url func(*netServer) string) {

	t.Run("BrowserBehindNAT", func(t *testing.T) {
		n.firewall("home")
		n.firewall("cloud")
		srv := n.startServer(t, bin)
		p := kind.start(t, n, "cli", srv.public, wav)
		var f facts
		name, rec := p.recordLive(url(srv), func() { f = waitFacts(t, p); time.Sleep(2 * time.Second) })
		t.Logf("page: %s", f.Text)
		if f.Protocol != "udp" || f.Remote != "host" {
			t.Errorf("pair %+v: want UDP to the server's advertised host candidate", f)
		}
		checkNetTake(t, srv, name, rec, kind.tone)
	})

	t.Run("OneUDPPort", func(t *testing.T) {
		n.firewall("home")
		// The cloud's security group: the web port and one UDP port.
		n.firewall("cloud",
			[]string{"-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"},
			[]string{"-d", serverIP, "-p", "tcp", "--dport", strconv.Itoa(webPort), "-j", "ACCEPT"},
			[]string{"-d", serverIP, "-p", "udp", "--dport", strconv.Itoa(mediaUDP), "-j", "ACCEPT"},
			[]string{"-d", serverIP, "-j", "DROP"})
		srv := n.startServer(t, bin, "-udp-port", strconv.Itoa(mediaUDP))
		p := kind.start(t, n, "cli", srv.public, wav)
		var f facts
		name, rec := p.recordLive(url(srv), func() { f = waitFacts(t, p); time.Sleep(2 * time.Second) })
		t.Logf("page: %s", f.Text)
		if f.Protocol != "udp" || f.RemotePort != strconv.Itoa(mediaUDP) {
			t.Errorf("pair %+v: want UDP to port %d", f, mediaUDP)
		}
		checkNetTake(t, srv, name, rec, kind.tone)
	})

	t.Run("UDPBlockedICETCP", func(t *testing.T) {
		n.firewall("home", []string{"-p", "udp", "-j", "DROP"})
		n.firewall("cloud")
		srv := n.startServer(t, bin, "-udp-port", strconv.Itoa(mediaUDP), "-tcp-port", strconv.Itoa(mediaTCP))
		p := kind.start(t, n, "cli", srv.public, wav)
		var f facts
		name, rec := p.recordLive(url(srv), func() { f = waitFacts(t, p); time.Sleep(2 * time.Second) })
		t.Logf("page: %s", f.Text)
		if f.Protocol != "tcp" || f.RemotePort != strconv.Itoa(mediaTCP) {
			t.Errorf("pair %+v: want ICE-TCP to port %d", f, mediaTCP)
		}
		checkNetTake(t, srv, name, rec, kind.tone)
	})

	t.Run("UDPBlockedRelayOnly", func(t *testing.T) {
		const secret = "netns-test-shared-secret"
		n.firewall("home", []string{"-p", "udp", "-j", "DROP"})
		n.firewall("cloud")
		n.startTURN(t, secret)
		srv := n.startServer(t, bin, "-turn", fmt.Sprintf("turn:%s:%d?transport=tcp", turnIP, turnPort),
			"-turn-secret", secret, "-ice-relay-only")
		p := kind.start(t, n, "cli", srv.public, wav)
		var f facts
		name, rec := p.recordLive(url(srv), func() { f = waitFacts(t, p); time.Sleep(2 * time.Second) })
		t.Logf("page: %s", f.Text)
		if f.Local != "relay" || f.Protocol != "tcp" {
			t.Errorf("pair %+v: want the browser's relay candidate, reached over TCP", f)
		}
		checkNetTake(t, srv, name, rec, kind.tone)
	})

	t.Run("NetworkChange", func(t *testing.T) {
		n.firewall("home")
		n.firewall("cloud")
		srv := n.startServer(t, bin)
		p := kind.start(t, n, "cli", srv.public, wav)
		var before, after facts
		var cut time.Time
		name, rec := p.recordLive(url(srv), func() {
			before = waitFacts(t, p)
			time.Sleep(2 * time.Second)
			// The route goes for 2 s, and comes back with other addresses,
			// the browser's and its network's public one (Wi-Fi to mobile):
			// the old path is dead for good.
			cut = time.Now()
			n.firewall("home", []string{"-j", "DROP"})
			n.in("cli", "ip", "addr", "del", "192.168.50.2/24", "dev", "c0")
			n.in("home", "ip", "addr", "del", homeWAN+"/24", "dev", "h-out")
			time.Sleep(2 * time.Second)
			n.in("cli", "ip", "addr", "add", "192.168.50.3/24", "dev", "c0")
			n.in("cli", "ip", "route", "add", "default", "via", "192.168.50.1")
			n.in("home", "ip", "addr", "add", homeWAN2+"/24", "dev", "h-out")
			n.firewall("home")
			if err := p.waitFor(`[data-testid=net-facts][data-ice-state=connected]:not([data-restarts="0"])`)(p.ctx); err != nil {
				t.Fatalf("no ICE restart after the network change: %v (%+v)", err, p.facts())
			}
			t.Logf("connected again %.1f s after the cut", time.Since(cut).Seconds())
			after = p.facts()
			time.Sleep(2 * time.Second)
		})
		t.Logf("before: %s; after: %s", before.Text, after.Text)
		samples, rate := checkNetTake(t, srv, name, rec, kind.tone)
		// The gap is silence, and the take is as long as the wall clock. The
		// take starts with the first packet, the page's clock with the
		// click: on a busy machine Firefox's first packet came 0.5 s after
		// it, and the server pads a stopped take's tail only beyond 0.25 s.
		// A gap not kept would leave the take 2 s short or more.
		dur := float64(len(samples)) / float64(rate)
		if math.Abs(dur-rec) > 1 {
			t.Errorf("take %.2f s, wall time %.2f s: the gap was not kept as silence", dur, rec)
		}
		if quiet := longestQuiet(samples, rate); quiet < 1.5 {
			t.Errorf("longest silence %.2f s: the 2 s cut should leave one", quiet)
		} else {
			t.Logf("silence of %.2f s where the route was cut", quiet)
		}
	})
}

// checkNetTake checks a saved live take: the tone, as long as the page
// recorded, and every packet that carried audio decoded (padding-only
// packets, which browsers send to probe the bandwidth when a call starts
// and after its path changes, are counted apart). It returns the audio.
func checkNetTake(t *testing.T, srv *netServer, name string, recorded, hz float64) ([]float32, int) {
	t.Helper()
	samples, rate := loadTake(t, srv.data, name)
	checkTone(t, samples, rate, recorded, hz)
	stats := savedStats(t, filepath.Join(srv.data, "recordings"), name)
	if stats["decode_errors"] != 0 {
		t.Errorf("%d decode errors (stats %v)", stats["decode_errors"], stats)
	}
	t.Logf("%d packets, %d padding-only, %d lost, %d decode errors", stats["packets"], stats["empty_packets"], stats["lost_packets"], stats["decode_errors"])
	return samples, rate
}

// longestQuiet is the longest run of 10 ms blocks below -40 dBFS, in s.
func longestQuiet(samples []float32, rate int) float64 {
	block := rate / 100
	best, run := 0, 0
	for i := 0; i+block <= len(samples); i += block {
		if mediatest.RMS(samples[i:i+block]) < 0.01 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return float64(best) / 100
}
