// Package app wires the recorder: from one config.Config it builds every
// dependency once (the disk's reserve, the index, the recordings store,
// the session manager, the upload spool, the library, the HTTP app),
// recovers what a crash left, runs the background loops, serves, and
// shuts down gracefully. It is the one place that knows every package;
// none of them knows it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/metrics"
	"github.com/avatarweb/recorder/internal/probe"
	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/feed"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/settings"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/upload"
)

// feedQueue is how many batches a consumer may fall behind before it
// loses some (about a minute at 30 fps and 64-frame batches).
const feedQueue = 32

// Server is the wired application. New sets its exported fields; tests
// read them (and send requests through App), nothing replaces them.
type Server struct {
	Config   config.Config
	App      *fiber.App
	DB       *db.DB
	Sessions *rtc.Manager

	log      *slog.Logger
	space    *disk.Space
	store    store.Store
	hub      *feed.Hub
	uploads  *upload.Spooler
	lib      *library.Library
	params   *settings.Settings
	cluster  *handlers.Cluster // nil for one node
	guard    *guard.Guard
	health   *probe.Cached // ready, cached: /readyz and failed requests ask it
	stops    []func()      // end the background loops, last started first
	draining atomic.Bool   // set on shutdown: /readyz fails
}

// New builds the server cfg describes, recovers what a crash or a
// shutdown left in the data directory, and starts the background loops.
// ctx is the server's life: when it ends, live takes stop (kept as
// drafts) and WebSockets close.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *Server, err error) {
	s := &Server{Config: cfg, log: log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if err := s.openIndex(ctx); err != nil {
		return nil, err
	}
	if err := s.startSessions(ctx); err != nil {
		return nil, err
	}
	if s.store, err = openStore(ctx, cfg, s.space, log); err != nil {
		return nil, err
	}
	s.lib = &library.Library{
		Store: s.store, Index: s.DB, Sessions: s.Sessions, Uploads: s.uploads,
		Log: log, Scratch: cfg.SpoolDir(), Space: s.space,
	}
	if s.cluster, err = s.joinCluster(ctx); err != nil {
		return nil, err
	}
	s.recoverData(ctx)
	s.params = settings.New(s.DB)
	s.params.DefaultFormat = cfg.Sessions.LiveFormat
	s.recoverUploads(ctx)
	s.health = probe.New(s.ready, readyTimeout, nil)
	s.App = s.newApp(ctx)
	s.startLoops()
	return s, nil
}

// openIndex readies the disk (refusing a data directory that cannot be
// written; on a full one giving up the reserve, so the server starts and
// recordings can be deleted) and opens the index.
func (s *Server) openIndex(ctx context.Context) error {
	full, err := checkWritable(s.Config, s.log)
	if err != nil {
		return err
	}
	s.space = &disk.Space{Reserve: s.Config.ReservePath(), Size: reserveSize, Log: s.log}
	if full {
		// SQLite needs room for its shared-memory and log files even to
		// open. The next save writes the reserve again.
		s.space.Release()
	} else if err := s.space.Keep(); err != nil {
		s.log.Warn("no space reserve: on a full disk, deleting may fail too", "err", err)
	}
	if s.DB, err = db.Open(ctx, s.Config.DBSource()); err != nil {
		return err
	}
	s.DB.MakeRoom = s.space.Release
	return nil
}

// startSessions makes the session manager, the consumer feed and the
// upload spool.
func (s *Server) startSessions(ctx context.Context) error {
	cfg := s.Config
	s.hub = feed.NewHub(feedQueue)
	var err error
	s.Sessions, err = rtc.NewManager(rtc.Config{
		SpoolDir:        cfg.SpoolDir(),
		Feed:            s.hub,
		IncludeLoopback: cfg.Network.Loopback,
		Network:         cfg.Network.ICE,
		MaxSessions:     cfg.Sessions.Max,
		Admission:       rtc.Admission{Off: cfg.Sessions.Max > 0}, // a fixed cap instead of measuring
		MaxPerClient:    cfg.Sessions.MaxPerClient,
		OpusBitrate:     cfg.Sessions.OpusBitrate,
		ConnectTimeout:  cfg.Sessions.ConnectTimeout,
		MaxDuration:     cfg.Sessions.MaxTakeTime,
		DraftTTL:        cfg.Sessions.DraftTTL,
		ReorderMaxHold:  cfg.Sessions.ReorderMaxHold,
		BaseContext:     ctx, // shutdown stops live takes (kept as drafts)
		Tap:             cfg.Tap,
		Log:             s.log,
	})
	if err != nil {
		return err
	}
	if s.uploads, err = upload.NewSpooler(cfg.UploadsDir(), cfg.HTTP.MaxBody, cfg.Uploads.MaxTake); err != nil {
		return err
	}
	s.uploads.MaxOpen, s.uploads.MaxPerClient = cfg.Uploads.Max, cfg.Uploads.MaxPerClient
	for _, err := range s.uploads.Skipped {
		s.log.Warn("an upload could not be reloaded; left on disk", "err", err)
	}
	return nil
}

