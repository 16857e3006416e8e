package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/avatarweb/recorder/media/rtc"
)

// networkFlagValues are the ICE flags as typed, parsed into an rtc.Network
// once every flag is read.
type networkFlagValues struct {
	stun, turn, turnUser, turnPassword, turnSecret string
	turnTTL                                        time.Duration
	relayOnly                                      bool
	publicIPs, portRange, interfaces, networks     string
	udpPort, tcpPort                               int
}

// networkFlags declares the ICE flags, each with its RECORDER_* fallback.
// The TURN password and secret are best given by environment: flags show
// in ps.
func networkFlags(fs *flag.FlagSet, env func(name, def string) string) (*networkFlagValues, error) {
	v := &networkFlagValues{}
	relay, err := strconv.ParseBool(env("RECORDER_ICE_RELAY_ONLY", "false"))
	if err != nil {
		return nil, fmt.Errorf("RECORDER_ICE_RELAY_ONLY: %w", err)
	}
	fs.StringVar(&v.stun, "stun", env("RECORDER_STUN", ""), "comma-separated STUN URLs (stun:host:3478) for the server and the browser; none needed on a LAN (env RECORDER_STUN)")
	fs.StringVar(&v.turn, "turn", env("RECORDER_TURN", ""), "comma-separated TURN URLs (turn:host:3478?transport=udp, turns:host:5349) for the server and the browser (env RECORDER_TURN)")
	fs.StringVar(&v.turnUser, "turn-user", env("RECORDER_TURN_USER", ""), "TURN user name; with -turn-secret, the name put after the expiry (env RECORDER_TURN_USER)")
	fs.StringVar(&v.turnPassword, "turn-password", env("RECORDER_TURN_PASSWORD", ""), "TURN password for -turn-user; prefer the env var RECORDER_TURN_PASSWORD, flags show in ps")
	fs.StringVar(&v.turnSecret, "turn-secret", env("RECORDER_TURN_SECRET", ""), "TURN shared secret (coturn use-auth-secret): short-lived credentials are made per page; prefer the env var RECORDER_TURN_SECRET, flags show in ps")
	fs.DurationVar(&v.turnTTL, "turn-ttl", envDuration(env, "RECORDER_TURN_TTL", 12*time.Hour), "how long TURN credentials made from -turn-secret are valid (env RECORDER_TURN_TTL)")
	fs.BoolVar(&v.relayOnly, "ice-relay-only", relay, "browsers connect only through TURN (iceTransportPolicy relay) (env RECORDER_ICE_RELAY_ONLY)")
	fs.StringVar(&v.publicIPs, "public-ip", env("RECORDER_PUBLIC_IP", ""), "comma-separated public IPs advertised in host candidates, for a server behind 1:1 NAT; public/local maps one local address (env RECORDER_PUBLIC_IP)")
	fs.IntVar(&v.udpPort, "udp-port", int(envInt(env, "RECORDER_UDP_PORT", 0)), "one UDP port for every session's media (ICE UDP mux); 0: an ephemeral port per session (env RECORDER_UDP_PORT)")
	fs.IntVar(&v.tcpPort, "tcp-port", int(envInt(env, "RECORDER_TCP_PORT", 0)), "one TCP port for ICE-TCP, the fallback where UDP is blocked; 0: off (env RECORDER_TCP_PORT)")
	fs.StringVar(&v.portRange, "udp-port-range", env("RECORDER_UDP_PORT_RANGE", ""), "min-max: the ephemeral UDP ports used without -udp-port (env RECORDER_UDP_PORT_RANGE)")
	fs.StringVar(&v.interfaces, "ice-interfaces", env("RECORDER_ICE_INTERFACES", ""), "comma-separated interfaces to gather ICE candidates on; none: all (env RECORDER_ICE_INTERFACES)")
	fs.StringVar(&v.networks, "ice-networks", env("RECORDER_ICE_NETWORKS", ""), "comma-separated candidate networks: udp4, udp6, tcp4, tcp6; none: all (env RECORDER_ICE_NETWORKS)")
	return v, nil
}

// parse turns the flag values into a validated rtc.Network.
func (v *networkFlagValues) parse() (rtc.Network, error) {
	n := rtc.Network{
		STUN: splitList(v.stun), TURN: splitList(v.turn),
		TURNUser: v.turnUser, TURNPassword: v.turnPassword, TURNSecret: v.turnSecret, TURNTTL: v.turnTTL,
		RelayOnly: v.relayOnly, PublicIPs: splitList(v.publicIPs),
		UDPPort: v.udpPort, TCPPort: v.tcpPort,
		Interfaces: splitList(v.interfaces), Networks: splitList(v.networks),
	}
	if v.portRange != "" {
		lo, hi, ok := strings.Cut(v.portRange, "-")
		min, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
		max, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
		if !ok || err1 != nil || err2 != nil || min == 0 {
			return n, fmt.Errorf("-udp-port-range %q: want min-max, e.g. 50000-50100", v.portRange)
		}
		n.PortMin, n.PortMax = uint16(min), uint16(max)
	}
	if v.turnTTL <= 0 {
		return n, fmt.Errorf("-turn-ttl must be positive")
	}
	if err := n.Validate(); err != nil {
		return n, fmt.Errorf("ICE flags: %w", err)
	}
	return n, nil
}

// splitList splits a comma-separated flag, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
