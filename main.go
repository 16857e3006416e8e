// Command recorder serves the WebRTC audio recorder: a page that streams a
// browser microphone to the server over WebRTC, decodes it live and keeps
// the takes as seed-format JSON recordings indexed in SQLite.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/media/feed"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/rtc"
	"github.com/avatarweb/recorder/media/settings"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/upload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "recorder:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	guard.WarnIfExposed(cfg.Addr, cfg.Token, log)
	srv, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	scheme := "http"
	if cfg.TLS {
		tlsConfig, fp, err := serverTLS(cfg)
		if err != nil {
			ln.Close()
			return err
		}
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
		log.Info("serving HTTPS; check this fingerprint when the browser asks about the certificate", "sha256", fp)
	}
	log.Info("recorder listening", "url", scheme+"://"+ln.Addr().String(), "data", cfg.DataDir)
	return srv.Serve(ctx, ln)
}

// server is the wired application: every dependency built once, here.
type server struct {
	cfg      config
	log      *slog.Logger
	app      *fiber.App
	db       *db.DB
	sessions *rtc.Manager
	stop     func() // ends the background loops
}

func newServer(ctx context.Context, cfg config, log *slog.Logger) (*server, error) {
	database, err := db.Open(ctx, cfg.dbPath())
	if err != nil {
		return nil, err
	}
	hub := feed.NewHub(feedQueue)
	sessions, err := rtc.NewManager(rtc.Config{
		SpoolDir:        cfg.spoolDir(),
		Feed:            hub,
		IncludeLoopback: cfg.ICELoopback,
		MaxSessions:     cfg.MaxSessions,
		MaxDuration:     cfg.MaxTakeTime,
		ICEServers:      cfg.STUN,
		Tap:             cfg.rtpTap,
		Log:             log,
	})
	if err != nil {
		database.Close()
		return nil, err
	}
	uploads, err := upload.NewSpooler(cfg.uploadsDir(), cfg.MaxBody, cfg.MaxTake)
	if err != nil {
		sessions.Close()
		database.Close()
		return nil, err
	}
	for _, err := range uploads.Skipped {
		log.Warn("an upload could not be reloaded; left on disk", "err", err)
	}
	lib := &library.Library{
		Store:    &store.Store{Dir: cfg.recordingsDir()},
		Index:    database,
		Sessions: sessions,
		Uploads:  uploads,
		Log:      log,
	}
	recoverData(ctx, lib, database, cfg, log)
	params := settings.New(database)
	h := &handlers.Handler{
		Settings:     params,
		Feed:         hub,
		Sessions:     sessions,
		Uploads:      uploads,
		Library:      lib,
		Log:          log,
		OfferTimeout: cfg.OfferTimeout,
	}
	app := fiber.New(fiber.Config{
		AppName:               "recorder",
		DisableStartupMessage: true,
		ErrorHandler:          handlers.ErrorHandler(log),
		BodyLimit:             int(cfg.MaxBody),
	})
	g := guard.New(guard.Config{Token: cfg.Token, SecureCookie: cfg.SecureCookie, OfferRate: cfg.OfferRate, Log: log})
	h.WSRecover = g.RecoverConn()
	protect(app, g)
	if cfg.Metrics {
		app.Get("/metrics", metricsHandler(newRegistry(sessions, uploads)))
	}
	h.Register(app)
	srv := &server{cfg: cfg, log: log, app: app, db: database, sessions: sessions}
	stopApply := applyToLiveSessions(params, sessions)
	stopExpire := expireUploads(uploads, log)
	srv.stop = func() { stopApply(); stopExpire() }
	return srv, nil
}

// uploadMaxAge is how long an unsaved MediaRecorder upload is kept after
// its last chunk, so a tab that closed does not leave it forever.
const uploadMaxAge = 24 * time.Hour

// expireUploads removes stale uploads once an hour; it returns the
// function that stops it.
func expireUploads(u *upload.Spooler, log *slog.Logger) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Hour)
		defer tick.Stop()
		for {
			if n := u.Expire(uploadMaxAge); n > 0 {
				log.Info("expired stale uploads", "count", n)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// recoverData makes the data directory whole again after a crash, before
// any request is served: interrupted deletions are settled, takes left in
// the spool become recordings, and the index is reconciled with the files.
// Each step logs what it did; none stops the server from starting.
func recoverData(ctx context.Context, lib *library.Library, database *db.DB, cfg config, log *slog.Logger) {
	if err := lib.Recover(ctx); err != nil {
		log.Error("settling interrupted deletions", "err", err)
	}
	if n, err := lib.RecoverSpools(ctx, cfg.spoolDir()); err != nil {
		log.Error("recovering spooled takes", "err", err)
	} else if n > 0 {
		log.Info("recovered takes into recordings", "count", n)
	}
	if err := lib.Reconcile(ctx, database); err != nil {
		log.Error("reconciling recordings with the index", "err", err)
	}
}

// protect mounts the guards in front of every route: panics become 500s,
// security headers go on every answer, without a token only localhost and
// IP addresses are answered (DNS rebinding), cross-site requests are refused,
// the access token is required when set, JSON routes take only JSON and
// chunk uploads only octet streams, and new sessions are rate limited.
func protect(app *fiber.App, g *guard.Guard) {
	app.Use(g.Recover(), g.Headers(), g.Hosts(), g.SameOrigin(), g.Auth())
	app.Get("/login", g.LoginPage())
	app.Post("/login", g.Login())
	json := g.RequireJSON()
	for _, p := range []string{"/update_params", "/webrtc/offer", "/webrtc/ice-candidate", "/webrtc/audio-data",
		"/webrtc/stop", "/webrtc/discard", "/uploads", "/uploads/:id/discard", "/save_recording"} {
		app.Post(p, json) // then c.Next() reaches the route's handler
	}
	app.Post("/webrtc/offer", g.OfferLimit())
	app.Put("/uploads/:id/chunks/:index", g.RequireOctetStream())
}

// feedQueue is how many batches a consumer may fall behind before it
// loses some (about a minute at 30 fps and 64-frame batches).
const feedQueue = 32

// applyToLiveSessions passes every parameter change to the live sessions,
// which apply fps and batch size at their next boundary. It returns the
// function that stops it.
func applyToLiveSessions(s *settings.Settings, sessions *rtc.Manager) func() {
	changes, unsubscribe := s.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ch := range changes {
			sessions.Apply(ch.Params)
		}
	}()
	return func() {
		unsubscribe()
		<-done
	}
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully.
func (s *server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	if err := s.app.ShutdownWithTimeout(s.cfg.ShutdownGrace); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close ends live sessions (their drafts stay on disk) and the database.
func (s *server) Close() {
	s.stop()
	s.sessions.Close()
	if err := s.db.Close(); err != nil {
		s.log.Error("closing database", "err", err)
	}
}
