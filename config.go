package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/rtc"
	"github.com/avatarweb/recorder/media/store/s3store"
)

// config is everything the server reads from flags and the environment.
// A flag wins; its RECORDER_* variable is the fallback; then the default.
type config struct {
	Addr        string
	DataDir     string
	DB          string // index: a postgres:// URL or a SQLite file; "" is DATA/recorder.db
	LogLevel    slog.Level
	ICELoopback bool
	Network     rtc.Network // STUN/TURN, public IPs, media ports, interfaces
	Token       string      // access token; "" leaves the server open
	// TrustedProxies may say whom they forward for (X-Forwarded-For, the
	// PROXY protocol); none: every peer is the client.
	TrustedProxies []netip.Prefix
	SecureCookie   bool
	OfferRate      int           // new sessions per client per minute
	MaxSessions    int           // live WebRTC sessions at once
	MaxSessionsPer int           // and per client
	ConnectTimeout time.Duration // a session with no audio by then ends
	MaxTakeTime    time.Duration
	DraftTTL       time.Duration // an unsaved live take is forgotten (kept on disk) after this
	KeepDeleted    time.Duration // a recording in Recently deleted is deleted for good after this
	MaxUploads     int           // MediaRecorder uploads open at once, in all
	MaxUploadsPer  int           // and per client
	MaxWS          int           // WebSockets (/ws, /feed) open at once, in all
	MaxWSPerClient int           // and per client
	TLS            bool
	CertFile       string
	KeyFile        string
	MaxBody        int64 // bytes: any request body, so also one upload chunk
	BodyMemory     int64 // bytes: request bodies held in memory at once, all together
	MaxTake        int64 // bytes: one MediaRecorder take
	OfferTimeout   time.Duration
	ShutdownGrace  time.Duration
	HeaderTimeout  time.Duration // to send a request's line and headers
	IdleTimeout    time.Duration // between requests on a kept-alive connection
	WriteTimeout   time.Duration // for an answer to make progress
	Node           media.Node    // this node among several sharing a PostgreSQL index
	// ClusterSecret keys the signatures of the requests nodes forward to
	// each other; required with a shared index.
	ClusterSecret string
	// S3 is where recordings are kept when -store is s3://bucket/prefix;
	// nil keeps them in DATA/recordings.
	S3       *s3store.Config
	Metrics  bool // serve /metrics
	Profiles bool // serve /debug/pprof/
	// ReorderMaxHold bounds how long a live session waits for a missing
	// packet; below it the wait follows the measured jitter.
	ReorderMaxHold time.Duration

	// rtpTap sees every received RTP packet; tests set it to capture a
	// real browser's stream. No flag sets it.
	rtpTap func(sessionID string, p media.Packet)
}

// dbSource is where the index is: -db, or the SQLite file in the data dir.
func (c config) dbSource() string {
	if c.DB != "" {
		return c.DB
	}
	return c.dbPath()
}

// Paths inside the data directory.
func (c config) dbPath() string        { return filepath.Join(c.DataDir, "recorder.db") }
func (c config) recordingsDir() string { return filepath.Join(c.DataDir, "recordings") }
func (c config) spoolDir() string      { return filepath.Join(c.DataDir, "spool") }
func (c config) uploadsDir() string    { return filepath.Join(c.DataDir, "uploads") }
func (c config) reservePath() string   { return filepath.Join(c.DataDir, "space.reserve") }

