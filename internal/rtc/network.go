package rtc

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// Network is where and how ICE runs: the STUN and TURN servers both ends
// use, the server's public addresses, and the ports and interfaces it
// gathers candidates on. The zero value gathers on every interface on
// ephemeral UDP ports, as pion does by default.
type Network struct {
	// STUN are stun:/stuns: URLs.
	STUN []string
	// TURN are turn:/turns: URLs, used with TURNUser and TURNPassword, or
	// with credentials made from TURNSecret.
	TURN         []string
	TURNUser     string
	TURNPassword string
	// TURNSecret, when set, makes short-lived TURN credentials the way
	// coturn's use-auth-secret (the TURN REST API) checks them: the user
	// name is "<expiry unix time>:<TURNUser>", the password the base64
	// HMAC-SHA1 of that name keyed with the secret.
	TURNSecret string
	// TURNTTL is how long such credentials are valid (default 12 h).
	TURNTTL time.Duration
	// RelayOnly asks browsers to connect through TURN only
	// (iceTransportPolicy "relay").
	RelayOnly bool

	// PublicIPs are advertised instead of the local addresses in host
	// candidates (a server behind 1:1 NAT, as on most clouds). An entry
	// "public/local" maps one local address only.
	PublicIPs []string
	// UDPPort, when set, carries every session's media on this one UDP
	// port (an ICE UDP mux), so a firewall needs a single rule.
	UDPPort int
	// TCPPort, when set, also offers ICE-TCP on this one TCP port, for
	// browsers whose network blocks UDP.
	TCPPort int
	// PortMin and PortMax bound the ephemeral UDP ports used without
	// UDPPort (0: any).
	PortMin, PortMax uint16
	// Interfaces, when set, are the only interfaces gathered on.
	Interfaces []string
	// Networks, when set, are the only candidate networks: udp4, udp6,
	// tcp4, tcp6.
	Networks []string
}

// defaultTURNTTL is how long credentials made from a shared secret last.
const defaultTURNTTL = 12 * time.Hour

// Validate checks the network settings before anything listens.
func (n Network) Validate() error {
	var errs []error
	for _, u := range n.STUN {
		if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
			errs = append(errs, fmt.Errorf("STUN URL %q must start with stun: or stuns:", u))
		}
	}
	for _, u := range n.TURN {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			errs = append(errs, fmt.Errorf("TURN URL %q must start with turn: or turns:", u))
		}
	}
	if len(n.TURN) > 0 && n.TURNSecret == "" && (n.TURNUser == "" || n.TURNPassword == "") {
		errs = append(errs, errors.New("TURN needs a user and password, or a shared secret"))
	}
	if n.RelayOnly && len(n.TURN) == 0 {
		errs = append(errs, errors.New("relay-only ICE needs a TURN server"))
	}
	for _, p := range n.PublicIPs {
		pub, local, _ := strings.Cut(p, "/")
		if net.ParseIP(pub) == nil || (local != "" && net.ParseIP(local) == nil) {
			errs = append(errs, fmt.Errorf("public IP %q: want an IP address, or public/local", p))
		}
	}
	for _, port := range []int{n.UDPPort, n.TCPPort} {
		if port < 0 || port > 65535 {
			errs = append(errs, fmt.Errorf("port %d out of range", port))
		}
	}
	if n.PortMax < n.PortMin || (n.PortMin == 0) != (n.PortMax == 0) {
		errs = append(errs, fmt.Errorf("port range %d-%d: want min-max with min <= max", n.PortMin, n.PortMax))
	}
	for _, nt := range n.Networks {
		if _, err := networkType(nt); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func networkType(s string) (webrtc.NetworkType, error) {
	switch s {
	case "udp4":
		return webrtc.NetworkTypeUDP4, nil
	case "udp6":
		return webrtc.NetworkTypeUDP6, nil
	case "tcp4":
		return webrtc.NetworkTypeTCP4, nil
	case "tcp6":
		return webrtc.NetworkTypeTCP6, nil
	}
	return 0, fmt.Errorf("network %q: want udp4, udp6, tcp4 or tcp6", s)
}

// Servers are the ICE servers for one peer connection, with fresh
// credentials when they come from a shared secret.
func (n Network) Servers(now time.Time) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	if len(n.STUN) > 0 {
		out = append(out, webrtc.ICEServer{URLs: slices.Clone(n.STUN)})
	}
	if len(n.TURN) > 0 {
		user, password := n.TURNUser, n.TURNPassword
		if n.TURNSecret != "" {
			user, password = TURNCredentials(n.TURNSecret, n.TURNUser, now, n.ttl())
		}
		out = append(out, webrtc.ICEServer{URLs: slices.Clone(n.TURN), Username: user, Credential: password})
	}
	return out
}

func (n Network) ttl() time.Duration {
	if n.TURNTTL > 0 {
		return n.TURNTTL
	}
	return defaultTURNTTL
}

// Browser is what the page gets: the same servers and the policy.
func (n Network) Browser(now time.Time) media.BrowserICE {
	b := media.BrowserICE{Servers: []media.ICEServer{}, Policy: "all"}
	for _, s := range n.Servers(now) {
		cred, _ := s.Credential.(string)
		b.Servers = append(b.Servers, media.ICEServer{URLs: s.URLs, Username: s.Username, Credential: cred})
	}
	if n.RelayOnly {
		b.Policy = "relay"
	}
	return b
}

