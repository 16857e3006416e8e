// Package config reads the server's configuration once, from flags with
// environment fallbacks, into one validated Config. Each concern (HTTP
// limits, live sessions, uploads, storage, ICE, cluster, TLS,
// observability) declares its own flags and checks its own values in a
// file of its own.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Config is everything the server reads from flags and the environment.
// A flag wins; its RECORDER_* variable is the fallback; then the default.
type Config struct {
	Addr     string // listen address
	DataDir  string // recorder.db, recordings/, spool/, uploads/, tls/
	LogLevel slog.Level

	HTTP     HTTP     // the token, trusted proxies, bodies, timeouts, WebSockets
	Sessions Sessions // live WebRTC sessions
	Uploads  Uploads  // MediaRecorder uploads
	Network  Network  // ICE: STUN/TURN, addresses, ports
	Storage  Storage  // the index and the recordings store
	Cluster  Cluster  // this node among several
	TLS      TLS      // HTTPS
	Observe  Observe  // /metrics and /debug/pprof/

	// ShutdownGrace bounds a graceful shutdown.
	ShutdownGrace time.Duration

	// Tap sees every RTP packet received; tests set it to capture a real
	// browser's stream. No flag sets it.
	Tap func(sessionID string, p media.Packet)
}

// Paths inside the data directory.
func (c Config) DBPath() string        { return filepath.Join(c.DataDir, "recorder.db") }
func (c Config) RecordingsDir() string { return filepath.Join(c.DataDir, "recordings") }
func (c Config) SpoolDir() string      { return filepath.Join(c.DataDir, "spool") }
func (c Config) UploadsDir() string    { return filepath.Join(c.DataDir, "uploads") }
func (c Config) ReservePath() string   { return filepath.Join(c.DataDir, "space.reserve") }
func (c Config) TLSDir() string        { return filepath.Join(c.DataDir, "tls") }

// DBSource is where the index is: -db, or the SQLite file in the data
// directory.
func (c Config) DBSource() string {
	if c.Storage.DB != "" {
		return c.Storage.DB
	}
	return c.DBPath()
}

// concern is one part of the configuration: it declares its flags, then,
// once they are parsed, turns them into values and checks them.
type concern interface {
	declare(fs *flag.FlagSet, e *env)
	finish(c *Config) error
}

// Parse reads the configuration from args (without the program name) and
// getenv. A malformed environment variable for a switch, a bad flag or a
// value out of range is an error naming it; -h gives flag.ErrHelp.
func Parse(args []string, getenv func(string) string) (Config, error) {
	var c Config
	e := &env{get: getenv}
	fs := flag.NewFlagSet("recorder", flag.ContinueOnError)
	concerns := []concern{&base{}, &c.HTTP, &c.Sessions, &c.Uploads, &c.Network, &c.Storage, &c.TLS, &c.Cluster, &c.Observe}
	for _, k := range concerns {
		k.declare(fs, e)
	}
	if e.err != nil {
		return c, e.err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, k := range concerns { // TLS before Cluster: a node's URL says https
		if err := k.finish(&c); err != nil {
			return c, err
		}
	}
	c.ShutdownGrace = 10 * time.Second
	return c, nil
}

// base is the listen address, the data directory and the log level.
type base struct {
	addr, data, level string
}

func (b *base) declare(fs *flag.FlagSet, e *env) {
	fs.StringVar(&b.addr, "addr", e.str("RECORDER_ADDR", ":8080"), "listen address (env RECORDER_ADDR)")
	fs.StringVar(&b.data, "data", e.str("RECORDER_DATA", "data"), "data directory: recorder.db, recordings/, spool/ (env RECORDER_DATA)")
	fs.StringVar(&b.level, "log-level", e.str("RECORDER_LOG_LEVEL", "info"), "debug, info, warn or error; debug-4 adds pion's own debug lines (env RECORDER_LOG_LEVEL)")
}

func (b *base) finish(c *Config) error {
	if b.addr == "" || b.data == "" {
		return errors.New("-addr and -data must not be empty")
	}
	c.Addr, c.DataDir = b.addr, b.data
	if err := c.LogLevel.UnmarshalText([]byte(b.level)); err != nil {
		return fmt.Errorf("-log-level %q: %w", b.level, err)
	}
	return nil
}
