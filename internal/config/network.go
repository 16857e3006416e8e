package config

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
)

// Network is how live sessions connect: the ICE servers, addresses and
// ports the server and the browsers use.
type Network struct {
	ICE rtc.Network // STUN/TURN, public IPs, media ports, interfaces
	// Loopback also offers 127.0.0.1 candidates, for a browser on this
	// machine.
	Loopback bool

	stun, turn, publicIPs, portRange, interfaces, networks string
}

// declare declares the ICE flags. The TURN password and secret are best
// given by environment: flags show in ps.
func (n *Network) declare(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&n.Loopback, "ice-loopback", e.bool("RECORDER_ICE_LOOPBACK", true), "offer 127.0.0.1 ICE candidates, for a browser on this machine (env RECORDER_ICE_LOOPBACK)")
	fs.StringVar(&n.stun, "stun", e.str("RECORDER_STUN", ""), "comma-separated STUN URLs (stun:host:3478) for the server and the browser; none needed on a LAN (env RECORDER_STUN)")
	fs.StringVar(&n.turn, "turn", e.str("RECORDER_TURN", ""), "comma-separated TURN URLs (turn:host:3478?transport=udp, turns:host:5349) for the server and the browser (env RECORDER_TURN)")
	fs.StringVar(&n.ICE.TURNUser, "turn-user", e.str("RECORDER_TURN_USER", ""), "TURN user name; with -turn-secret, the name put after the expiry (env RECORDER_TURN_USER)")
	fs.StringVar(&n.ICE.TURNPassword, "turn-password", e.str("RECORDER_TURN_PASSWORD", ""), "TURN password for -turn-user; prefer the env var RECORDER_TURN_PASSWORD, flags show in ps")
	fs.StringVar(&n.ICE.TURNSecret, "turn-secret", e.str("RECORDER_TURN_SECRET", ""), "TURN shared secret (coturn use-auth-secret): short-lived credentials are made per page; prefer the env var RECORDER_TURN_SECRET, flags show in ps")
	fs.DurationVar(&n.ICE.TURNTTL, "turn-ttl", e.duration("RECORDER_TURN_TTL", 12*time.Hour), "how long TURN credentials made from -turn-secret are valid (env RECORDER_TURN_TTL)")
	fs.BoolVar(&n.ICE.RelayOnly, "ice-relay-only", e.bool("RECORDER_ICE_RELAY_ONLY", false), "browsers connect only through TURN (iceTransportPolicy relay) (env RECORDER_ICE_RELAY_ONLY)")
	fs.StringVar(&n.publicIPs, "public-ip", e.str("RECORDER_PUBLIC_IP", ""), "comma-separated public IPs advertised in host candidates, for a server behind 1:1 NAT; public/local maps one local address (env RECORDER_PUBLIC_IP)")
	fs.IntVar(&n.ICE.UDPPort, "udp-port", e.int("RECORDER_UDP_PORT", 0), "one UDP port for every session's media (ICE UDP mux); 0: an ephemeral port per session (env RECORDER_UDP_PORT)")
	fs.IntVar(&n.ICE.TCPPort, "tcp-port", e.int("RECORDER_TCP_PORT", 0), "one TCP port for ICE-TCP, the fallback where UDP is blocked; 0: off (env RECORDER_TCP_PORT)")
	fs.StringVar(&n.portRange, "udp-port-range", e.str("RECORDER_UDP_PORT_RANGE", ""), "min-max: the ephemeral UDP ports used without -udp-port (env RECORDER_UDP_PORT_RANGE)")
	fs.StringVar(&n.interfaces, "ice-interfaces", e.str("RECORDER_ICE_INTERFACES", ""), "comma-separated interfaces to gather ICE candidates on; none: all (env RECORDER_ICE_INTERFACES)")
	fs.StringVar(&n.networks, "ice-networks", e.str("RECORDER_ICE_NETWORKS", ""), "comma-separated candidate networks: udp4, udp6, tcp4, tcp6; none: all (env RECORDER_ICE_NETWORKS)")
}

// finish turns the flag values into a validated rtc.Network.
func (n *Network) finish(*Config) error {
	n.ICE.STUN, n.ICE.TURN = splitList(n.stun), splitList(n.turn)
	n.ICE.PublicIPs = splitList(n.publicIPs)
	n.ICE.Interfaces, n.ICE.Networks = splitList(n.interfaces), splitList(n.networks)
	if n.portRange != "" {
		min, max, err := parsePortRange(n.portRange)
		if err != nil {
			return err
		}
		n.ICE.PortMin, n.ICE.PortMax = min, max
	}
	if n.ICE.TURNTTL <= 0 {
		return errors.New("-turn-ttl must be positive")
	}
	if err := n.ICE.Validate(); err != nil {
		return fmt.Errorf("ICE flags: %w", err)
	}
	return nil
}

// parsePortRange reads min-max.
func parsePortRange(s string) (uint16, uint16, error) {
	lo, hi, ok := strings.Cut(s, "-")
	min, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	max, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if !ok || err1 != nil || err2 != nil || min == 0 {
		return 0, 0, fmt.Errorf("-udp-port-range %q: want min-max, e.g. 50000-50100", s)
	}
	return uint16(min), uint16(max), nil
}