// TURNCredentials makes TURN REST API credentials (coturn's
// use-auth-secret): valid until now+ttl for any TURN server sharing secret.
func TURNCredentials(secret, user string, now time.Time, ttl time.Duration) (username, password string) {
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10)
	if user != "" {
		username += ":" + user
	}
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// listeners are the shared sockets of a UDP mux and an ICE-TCP mux; they
// outlive every session and close with the Manager.
type listeners struct {
	udp  ice.UDPMux
	tcp  ice.TCPMux
	once sync.Once
}

// Close closes the muxes once; later calls do nothing.
func (l *listeners) Close() error {
	var errs []error
	l.once.Do(func() {
		if l.udp != nil {
			errs = append(errs, l.udp.Close())
		}
		if l.tcp != nil {
			errs = append(errs, l.tcp.Close())
		}
	})
	return errors.Join(errs...)
}

// configure applies the network settings to pion's setting engine,
// opening the UDP and TCP mux sockets when ports are given.
// udpMuxReadBuffer is the receive buffer asked for the one UDP port's
// socket: 4 MiB, about a second of 400 sessions' packets.
const udpMuxReadBuffer = 4 << 20

func (n Network) configure(se *webrtc.SettingEngine, includeLoopback bool) (*listeners, error) {
	if err := n.Validate(); err != nil {
		return nil, fmt.Errorf("rtc: network: %w", err)
	}
	// IPv6 link-local addresses (and IPv4's 169.254/16) reach no browser
	// across a router; each would cost every session a socket, a reading
	// goroutine and its buffer for nothing: leave them out.
	se.SetIPFilter(notLinkLocal)
	var keepIface func(string) bool
	if len(n.Interfaces) > 0 {
		keepIface = func(name string) bool { return slices.Contains(n.Interfaces, name) }
		se.SetInterfaceFilter(keepIface)
	}
	// Without a choice: UDP, as pion does, and TCP too where there is an
	// ICE-TCP port (pion leaves TCP out unless asked).
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if n.TCPPort > 0 {
		types = append(types, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	if len(n.Networks) > 0 {
		types = types[:0]
		for _, s := range n.Networks {
			t, _ := networkType(s)
			types = append(types, t)
		}
	}
	se.SetNetworkTypes(types)
	if len(n.PublicIPs) > 0 {
		var rules []webrtc.ICEAddressRewriteRule
		for _, p := range n.PublicIPs {
			pub, local, _ := strings.Cut(p, "/")
			rules = append(rules, webrtc.ICEAddressRewriteRule{
				External: []string{pub}, Local: local,
				AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteReplace,
			})
		}
		if err := se.SetICEAddressRewriteRules(rules...); err != nil {
			return nil, fmt.Errorf("rtc: public IPs: %w", err)
		}
	}
	if n.PortMin > 0 {
		if err := se.SetEphemeralUDPPortRange(n.PortMin, n.PortMax); err != nil {
			return nil, fmt.Errorf("rtc: port range: %w", err)
		}
	}
	l := &listeners{}
	if n.UDPPort > 0 {
		// Link-local addresses out here too; binding one also fails while
		// it is still tentative (just after the interface came up).
		opts := []ice.UDPMuxFromPortOption{ice.UDPMuxFromPortWithIPFilter(notLinkLocal)}
		if keepIface != nil {
			opts = append(opts, ice.UDPMuxFromPortWithInterfaceFilter(keepIface))
		}
		if includeLoopback {
			opts = append(opts, ice.UDPMuxFromPortWithLoopback())
		}
		var udpTypes []ice.NetworkType
		for _, t := range types {
			switch t {
			case webrtc.NetworkTypeUDP4:
				udpTypes = append(udpTypes, ice.NetworkTypeUDP4)
			case webrtc.NetworkTypeUDP6:
				udpTypes = append(udpTypes, ice.NetworkTypeUDP6)
			}
		}
		// One socket takes every session's packets: its receive buffer
		// (the kernel's default, 208 KB, is a few tens of milliseconds at
		// a few hundred sessions) is all that holds them while its one
		// reader waits for a core. The kernel caps it at net.core.rmem_max.
		opts = append(opts, ice.UDPMuxFromPortWithNetworks(udpTypes...), ice.UDPMuxFromPortWithReadBufferSize(udpMuxReadBuffer))
		mux, err := ice.NewMultiUDPMuxFromPort(n.UDPPort, opts...)
		if err != nil {
			return nil, fmt.Errorf("rtc: UDP port %d: %w", n.UDPPort, err)
		}
		l.udp = mux
		se.SetICEUDPMux(mux)
	}
	if n.TCPPort > 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(n.TCPPort)))
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("rtc: ICE-TCP port %d: %w", n.TCPPort, err)
		}
		l.tcp = ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: ln, ReadBufferSize: 8, WriteBufferSize: 4 << 20})
		se.SetICETCPMux(l.tcp)
	}
	return l, nil
}

// notLinkLocal keeps every address but link-local ones.
func notLinkLocal(ip net.IP) bool { return !ip.IsLinkLocalUnicast() }
