package config

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/avatarweb/recorder/handlers/guard"
)

// HTTP is what guards the HTTP server: who may ask, how much, how slowly.
type HTTP struct {
	Token string // access token; "" leaves the server open
	// TrustedProxies may say whom they forward for (X-Forwarded-For, the
	// PROXY protocol); none: every peer is the client.
	TrustedProxies []netip.Prefix
	OfferRate      int   // new sessions per client per minute
	MaxBody        int64 // bytes: any request body, so also one upload chunk
	BodyMemory     int64 // bytes: request bodies held in memory at once, all together
	HeaderTimeout  time.Duration
	IdleTimeout    time.Duration // between requests on a kept-alive connection
	WriteTimeout   time.Duration // for an answer to make progress
	MaxWS          int           // WebSockets (/ws, /feed) open at once, in all
	MaxWSPerClient int           // and per client

	trusted               string
	maxBodyMiB, memoryMiB int64
}

func (h *HTTP) declare(fs *flag.FlagSet, e *env) {
	fs.StringVar(&h.Token, "token", e.str("RECORDER_TOKEN", ""), "access token: when set, every page, API, WebSocket and audio URL needs it (sign in at /login, or Authorization: Bearer); prefer the env var RECORDER_TOKEN, flags show in ps")
	fs.StringVar(&h.trusted, "trusted-proxies", e.str("RECORDER_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For and PROXY protocol (v1, v2) headers name the client; per-client limits then count real clients (env RECORDER_TRUSTED_PROXIES)")
	fs.IntVar(&h.OfferRate, "offer-rate", e.int("RECORDER_OFFER_RATE", 30), "new WebRTC sessions per client per minute, 0 = unlimited; beyond it 429 (env RECORDER_OFFER_RATE)")
	fs.Int64Var(&h.maxBodyMiB, "max-body", e.int64("RECORDER_MAX_BODY", 16), "largest request body in MiB: a seed-style whole-take save or one upload chunk; larger is refused with 413 (env RECORDER_MAX_BODY)")
	fs.Int64Var(&h.memoryMiB, "body-memory", e.int64("RECORDER_BODY_MEMORY", 64), "request bodies held in memory at once, all requests together, in MiB (at least -max-body); a request beyond it waits up to -header-timeout, then 503 (env RECORDER_BODY_MEMORY)")
	fs.DurationVar(&h.HeaderTimeout, "header-timeout", e.duration("RECORDER_HEADER_TIMEOUT", 10*time.Second), "time a client has to send a request's line and headers; its body then gets this plus 1 s per 4 KiB (env RECORDER_HEADER_TIMEOUT)")
	fs.DurationVar(&h.IdleTimeout, "idle-timeout", e.duration("RECORDER_IDLE_TIMEOUT", 2*time.Minute), "a kept-alive connection with no request for this long is closed (env RECORDER_IDLE_TIMEOUT)")
	fs.DurationVar(&h.WriteTimeout, "write-timeout", e.duration("RECORDER_WRITE_TIMEOUT", 30*time.Second), "time to send an answer; a long download may take longer as long as each piece of it goes out within this (env RECORDER_WRITE_TIMEOUT)")
	fs.IntVar(&h.MaxWS, "max-ws", e.int("RECORDER_MAX_WS", 1000), "WebSockets (/ws, /feed) open at once; beyond it 503 (env RECORDER_MAX_WS)")
	fs.IntVar(&h.MaxWSPerClient, "max-ws-per-client", e.int("RECORDER_MAX_WS_PER_CLIENT", 32), "WebSockets open at once per client IP (IPv6: per /64); beyond it 429 (env RECORDER_MAX_WS_PER_CLIENT)")
}

func (h *HTTP) finish(*Config) error {
	var err error
	if h.TrustedProxies, err = parsePrefixes(h.trusted); err != nil {
		return fmt.Errorf("-trusted-proxies: %w", err)
	}
	if h.Token != "" && len(h.Token) < guard.MinTokenLength {
		return fmt.Errorf("-token: %d characters is guessable; use at least %d (openssl rand -base64 24 makes one)", len(h.Token), guard.MinTokenLength)
	}
	if h.OfferRate < 0 {
		return errors.New("-offer-rate must be at least 0")
	}
	if h.HeaderTimeout <= 0 || h.IdleTimeout <= 0 || h.WriteTimeout <= 0 {
		return errors.New("-header-timeout, -idle-timeout and -write-timeout must be positive")
	}
	if h.MaxWS < 1 || h.MaxWSPerClient < 1 {
		return errors.New("-max-ws and -max-ws-per-client must be at least 1")
	}
	if h.maxBodyMiB < 1 {
		return errors.New("-max-body must be at least 1 MiB")
	}
	if h.memoryMiB < h.maxBodyMiB {
		return fmt.Errorf("-body-memory (%d MiB) must be at least -max-body (%d MiB): a largest body must fit", h.memoryMiB, h.maxBodyMiB)
	}
	h.MaxBody, h.BodyMemory = h.maxBodyMiB<<20, h.memoryMiB<<20
	return nil
}

// parsePrefixes reads a comma-separated list of CIDRs or addresses (one
// address is a prefix of its full length).
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range splitList(list) {
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(strings.TrimSpace(item))
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
