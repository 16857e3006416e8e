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
	// MaxBody bounds the largest request bodies in bytes, a whole-take
	// save's and an upload chunk's (413 beyond it); other routes take
	// less (jsonBody, formBody).
	MaxBody int64
	// BodyBudget bounds the request bodies held in memory at once, in
	// bytes, over every connection (at least MaxBody; 0: 4 × MaxBody).
	BodyBudget int64
	// Slow clients: HeaderTimeout bounds a request's line and headers and
	// the first bytes of its body (a route that reads the body gives it
	// more, in proportion to its size); IdleTimeout a kept-alive
	// connection with no new request; WriteTimeout an answer, which
	// streamed downloads move on as they progress. WebSockets, once
	// upgraded, have none of these deadlines. Zero: no limit.
	HeaderTimeout, IdleTimeout, WriteTimeout time.Duration
	// Cluster, when set, forwards requests for another node's sessions
	// to that node; nil for a single node.
	Cluster *Cluster
	// MaxWebSockets bounds the WebSockets (/ws and /feed) open at once,
	// in all and per client; 0: no bound.
	MaxWebSockets, MaxWebSocketsPerClient int
	// Reachable, when set, tells whether the recording store and the
	// index answer: a request that fails for no reason the handlers know
	// is answered 503 (media.UnavailableMessage) while they do not.
	Reachable Reachable
	// DiskFull, when set, is told of every request refused for a full
	// disk that nothing reported yet (disk.Space.Check), so each is
	// counted in its episode and the episode logged once.
	DiskFull func(error) error
	// Observer, when set, is told of every request (its route and status)
	// and every save, for /metrics.
	Observer Observer
}

// NewApp builds the whole HTTP app around its own copy of h: its error
// handler and limits, then every route, in the one table of routes. The
// server and the tests build it with this one function; h and cfg are
// left as they were given.
func NewApp(h Handler, cfg AppConfig) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "recorder",
		DisableStartupMessage: true,
		ErrorHandler:          ErrorHandler(cfg.Log, cfg.Reachable, cfg.DiskFull),
		BodyLimit:             int(cfg.MaxBody),
		// Bodies are read by the routes that take them, after the guards
		// (guard.Bodies), never before: see Bodies.
		StreamRequestBody: true,
		ReadTimeout:       cfg.HeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		WriteTimeout:      cfg.WriteTimeout,
	})
	budget := cfg.BodyBudget
	if budget <= 0 {
		budget = 4 * cfg.MaxBody
	}
	bodies := guard.NewBodies(budget, cfg.HeaderTimeout)
	app.Server().HeaderReceived = bodies.HeaderReceived
	h.recordings = &changeHub{}
	h.observer = cfg.Observer
	h.wsConns = guard.NewConns(cfg.MaxWebSockets, cfg.MaxWebSocketsPerClient)
	h.wsRecover = cfg.Guard.RecoverConn()
	var observe *observeRequests
	if cfg.Observer != nil {
		observe = newObserveRequests(app, cfg.Observer)
		app.Use(observe.handle) // first: it sees what the guards refuse too
		countOther(app, cfg.Observer)
	}
	app.Use(bodies.CloseUnread())
	h.routes(app, cfg, bodies)
	if observe != nil {
		observe.index()
	}
	return app
}

// Body limits of the routes that take small bodies: the JSON API (an SDP
// offer is a few KiB) and the forms. Saves and upload chunks take up to
// AppConfig.MaxBody.
const (
	jsonBody = 1 << 20
	formBody = 64 << 10
)

