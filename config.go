package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/avatarweb/recorder/media"
)

// config is everything the server reads from flags and the environment.
// A flag wins; its RECORDER_* variable is the fallback; then the default.
type config struct {
	Addr          string
	DataDir       string
	LogLevel      slog.Level
	ICELoopback   bool
	STUN          []string
	Token         string // access token; "" leaves the server open
	SecureCookie  bool
	OfferRate     int // new sessions per client per minute
	MaxSessions   int // live WebRTC sessions at once
	MaxTakeTime   time.Duration
	TLS           bool
	CertFile      string
	KeyFile       string
	MaxBody       int64 // bytes: any request body, so also one upload chunk
	MaxTake       int64 // bytes: one MediaRecorder take
	OfferTimeout  time.Duration
	ShutdownGrace time.Duration
	Metrics       bool // serve /metrics

	// rtpTap sees every received RTP packet; tests set it to capture a
	// real browser's stream. No flag sets it.
	rtpTap func(sessionID string, p media.Packet)
}

// Paths inside the data directory.
func (c config) dbPath() string        { return filepath.Join(c.DataDir, "recorder.db") }
func (c config) recordingsDir() string { return filepath.Join(c.DataDir, "recordings") }
func (c config) spoolDir() string      { return filepath.Join(c.DataDir, "spool") }
func (c config) uploadsDir() string    { return filepath.Join(c.DataDir, "uploads") }

func parseConfig(args []string, getenv func(string) string) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("recorder", flag.ContinueOnError)
	var c config
	var level, stun string
	fs.StringVar(&c.Addr, "addr", env("RECORDER_ADDR", ":8080"), "listen address (env RECORDER_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("RECORDER_DATA", "data"), "data directory: recorder.db, recordings/, spool/ (env RECORDER_DATA)")
	fs.StringVar(&level, "log-level", env("RECORDER_LOG_LEVEL", "info"), "debug, info, warn or error (env RECORDER_LOG_LEVEL)")
	fs.StringVar(&stun, "stun", env("RECORDER_STUN", ""), "comma-separated STUN/TURN URLs for ICE; none needed on a LAN (env RECORDER_STUN)")
	var maxBodyMiB, maxTakeMiB int64
	fs.Int64Var(&maxBodyMiB, "max-body", envInt(env, "RECORDER_MAX_BODY", 16), "largest request body in MiB: a seed-style whole-take save or one upload chunk; larger is refused with 413 (env RECORDER_MAX_BODY)")
	fs.Int64Var(&maxTakeMiB, "max-take", envInt(env, "RECORDER_MAX_TAKE", 2048), "largest MediaRecorder take in MiB (env RECORDER_MAX_TAKE)")
	fs.StringVar(&c.Token, "token", env("RECORDER_TOKEN", ""), "access token: when set, every page, API, WebSocket and audio URL needs it (sign in at /login, or Authorization: Bearer); prefer the env var RECORDER_TOKEN, flags show in ps")
	fs.IntVar(&c.OfferRate, "offer-rate", int(envInt(env, "RECORDER_OFFER_RATE", 30)), "new WebRTC sessions per client per minute, 0 = unlimited; beyond it 429 (env RECORDER_OFFER_RATE)")
	fs.IntVar(&c.MaxSessions, "max-sessions", int(envInt(env, "RECORDER_MAX_SESSIONS", 32)), "live WebRTC sessions at once; beyond it 503 (env RECORDER_MAX_SESSIONS)")
	fs.DurationVar(&c.MaxTakeTime, "max-take-time", envDuration(env, "RECORDER_MAX_TAKE_TIME", 4*time.Hour), "a live take stops by itself after this long and stays a draft (env RECORDER_MAX_TAKE_TIME)")
	tlsOn, err := strconv.ParseBool(env("RECORDER_TLS", "false"))
	if err != nil {
		return c, fmt.Errorf("RECORDER_TLS: %w", err)
	}
	fs.BoolVar(&c.TLS, "tls", tlsOn, "serve HTTPS (phones need it for the microphone): with -cert/-key, or a self-signed certificate made on first run in DATA/tls (env RECORDER_TLS)")
	fs.StringVar(&c.CertFile, "cert", env("RECORDER_CERT", ""), "TLS certificate (PEM) for -tls (env RECORDER_CERT)")
	fs.StringVar(&c.KeyFile, "key", env("RECORDER_KEY", ""), "TLS private key (PEM) for -tls (env RECORDER_KEY)")
	loopback, err := strconv.ParseBool(env("RECORDER_ICE_LOOPBACK", "true"))
	if err != nil {
		return c, fmt.Errorf("RECORDER_ICE_LOOPBACK: %w", err)
	}
	fs.BoolVar(&c.ICELoopback, "ice-loopback", loopback, "offer 127.0.0.1 ICE candidates, for a browser on this machine (env RECORDER_ICE_LOOPBACK)")
	metricsOn, err := strconv.ParseBool(env("RECORDER_METRICS", "false"))
	if err != nil {
		return c, fmt.Errorf("RECORDER_METRICS: %w", err)
	}
	fs.BoolVar(&c.Metrics, "metrics", metricsOn, "serve /metrics in the Prometheus text format (behind the access token when one is set) (env RECORDER_METRICS)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := level2slog(level, &c.LogLevel); err != nil {
		return c, err
	}
	for _, u := range strings.Split(stun, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.STUN = append(c.STUN, u)
		}
	}
	if c.Addr == "" || c.DataDir == "" {
		return c, errors.New("-addr and -data must not be empty")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return c, errors.New("-cert and -key go together")
	}
	if c.CertFile != "" {
		c.TLS = true
	}
	c.SecureCookie = c.TLS
	if c.MaxSessions < 1 || c.OfferRate < 0 || c.MaxTakeTime <= 0 {
		return c, errors.New("-max-sessions must be at least 1, -offer-rate at least 0, -max-take-time positive")
	}
	if maxBodyMiB < 1 || maxTakeMiB < 1 {
		return c, errors.New("-max-body and -max-take must be at least 1 MiB")
	}
	c.MaxBody, c.MaxTake = maxBodyMiB<<20, maxTakeMiB<<20
	c.OfferTimeout = 10 * time.Second
	c.ShutdownGrace = 10 * time.Second
	return c, nil
}

// envInt reads a whole number from the environment, or def; a malformed
// value is reported by flag parsing as the flag's default being wrong, so
// fall back to def and let the flag override.
func envInt(env func(string, string) string, name string, def int64) int64 {
	v, err := strconv.ParseInt(env(name, strconv.FormatInt(def, 10)), 10, 64)
	if err != nil {
		return def
	}
	return v
}

// envDuration reads a duration from the environment, or def.
func envDuration(env func(string, string) string, name string, def time.Duration) time.Duration {
	v, err := time.ParseDuration(env(name, def.String()))
	if err != nil {
		return def
	}
	return v
}

func level2slog(s string, dst *slog.Level) error {
	if err := dst.UnmarshalText([]byte(s)); err != nil {
		return fmt.Errorf("-log-level %q: %w", s, err)
	}
	return nil
}