func parseConfig(args []string, getenv func(string) string) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("recorder", flag.ContinueOnError)
	var c config
	var level string
	fs.StringVar(&c.Addr, "addr", env("RECORDER_ADDR", ":8080"), "listen address (env RECORDER_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("RECORDER_DATA", "data"), "data directory: recorder.db, recordings/, spool/ (env RECORDER_DATA)")
	fs.StringVar(&c.DB, "db", env("RECORDER_DB", ""), "index of recordings and settings: a postgres://user@host/dbname URL (shared by several nodes; password best in PGPASSWORD or ~/.pgpass) or a SQLite file; default DATA/recorder.db (env RECORDER_DB)")
	fs.StringVar(&level, "log-level", env("RECORDER_LOG_LEVEL", "info"), "debug, info, warn or error (env RECORDER_LOG_LEVEL)")
	netFlags, err := networkFlags(fs, env)
	if err != nil {
		return c, err
	}
	nodeFlags := clusterFlags(fs, env)
	var maxBodyMiB, maxTakeMiB, bodyMemoryMiB int64
	fs.Int64Var(&maxBodyMiB, "max-body", envInt(env, "RECORDER_MAX_BODY", 16), "largest request body in MiB: a seed-style whole-take save or one upload chunk; larger is refused with 413 (env RECORDER_MAX_BODY)")
	fs.Int64Var(&bodyMemoryMiB, "body-memory", envInt(env, "RECORDER_BODY_MEMORY", 64), "request bodies held in memory at once, all requests together, in MiB (at least -max-body); a request beyond it waits up to -header-timeout, then 503 (env RECORDER_BODY_MEMORY)")
	fs.Int64Var(&maxTakeMiB, "max-take", envInt(env, "RECORDER_MAX_TAKE", 2048), "largest MediaRecorder take in MiB (env RECORDER_MAX_TAKE)")
	fs.StringVar(&c.Token, "token", env("RECORDER_TOKEN", ""), "access token: when set, every page, API, WebSocket and audio URL needs it (sign in at /login, or Authorization: Bearer); prefer the env var RECORDER_TOKEN, flags show in ps")
	var trusted string
	fs.StringVar(&trusted, "trusted-proxies", env("RECORDER_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of load balancers whose X-Forwarded-For and PROXY protocol (v1, v2) headers name the client; per-client limits then count real clients (env RECORDER_TRUSTED_PROXIES)")
	fs.IntVar(&c.OfferRate, "offer-rate", int(envInt(env, "RECORDER_OFFER_RATE", 30)), "new WebRTC sessions per client per minute, 0 = unlimited; beyond it 429 (env RECORDER_OFFER_RATE)")
	fs.IntVar(&c.MaxSessions, "max-sessions", int(envInt(env, "RECORDER_MAX_SESSIONS", 32)), "live WebRTC sessions at once; beyond it 503 (env RECORDER_MAX_SESSIONS)")
	fs.IntVar(&c.MaxSessionsPer, "max-sessions-per-client", int(envInt(env, "RECORDER_MAX_SESSIONS_PER_CLIENT", 8)), "live WebRTC sessions at once per client IP (IPv6: per /64), connected or still connecting; beyond it 429 (env RECORDER_MAX_SESSIONS_PER_CLIENT)")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", envDuration(env, "RECORDER_CONNECT_TIMEOUT", 10*time.Second), "a WebRTC session whose audio has not arrived this long after its offer was answered ends, freeing its slot (env RECORDER_CONNECT_TIMEOUT)")
	fs.DurationVar(&c.MaxTakeTime, "max-take-time", envDuration(env, "RECORDER_MAX_TAKE_TIME", 4*time.Hour), "a live take stops by itself after this long and stays a draft (env RECORDER_MAX_TAKE_TIME)")
	fs.DurationVar(&c.DraftTTL, "draft-ttl", envDuration(env, "RECORDER_DRAFT_TTL", 24*time.Hour), "a stopped live take neither saved nor discarded is forgotten after this long; its spool stays on disk and the next start recovers it (env RECORDER_DRAFT_TTL)")
	keepDays := fs.Int("keep-deleted", int(envInt(env, "RECORDER_KEEP_DELETED", 30)), "days a recording deleted on the page stays in Recently deleted, where it can be restored, before it is deleted for good (env RECORDER_KEEP_DELETED)")
	fs.DurationVar(&c.HeaderTimeout, "header-timeout", envDuration(env, "RECORDER_HEADER_TIMEOUT", 10*time.Second), "time a client has to send a request's line and headers; its body then gets this plus 1 s per 4 KiB (env RECORDER_HEADER_TIMEOUT)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", envDuration(env, "RECORDER_IDLE_TIMEOUT", 2*time.Minute), "a kept-alive connection with no request for this long is closed (env RECORDER_IDLE_TIMEOUT)")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", envDuration(env, "RECORDER_WRITE_TIMEOUT", 30*time.Second), "time to send an answer; a long download may take longer as long as each piece of it goes out within this (env RECORDER_WRITE_TIMEOUT)")
	fs.IntVar(&c.MaxUploads, "max-uploads", int(envInt(env, "RECORDER_MAX_UPLOADS", 64)), "MediaRecorder uploads open at once (begun, not yet saved, discarded or expired); beyond it 503 (env RECORDER_MAX_UPLOADS)")
	fs.IntVar(&c.MaxUploadsPer, "max-uploads-per-client", int(envInt(env, "RECORDER_MAX_UPLOADS_PER_CLIENT", 8)), "MediaRecorder uploads open at once per client IP (IPv6: per /64); beyond it 429 (env RECORDER_MAX_UPLOADS_PER_CLIENT)")
	fs.IntVar(&c.MaxWS, "max-ws", int(envInt(env, "RECORDER_MAX_WS", 1000)), "WebSockets (/ws, /feed) open at once; beyond it 503 (env RECORDER_MAX_WS)")
	fs.IntVar(&c.MaxWSPerClient, "max-ws-per-client", int(envInt(env, "RECORDER_MAX_WS_PER_CLIENT", 32)), "WebSockets open at once per client IP (IPv6: per /64); beyond it 429 (env RECORDER_MAX_WS_PER_CLIENT)")
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
	var storeURL, s3Endpoint, s3Region string
	fs.StringVar(&storeURL, "store", env("RECORDER_STORE", ""), "where recordings are kept: s3://bucket/prefix for an S3-compatible bucket; empty for DATA/recordings (env RECORDER_STORE)")
	fs.StringVar(&s3Endpoint, "s3-endpoint", env("AWS_ENDPOINT_URL_S3", env("AWS_ENDPOINT_URL", "")), "S3 server URL, such as http://127.0.0.1:7070; empty for AWS (env AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)")
	fs.StringVar(&s3Region, "s3-region", env("AWS_REGION", env("AWS_DEFAULT_REGION", "us-east-1")), "S3 region (env AWS_REGION, AWS_DEFAULT_REGION)")
	pathStyle, err := strconv.ParseBool(env("RECORDER_S3_PATH_STYLE", "false"))
	if err != nil {
		return c, fmt.Errorf("RECORDER_S3_PATH_STYLE: %w", err)
	}
	s3PathStyle := fs.Bool("s3-path-style", pathStyle, "address buckets as ENDPOINT/bucket, as most S3-compatible servers want (env RECORDER_S3_PATH_STYLE)")
	metricsOn, err := strconv.ParseBool(env("RECORDER_METRICS", "false"))
	if err != nil {
		return c, fmt.Errorf("RECORDER_METRICS: %w", err)
	}
	fs.BoolVar(&c.Metrics, "metrics", metricsOn, "serve /metrics in the Prometheus text format (behind the access token when one is set) (env RECORDER_METRICS)")
	profilesOn, err := strconv.ParseBool(env("RECORDER_PPROF", "false"))
	if err != nil {
		return c, fmt.Errorf("RECORDER_PPROF: %w", err)
	}
	fs.BoolVar(&c.Profiles, "pprof", profilesOn, "serve the Go runtime's CPU, heap and other profiles under /debug/pprof/ (behind the access token when one is set) (env RECORDER_PPROF)")
	fs.DurationVar(&c.ReorderMaxHold, "reorder-max-hold", envDuration(env, "RECORDER_REORDER_MAX_HOLD", media.DefaultReorderMaxHold), "longest a live session waits for a missing RTP packet before it counts it lost; below it the wait follows the measured jitter, 1ms-2s (env RECORDER_REORDER_MAX_HOLD)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if storeURL != "" {
		bucket, prefix, err := s3store.ParseURL(storeURL)
		if err != nil {
			return c, fmt.Errorf("-store: %w", err)
		}
		// Credentials only from the environment: flags show in ps.
		c.S3 = &s3store.Config{
			Bucket: bucket, Prefix: prefix, Endpoint: s3Endpoint, Region: s3Region, PathStyle: *s3PathStyle,
			AccessKey: getenv("AWS_ACCESS_KEY_ID"), SecretKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN"),
		}
	}
	if c.TrustedProxies, err = parsePrefixes(trusted); err != nil {
		return c, fmt.Errorf("-trusted-proxies: %w", err)
	}
	if c.Token != "" && len(c.Token) < guard.MinTokenLength {
		return c, fmt.Errorf("-token: %d characters is guessable; use at least %d (openssl rand -base64 24 makes one)", len(c.Token), guard.MinTokenLength)
	}
	if err := level2slog(level, &c.LogLevel); err != nil {
		return c, err
	}
	if c.Network, err = netFlags.parse(); err != nil {
		return c, err
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
	if *keepDays < 1 {
		return c, errors.New("-keep-deleted must be at least 1 day")
	}
	c.KeepDeleted = time.Duration(*keepDays) * 24 * time.Hour
	if c.MaxSessions < 1 || c.MaxSessionsPer < 1 || c.OfferRate < 0 || c.MaxTakeTime <= 0 || c.DraftTTL <= 0 || c.ConnectTimeout <= 0 {
		return c, errors.New("-max-sessions and -max-sessions-per-client must be at least 1, -offer-rate at least 0, -max-take-time, -draft-ttl and -connect-timeout positive")
	}
	if c.HeaderTimeout <= 0 || c.IdleTimeout <= 0 || c.WriteTimeout <= 0 {
		return c, errors.New("-header-timeout, -idle-timeout and -write-timeout must be positive")
	}
	if c.ReorderMaxHold < time.Millisecond || c.ReorderMaxHold > 2*time.Second {
		return c, errors.New("-reorder-max-hold must be 1ms-2s")
	}
	if c.MaxUploads < 1 || c.MaxUploadsPer < 1 {
		return c, errors.New("-max-uploads and -max-uploads-per-client must be at least 1")
	}
	if c.MaxWS < 1 || c.MaxWSPerClient < 1 {
		return c, errors.New("-max-ws and -max-ws-per-client must be at least 1")
	}
	if maxBodyMiB < 1 || maxTakeMiB < 1 {
		return c, errors.New("-max-body and -max-take must be at least 1 MiB")
	}
	if bodyMemoryMiB < maxBodyMiB {
		return c, fmt.Errorf("-body-memory (%d MiB) must be at least -max-body (%d MiB): a largest body must fit", bodyMemoryMiB, maxBodyMiB)
	}
	c.MaxBody, c.MaxTake, c.BodyMemory = maxBodyMiB<<20, maxTakeMiB<<20, bodyMemoryMiB<<20
	if c.Node, err = nodeFlags.parse(c.Addr, c.TLS, os.Hostname); err != nil {
		return c, err
	}
	c.ClusterSecret = nodeFlags.secret
	c.OfferTimeout = 10 * time.Second
	c.ShutdownGrace = 10 * time.Second
	return c, nil
}

// parsePrefixes reads a comma-separated list of CIDRs or addresses (one
// address is a prefix of its full length).
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
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
