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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/probe"
	"github.com/avatarweb/recorder/internal/proxyproto"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/feed"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/rtc"
	"github.com/avatarweb/recorder/media/settings"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/upload"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-healthcheck" { // a container's HEALTHCHECK
		os.Exit(healthcheck(os.Getenv))
	}
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
	if len(cfg.TrustedProxies) > 0 {
		// The PROXY protocol's header, from the balancers only, names
		// the client: it becomes the connection's remote address.
		ln = &proxyproto.Listener{Listener: ln, Trusted: srv.guard.Trusted, Timeout: cfg.HeaderTimeout}
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
	guard    *guard.Guard
	db       *db.DB
	store    library.Store
	health   *probe.Cached // ready, cached: /readyz and failed requests ask it
	sessions *rtc.Manager
	stop     func()      // ends the background loops
	draining atomic.Bool // set on shutdown: /readyz fails
}

func newServer(ctx context.Context, cfg config, log *slog.Logger) (*server, error) {
	full, err := checkWritable(cfg, log)
	if err != nil {
		return nil, err
	}
	space := &store.Space{Reserve: cfg.reservePath(), Size: reserveSize, Log: log}
	if full {
		// SQLite needs room for its shared-memory and log files even to
		// open: give up the reserve, so the server starts and recordings
		// can be deleted. The next save writes it again.
		space.Release()
	} else if err := space.Keep(); err != nil {
		log.Warn("no space reserve: on a full disk, deleting may fail too", "err", err)
	}
	database, err := db.Open(ctx, cfg.dbSource())
	if err != nil {
		return nil, err
	}
	database.MakeRoom = space.Release
	hub := feed.NewHub(feedQueue)
	sessions, err := rtc.NewManager(rtc.Config{
		SpoolDir:        cfg.spoolDir(),
		Feed:            hub,
		IncludeLoopback: cfg.ICELoopback,
		MaxSessions:     cfg.MaxSessions,
		MaxPerClient:    cfg.MaxSessionsPer,
		ConnectTimeout:  cfg.ConnectTimeout,
		MaxDuration:     cfg.MaxTakeTime,
		DraftTTL:        cfg.DraftTTL,
		BaseContext:     ctx, // shutdown stops live takes (kept as drafts)
		Network:         cfg.Network,
		Tap:             cfg.rtpTap,
		ReorderMaxHold:  cfg.ReorderMaxHold,
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
	uploads.MaxOpen, uploads.MaxPerClient = cfg.MaxUploads, cfg.MaxUploadsPer
	recordings, err := openStore(ctx, cfg, space, log)
	if err != nil {
		sessions.Close()
		database.Close()
		return nil, err
	}
	for _, err := range uploads.Skipped {
		log.Warn("an upload could not be reloaded; left on disk", "err", err)
	}
	lib := &library.Library{
		Store:    recordings,
		Index:    database,
		Sessions: sessions,
		Uploads:  uploads,
		Log:      log,
		Scratch:  cfg.spoolDir(),
		Space:    space,
	}
	cluster, err := joinCluster(ctx, cfg, database, lib, sessions, log) // nil for one node
	if err != nil {
		sessions.Close()
		database.Close()
		return nil, err
	}
	recoverData(ctx, lib, database, cfg, log)
	params := settings.New(database)
	recoverUploads(ctx, lib, uploads, params, log)
	h := &handlers.Handler{
		Settings:     params,
		Feed:         hub,
		Sessions:     sessions,
		Uploads:      uploads,
		Library:      lib,
		Log:          log,
		OfferTimeout: cfg.OfferTimeout,
		BaseContext:  ctx, // shutdown closes /ws connections
		ICE:          sessions,
		MaxTakeTime:  cfg.MaxTakeTime,
		KeepDeleted:  cfg.KeepDeleted,
		DiskFree:     func() (int64, bool) { return diskFree(cfg.DataDir) },
	}
	var observer handlers.Observer // requests and saves, for /metrics
	if cfg.Metrics {
		reg, obs := newRegistry(sessions, uploads, hub)
		h.Metrics, observer = metricsHandler(reg), obs
	}
	if cfg.Profiles {
		h.Profiles = profilesHandler()
	}
	srv := &server{cfg: cfg, log: log, db: database, store: recordings, sessions: sessions}
	srv.health = probe.New(srv.ready, readyTimeout, nil)
	srv.guard = guard.New(guard.Config{
		Token: cfg.Token, SecureCookie: cfg.SecureCookie, OfferRate: cfg.OfferRate,
		TrustedProxies: cfg.TrustedProxies, Log: log,
	})
	srv.app = handlers.NewApp(h, handlers.AppConfig{
		Guard:                  srv.guard,
		Health:                 handlers.Health{Ready: srv.readyz, Draining: srv.draining.Load},
		Reachable:              srv.reachable,
		DiskFull:               space.Check,
		Log:                    log,
		MaxBody:                cfg.MaxBody,
		BodyBudget:             cfg.BodyMemory,
		MaxWebSockets:          cfg.MaxWS,
		MaxWebSocketsPerClient: cfg.MaxWSPerClient,
		HeaderTimeout:          cfg.HeaderTimeout,
		IdleTimeout:            cfg.IdleTimeout,
		WriteTimeout:           cfg.WriteTimeout,
		Cluster:                cluster,
		Observer:               observer,
	})
	stopCluster := func() {}
	if cluster != nil {
		stopCluster = runCluster(params, lib, log)
	}
	stopApply := applyToLiveSessions(params, sessions)
	stopExpire := expireUploads(uploads, log)
	stopPurge := purgeTrash(lib, database, cfg.KeepDeleted, log)
	srv.stop = func() { stopCluster(); stopApply(); stopExpire(); stopPurge() }
	return srv, nil
}

// checkWritable refuses to start on a data directory (or one of its
// subdirectories) that cannot be written, which would otherwise fail every
// save. A full disk only gets a warning, since deleting still works; it
// reports whether the disk is full.
func checkWritable(cfg config, log *slog.Logger) (full bool, err error) {
	dirs := []string{cfg.DataDir, cfg.spoolDir(), cfg.uploadsDir()}
	if cfg.S3 == nil {
		dirs = append(dirs, cfg.recordingsDir())
	}
	for _, dir := range dirs {
		err := store.CheckWritable(dir)
		if media.IsDiskFull(err) {
			if !full {
				log.Warn("the disk is full: saving will fail until space is freed; deleting works", "path", dir)
			}
			full = true
			continue
		}
		if err != nil {
			return false, err
		}
	}
	return full, nil
}

// reserveSize is the space kept in DATA/space.reserve and given up when a
// delete finds the disk full: SQLite's WAL needs a few pages even to
// delete a row.
const reserveSize = 1 << 20

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
// any request is served: temporary files of interrupted saves go,
// interrupted deletions are settled, the index is
// reconciled with the files (a file whose row a crash prevented gets one),
// and takes left in the spool become recordings unless they are already.
// Each step logs what it did; none stops the server from starting.
func recoverData(ctx context.Context, lib *library.Library, database *db.DB, cfg config, log *slog.Logger) {
	if n := lib.RemoveStale(); n > 0 {
		log.Info("removed temporary files of saves a crash interrupted", "count", n)
	}
	if err := lib.Recover(ctx); err != nil {
		log.Error("settling interrupted deletions", "err", err)
	}
	if err := lib.Reconcile(ctx, database); err != nil {
		log.Error("reconciling recordings with the index", "err", err)
	}
	if n, err := lib.RecoverSpools(ctx, cfg.spoolDir()); err != nil {
		log.Error("recovering spooled takes", "err", err)
	} else if n > 0 {
		log.Info("recovered takes into recordings", "count", n)
	}
}

// recoverUploads saves the MediaRecorder takes a crash or shutdown left
// unsaved, as recoverData does for live takes.
func recoverUploads(ctx context.Context, lib *library.Library, uploads *upload.Spooler, params *settings.Settings, log *slog.Logger) {
	var pending []library.PendingUpload
	for _, u := range uploads.List() {
		pending = append(pending, library.PendingUpload{ID: u.ID, Touched: u.Touched, Title: u.Title})
	}
	if len(pending) == 0 {
		return
	}
	p, err := params.Params(ctx)
	if err != nil {
		log.Error("recovering uploads: reading the parameters", "err", err)
		return
	}
	if n := lib.RecoverUploads(ctx, pending, p); n > 0 {
		log.Info("recovered uploads into recordings", "count", n)
	}
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
	s.draining.Store(true) // /readyz fails from now on
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