// exportWait is how long a conversion waits for a free core before it is
// refused as busy (503, Retry-After): a download that starts a couple of
// seconds late is fine, one left hanging behind an hour's exports is not.
const exportWait = 2 * time.Second

// newApp builds the HTTP app: the handlers over the library, the sessions
// and the parameters, behind the guards; /metrics and /debug/pprof/ when
// asked for.
func (s *Server) newApp(ctx context.Context) *fiber.App {
	cfg := s.Config
	h := handlers.Handler{
		Settings:     s.params,
		Feed:         s.hub,
		Sessions:     s.Sessions,
		Uploads:      s.uploads,
		Library:      s.lib,
		ICE:          s.Sessions,
		Log:          s.log,
		OfferTimeout: cfg.Sessions.OfferTimeout,
		MaxTakeTime:  cfg.Sessions.MaxTakeTime,
		OpusBitrate:  cfg.Sessions.OpusBitrate,
		KeepDeleted:  cfg.Storage.KeepDeleted,
		Shares:       s.DB, // shared by every node: a link made on one opens on all
		DiskFree:     func() (int64, bool) { return diskFree(cfg.DataDir) },
		BaseContext:  ctx, // shutdown closes /ws connections
		// A conversion is a burst of one core: as many at once as cores.
		Exports: export.NewSlots(runtime.GOMAXPROCS(0), exportWait),
	}
	var observer handlers.Observer // requests and saves, for /metrics
	if cfg.Observe.Metrics {
		m := metrics.New(s.Sessions, s.uploads, s.hub)
		h.Metrics, observer = m.Handler(), m
	}
	if cfg.Observe.Profiles {
		h.Profiles = profiles()
	}
	s.guard = guard.New(guard.Config{
		Token: cfg.HTTP.Token, SecureCookie: cfg.TLS.On, OfferRate: cfg.HTTP.OfferRate,
		TrustedProxies: cfg.HTTP.TrustedProxies, Log: s.log,
	})
	return handlers.NewApp(h, handlers.AppConfig{
		Guard:                  s.guard,
		Health:                 handlers.Health{Ready: s.readyz, Draining: s.draining.Load},
		Reachable:              s.reachable,
		DiskFull:               s.space.Check,
		Log:                    s.log,
		MaxBody:                cfg.HTTP.MaxBody,
		BodyBudget:             cfg.HTTP.BodyMemory,
		MaxWebSockets:          cfg.HTTP.MaxWS,
		MaxWebSocketsPerClient: cfg.HTTP.MaxWSPerClient,
		HeaderTimeout:          cfg.HTTP.HeaderTimeout,
		IdleTimeout:            cfg.HTTP.IdleTimeout,
		WriteTimeout:           cfg.HTTP.WriteTimeout,
		Cluster:                s.cluster,
		Observer:               observer,
	})
}

// Serve answers requests on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.App.Listener(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	s.draining.Store(true) // /readyz fails from now on
	if err := s.App.ShutdownWithTimeout(s.Config.ShutdownGrace); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close stops the background loops, ends live sessions (their drafts
// stay on disk) and closes the database. It closes what New built, even
// when New failed half-way.
func (s *Server) Close() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
	s.stops = nil
	if s.Sessions != nil {
		s.Sessions.Close()
	}
	if s.DB != nil {
		if err := s.DB.Close(); err != nil {
			s.log.Error("closing database", "err", err)
		}
	}
}
