package handlers

import (
	"log/slog"
	"slices"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/avatarweb/recorder/assets"
	"github.com/avatarweb/recorder/handlers/guard"
)

// AppConfig is how the HTTP app is built around a Handler.
type AppConfig struct {
	Guard  *guard.Guard // every request passes its guards
	Health Health       // the probes, answered before the guards
	Log    *slog.Logger
	// MaxBody bounds a request body in bytes (413 beyond it).
	MaxBody int64
	// Slow clients: HeaderTimeout bounds a request's line and headers (its
	// body gets more, in proportion to its size); IdleTimeout a kept-alive
	// connection with no new request; WriteTimeout an answer, which
	// streamed downloads move on as they progress. WebSockets, once
	// upgraded, have none of these deadlines. Zero: no limit.
	HeaderTimeout, IdleTimeout, WriteTimeout time.Duration
	// Cluster, when set, forwards requests for another node's sessions
	// to that node; nil for a single node.
	Cluster *Cluster
	// Observer, when set, is told of every request (its route and status)
	// and every save, for /metrics.
	Observer Observer
}

// NewApp builds the whole HTTP app: its error handler and limits, the
// probes, the guards, then every route with the middleware its group
// carries. The server and the tests build it with this one function.
func NewApp(h *Handler, cfg AppConfig) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "recorder",
		DisableStartupMessage: true,
		ErrorHandler:          ErrorHandler(cfg.Log),
		BodyLimit:             int(cfg.MaxBody),
		ReadTimeout:           cfg.HeaderTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		WriteTimeout:          cfg.WriteTimeout,
	})
	if cfg.HeaderTimeout > 0 {
		app.Server().HeaderReceived = guard.BodyTimeout(cfg.HeaderTimeout, cfg.MaxBody)
	}
	g := cfg.Guard
	h.WSRecover = g.RecoverConn()
	h.observer = cfg.Observer
	var observe *observeRequests
	if cfg.Observer != nil {
		observe = newObserveRequests(app, cfg.Observer)
		app.Use(observe.handle) // first: it sees what the guards refuse too
	}
	cfg.Health.Register(app) // before the guards: probes carry no token
	app.Use(g.Recover(), g.Headers(), g.Hosts(), g.SameOrigin(), g.Auth())
	if cfg.Cluster != nil {
		cfg.Cluster.Register(app) // before the routes: it forwards other nodes' sessions
	}
	h.routes(app, g)
	if observe != nil {
		observe.index()
	}
	return app
}

// routes declares every route, in groups that carry their middleware: a
// route is added to a group, so it cannot miss what its group requires
// (JSON bodies, octet-stream chunks, the offer rate limit, compression).
func (h *Handler) routes(app *fiber.App, g *guard.Guard) {
	plain := group{app: app}
	pages := group{app: app, mw: []fiber.Handler{compress.New()}} // mostly markup
	forms := plain                                                // urlencoded forms, without JavaScript too
	jsonAPI := group{app: app, mw: []fiber.Handler{g.RequireJSON()}}
	offers := group{app: app, mw: []fiber.Handler{g.RequireJSON(), g.OfferLimit()}}
	chunks := group{app: app, mw: []fiber.Handler{g.RequireOctetStream()}}
	ws := wsConfig
	ws.RecoverHandler = h.WSRecover

	plain.get("/login", g.LoginPage())
	forms.post("/login", g.Login())

	pages.get("/", h.index)
	pages.get("/ui/recordings", h.recordingsFragment)
	pages.get("/ui/params", h.paramsFragment)
	pages.get("/ui/drafts", h.draftsFragment)
	forms.post("/params", h.paramsForm)

	plain.get("/get_params", h.getParams)
	jsonAPI.post("/update_params", h.updateParams)
	plain.get("/ws", requireUpgrade, websocket.New(h.ws, ws))
	plain.get("/feed/:id", requireUpgrade, websocket.New(h.feed, ws))

	offers.post("/webrtc/offer", h.offer)
	jsonAPI.post("/webrtc/ice-candidate", h.iceCandidate)
	jsonAPI.post("/webrtc/audio-data", h.audioData)
	jsonAPI.post("/webrtc/stop", h.stop)
	jsonAPI.post("/webrtc/discard", h.discard)
	jsonAPI.post("/webrtc/restart", h.restart)
	plain.get("/webrtc/sessions/:id", h.sessionInfo)
	plain.get("/webrtc/sessions/:id/candidates", h.candidates)
	plain.get("/webrtc/sessions/:id/audio", h.draftAudio)
	plain.get("/webrtc/ice-config", h.iceConfig)

	jsonAPI.post("/uploads", h.beginUpload)
	plain.get("/uploads/:id", h.uploadStatus)
	chunks.put("/uploads/:id/chunks/:index", h.putChunk)
	plain.get("/uploads/:id/audio", h.uploadAudio)
	jsonAPI.post("/uploads/:id/discard", h.discardUpload)

	jsonAPI.post("/save_recording", h.saveRecording)
	plain.get("/recordings", h.listRecordings)
	plain.get("/recordings/:filename", h.getRecording)
	plain.get("/recordings/:filename/audio", h.recordingAudio)
	forms.post("/recordings/:filename/title", h.renameRecording)
	plain.get("/recordings/:filename/delete", h.confirmDelete)
	forms.post("/recordings/:filename/delete", h.deleteRecording)
	plain.delete("/recordings/:filename", h.deleteRecording)

	plain.get("/assets/*", serveAssets(assets.Load(), time.Now()))
	if h.Metrics != nil {
		plain.get("/metrics", h.Metrics)
	}
	if h.Profiles != nil {
		plain.get("/debug/pprof/*", h.Profiles)
	}
}

// group adds routes that share middleware, the middleware first.
type group struct {
	app fiber.Router
	mw  []fiber.Handler
}

func (g group) with(hs []fiber.Handler) []fiber.Handler { return append(slices.Clone(g.mw), hs...) }

func (g group) get(path string, hs ...fiber.Handler)    { g.app.Get(path, g.with(hs)...) }
func (g group) post(path string, hs ...fiber.Handler)   { g.app.Post(path, g.with(hs)...) }
func (g group) put(path string, hs ...fiber.Handler)    { g.app.Put(path, g.with(hs)...) }
func (g group) delete(path string, hs ...fiber.Handler) { g.app.Delete(path, g.with(hs)...) }