// routes is the table of every route, in the order a request meets them:
// the probes, the guards, then the routes in groups that carry their
// middleware. A route is added to a group, so it cannot miss what its
// group requires (JSON bodies, octet-stream chunks, the offer rate limit,
// compression, its body read within its limit, the cluster's forwarding).
func (h *Handler) routes(app *fiber.App, cfg AppConfig, b *guard.Bodies) {
	g, cl := cfg.Guard, cfg.Cluster // cl is nil for one node: its hooks then pass
	plain := group{app: app, mw: []fiber.Handler{b.None()}}
	pages := plain.and(compress.New())                              // mostly markup
	forms := group{app: app, mw: []fiber.Handler{b.Read(formBody)}} // urlencoded forms, without JavaScript too
	jsonAPI := group{app: app, mw: []fiber.Handler{g.RequireJSON(), b.Read(jsonBody)}}
	saves := group{app: app, mw: []fiber.Handler{g.RequireJSON(), b.Read(cfg.MaxBody)}}
	chunks := group{app: app, mw: []fiber.Handler{g.RequireOctetStream(), b.Read(cfg.MaxBody)}}
	// A live session exists on one node only: a request naming one that
	// another node holds is forwarded there (after its body is read, to
	// find the session in it). An offer claims its session for this node.
	offers := group{app: app, mw: []fiber.Handler{g.RequireJSON(), g.OfferLimit(), b.Read(jsonBody), cl.claim()}}
	session := jsonAPI.and(cl.byBody(false))    // names its session in the body
	sessionEnds := jsonAPI.and(cl.byBody(true)) // and ends it (discard): this node's claim goes
	sessionPath := plain.and(cl.byPath())       // names it in the path
	savesSession := saves.and(cl.byBody(true))  // a save of a live take ends it too
	ws := wsConfig
	ws.RecoverHandler = h.wsRecover

	app.Get("/healthz", healthz) // before the guards: a probe carries no token and reads no body
	app.Get("/readyz", cfg.Health.readyz)
	// A node's signed forward names its client before RealClient looks.
	app.Use(g.Recover(), cl.verifyForwarded(), g.RealClient(), g.Headers(), g.Hosts(), g.SameOrigin(), g.Auth())

	plain.get("/login", g.LoginPage())
	forms.post("/login", g.Login())

	pages.get("/", h.index)
	pages.get("/ui/recordings", h.recordingsFragment)
	pages.get("/ui/params", h.paramsFragment)
	pages.get("/ui/drafts", h.draftsFragment)
	forms.post("/params", h.paramsForm)

	plain.get("/get_params", h.getParams)
	jsonAPI.post("/update_params", h.updateParams)
	plain.get("/ws", requireUpgrade, h.wsConns.Admit(), websocket.New(h.ws, ws))
	plain.get("/feed/:id", requireUpgrade, h.wsConns.Admit(), cl.relay(h.wsConns), websocket.New(h.feed, ws))

	offers.post("/webrtc/offer", h.offer)
	session.post("/webrtc/ice-candidate", h.iceCandidate)
	session.post("/webrtc/audio-data", h.audioData)
	session.post("/webrtc/stop", h.stop)
	sessionEnds.post("/webrtc/discard", h.discard)
	session.post("/webrtc/restart", h.restart)
	sessionPath.get("/webrtc/sessions/:id", h.sessionInfo)
	sessionPath.get("/webrtc/sessions/:id/candidates", h.candidates)
	sessionPath.get("/webrtc/sessions/:id/audio", h.draftAudio) // a draft to listen back to
	plain.get("/webrtc/ice-config", h.iceConfig)

	jsonAPI.post("/uploads", h.beginUpload)
	plain.get("/uploads/:id", h.uploadStatus)
	chunks.put("/uploads/:id/chunks/:index", h.putChunk)
	plain.get("/uploads/:id/audio", h.uploadAudio)
	jsonAPI.put("/uploads/:id/pauses", h.putPauses)
	jsonAPI.post("/uploads/:id/discard", h.discardUpload)

	savesSession.post("/save_recording", h.saveRecording)
	plain.get("/recordings", h.listRecordings)
	plain.get("/recordings/:filename", h.getRecording)
	plain.get("/recordings/:filename/audio", h.recordingAudio)
	forms.post("/recordings/:filename/title", h.renameRecording)
	plain.get("/recordings/:filename/delete", h.confirmDelete)
	plain.delete("/recordings/:filename", h.deleteRecording) // for good: the API's delete

	// Recently deleted: the page's Delete keeps a recording there, to
	// Undo or Restore, until Delete forever or the purge.
	forms.post("/recordings/:filename/delete", h.trashRecording)
	forms.post("/recordings/:filename/restore", h.restoreRecording)
	forms.post("/recordings/:filename/purge", h.purgeRecording)
	pages.get("/trash", h.trashPage)

	// Trim: keep part of a recording, in place (the original to Recently
	// deleted, Undo swaps back) or as new.
	pages.get("/recordings/:filename/trim", h.trimPage)
	forms.post("/recordings/:filename/trim", h.trimRecording)
	forms.post("/recordings/:filename/untrim", h.untrimRecording)

	if h.Shares != nil {
		h.shareRoutes(plain, forms, g)
	}

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

// and is the group with more middleware after its own.
func (g group) and(mw ...fiber.Handler) group {
	return group{app: g.app, mw: append(slices.Clone(g.mw), mw...)}
}

func (g group) chain(hs []fiber.Handler) []fiber.Handler { return append(slices.Clone(g.mw), hs...) }

func (g group) get(path string, hs ...fiber.Handler)    { g.app.Get(path, g.chain(hs)...) }
func (g group) post(path string, hs ...fiber.Handler)   { g.app.Post(path, g.chain(hs)...) }
func (g group) put(path string, hs ...fiber.Handler)    { g.app.Put(path, g.chain(hs)...) }
func (g group) delete(path string, hs ...fiber.Handler) { g.app.Delete(path, g.chain(hs)...) }

// shareRoutes are the share links' routes: a row's Share form and Stop
// sharing, behind the token; and the links themselves, which Auth lets
// through without it (guard.LinksPrefix): a page, its audio and a play
// counted, each opening the one recording of its link and nothing else,
// with wrong links rate-limited per client.
func (h *Handler) shareRoutes(plain, forms group, g *guard.Guard) {
	forms.post("/recordings/:filename/share", h.makeShare)
	forms.post("/recordings/:filename/share/stop", h.stopSharing)

	links := plain.and(g.LinkLimit())
	links.get(guard.LinksPrefix+":token", h.sharePage)
	links.get(guard.LinksPrefix+":token/audio", h.shareAudio)
	links.post(guard.LinksPrefix+":token/play", h.sharePlay)
}
