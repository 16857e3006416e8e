package handlers

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

// Observer sees what the HTTP layer does, for /metrics: main implements it
// with Prometheus counters. Its methods are called on the request's
// goroutine, so they must be quick and safe for concurrent use.
type Observer interface {
	// Request is one answered request: route is the pattern it matched
	// ("/recordings/:filename", never the path asked for), or
	// UnmatchedRoute.
	Request(method, route string, status int)
	// Save is one attempt to save a take: mode is "webrtc", "upload" (a
	// MediaRecorder take sent in chunks) or "whole" (one sent whole, the
	// seed's way); outcome is "saved" or why not (see saveOutcome).
	Save(mode, outcome string, took time.Duration)
}

// UnmatchedRoute is the route of a request that matched no route.
const UnmatchedRoute = "unmatched"

// observeRequests is the app's first middleware: it reports every
// request's route and final status to obs. A failed request's status is
// set by the error handler, run here for that (as Fiber would run it
// after the chain), so what is counted is what the client got.
type observeRequests struct {
	obs    Observer
	app    *fiber.App
	routes map[string][]string // method → route patterns, in the order Fiber tries them
	real   map[string]bool     // "METHOD pattern" of every route (not middleware)
}

func newObserveRequests(app *fiber.App, obs Observer) *observeRequests {
	return &observeRequests{obs: obs, app: app}
}

// index learns the app's routes; called once they are all declared,
// before the app serves.
func (o *observeRequests) index() {
	o.routes, o.real = map[string][]string{}, map[string]bool{}
	for _, r := range o.app.GetRoutes(true) {
		if key := r.Method + " " + r.Path; !o.real[key] {
			o.real[key] = true
			o.routes[r.Method] = append(o.routes[r.Method], r.Path)
		}
	}
}

func (o *observeRequests) handle(c *fiber.Ctx) error {
	if err := c.Next(); err != nil {
		if herr := o.app.Config().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	o.obs.Request(method(c), o.route(c), c.Response().StatusCode())
	return nil
}

// method is c's method as one of Fiber's own strings. The request's
// string points into a buffer fasthttp reuses for the next request, and an
// Observer keeps what it is given (a label of a Prometheus vector).
func method(c *fiber.Ctx) string {
	m := c.Method()
	for _, known := range fiber.DefaultMethods {
		if m == known {
			return known
		}
	}
	return OtherMethod // not reached: Fiber answers other methods itself (countOther)
}

// OtherMethod is the method label of a request whose method is none of
// HTTP's own (PROPFIND, BREW…): Fiber answers those 400 itself, before any
// middleware, so countOther counts them.
const OtherMethod = "OTHER"

// countOther wraps the app's fasthttp handler: a request whose method
// Fiber does not know never reaches observe's middleware, so it is told
// to obs here, as OtherMethod on UnmatchedRoute with the status Fiber gave.
func countOther(app *fiber.App, obs Observer) {
	srv := app.Server()
	inner := srv.Handler
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		inner(ctx)
		m := string(ctx.Method())
		for _, known := range fiber.DefaultMethods {
			if m == known {
				return
			}
		}
		obs.Request(OtherMethod, UnmatchedRoute, ctx.Response.StatusCode())
	}
}

// route is the pattern of the route that answered c. A request a guard
// refused (or that matched nothing) ended in middleware, whose route
// Fiber reports as "/": its pattern is then found by matching the path,
// as Fiber would have.
func (o *observeRequests) route(c *fiber.Ctx) string {
	r := c.Route()
	if r.Path != "/" && o.real[c.Method()+" "+r.Path] {
		return r.Path
	}
	path := c.Path()
	for _, pattern := range o.routes[c.Method()] {
		if fiber.RoutePatternMatch(path, pattern, o.app.Config()) {
			return pattern
		}
	}
	return UnmatchedRoute
}

// saveOutcome names how a save ended, in a few fixed words.
func saveOutcome(err error) string {
	switch {
	case err == nil:
		return "saved"
	case media.IsDiskFull(err):
		return "disk_full"
	case errors.Is(err, upload.ErrTooLarge):
		return "too_large"
	case errors.Is(err, media.ErrDamaged):
		return "error"
	case errors.Is(err, media.ErrInvalid): // unreadable audio too
		return "invalid"
	case errors.Is(err, media.ErrNotFound):
		return "not_found"
	case media.SavedAs(err) != "":
		return "saved_already"
	case errors.Is(err, media.ErrConflict):
		return "conflict"
	case errors.Is(err, media.ErrBusy):
		return "busy"
	case errors.Is(err, media.ErrUnavailable):
		return "unavailable"
	}
	return "error"
}

// observeSave reports a save that began at began and ended with err.
func (h *Handler) observeSave(mode string, began time.Time, err error) {
	if h.observer != nil {
		h.observer.Save(mode, saveOutcome(err), time.Since(began))
	}
}
