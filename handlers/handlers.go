// Package handlers is the HTTP face of the recorder: thin Fiber handlers
// that parse a request, call the library, the session manager or the
// parameter store, and render JSON or a templ component.
package handlers

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/feed"
	"github.com/avatarweb/recorder/media/find"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/settings"
	"github.com/avatarweb/recorder/media/store"
)

// Settings is the one truth for the processing parameters.
type Settings interface {
	Params(ctx context.Context) (media.Params, error)
	Update(ctx context.Context, source string, edit func(media.Params) media.Params) (media.Params, error)
	Subscribe() (<-chan settings.Change, func())
}

// Feed hands out live sessions' batches to consumers.
type Feed interface {
	Subscribe(sessionID string) *feed.Subscription
}

// Sessions runs live WebRTC sessions: internal/rtc's Manager, wired in by
// internal/app. It answers in SDP strings and the domain's values
// (media.SessionInfo, media.ICECandidate, media.Take): a handler never
// holds a live session, and neither the handlers nor a stand-in link
// pion (deps_test.go keeps it so).
type Sessions interface {
	// Start answers an offer's SDP with the new session and the answer's.
	Start(ctx context.Context, id, offerSDP string, p media.Params, o media.OfferOptions) (media.SessionInfo, string, error)
	AddICECandidate(id string, c media.ICECandidate) error
	Info(id string) (media.SessionInfo, error)
	Stop(id string) (media.Take, error)
	// WaitCandidates long-polls a session's own ICE candidates.
	WaitCandidates(ctx context.Context, id string, from int) ([]media.ICECandidate, bool, error)
	// Restart answers an ICE restart offer's SDP for a live session.
	Restart(ctx context.Context, id, offerSDP string) (string, error)
}

// Library saves, lists and opens recordings.
type Library interface {
	SaveSession(ctx context.Context, sessionID string, clientDuration float64, title string) (*media.Recording, error)
	SaveUpload(ctx context.Context, uploadID string, clientDuration float64, p media.Params, title string) (*media.Recording, error)
	// SaveUploadPaused saves an upload paused at pauses, cut out should the
	// browser have recorded on through them (cut).
	SaveUploadPaused(ctx context.Context, uploadID string, clientDuration float64, pauses []media.Selection, p media.Params, title string) (rec *media.Recording, cut bool, err error)
	SaveAudio(ctx context.Context, audio []byte, mime string, clientDuration float64, p media.Params, title string) (*media.Recording, error)
	DiscardSession(sessionID string) error
	SessionSavedAs(sessionID string) string
	UploadSavedAs(uploadID string) string
	UploadDuration(uploadID string) (float64, error)
	DiscardUpload(ctx context.Context, uploadID string) error
	List(ctx context.Context, limit, offset int) ([]media.Recording, error)
	ListOlder(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error)
	ListNewer(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error)
	Count(ctx context.Context) (int, error)
	Find(ctx context.Context, p find.Page) ([]media.Recording, error)
	CountFound(ctx context.Context, q find.Query) (int, error)
	Totals(ctx context.Context) (media.Totals, error)
	Trash(ctx context.Context, filename string) (*media.Recording, error)
	Restore(ctx context.Context, filename string) (*media.Recording, error)
	Purge(ctx context.Context, filename string, before time.Time) error
	Get(ctx context.Context, filename string) (*media.Recording, error)
	Rename(ctx context.Context, filename, title string) error
	Delete(ctx context.Context, filename string) error
	Open(ctx context.Context, filename string) (*store.Recording, error)
	OpenFile(ctx context.Context, filename string) (io.ReadCloser, int64, error)
	// Export opens a recording converted for download (not the original).
	Export(ctx context.Context, filename string, f export.Format) (*export.Export, *store.Recording, error)
	// OpenDraft and OpenUpload open an unsaved take for listening back.
	OpenDraft(sessionID string) (*media.Playback, error)
	OpenUpload(uploadID string) (*media.Playback, error)
	// Trim keeps part of a recording; UndoTrim swaps a trim in place back.
	Trim(ctx context.Context, filename string, req library.TrimRequest) (*media.Recording, error)
	UndoTrim(ctx context.Context, trimmed, original string) (*media.Recording, error)
}

// Handler holds what the routes need.
type Handler struct {
	Settings Settings
	Feed     Feed
	Sessions Sessions
	Uploads  Uploads
	Library  Library
	Log      *slog.Logger
	// Metrics, when set, answers GET /metrics (behind the guards).
	Metrics fiber.Handler
	// Profiles, when set, answers GET /debug/pprof/… (behind the guards).
	Profiles fiber.Handler
	// OfferTimeout bounds ICE gathering while answering an offer.
	OfferTimeout time.Duration
	// BaseContext is the root of every /ws connection: when it ends
	// (shutdown), they are closed. Nil means context.Background().
	BaseContext context.Context
	// MaxMessage is the largest /ws message in bytes (an audio_data
	// message is the biggest); 0 means 64 KiB. /feed takes no data
	// messages at all.
	MaxMessage int64
	// WSIdle is how long a WebSocket (/ws, /feed) whose peer sends
	// nothing, not even a pong to the server's pings, is kept; 0 means a
	// minute.
	WSIdle time.Duration
	// ICE, when set, gives pages their STUN/TURN servers.
	ICE ICE
	// DiskFree, when set, is the space left on the data volume, for the
	// list's storage line (false: unknown, not said).
	DiskFree func() (int64, bool)
	// KeepDeleted is how long a recording stays in Recently deleted
	// before it is deleted for good (shown in that view; 0: not said).
	KeepDeleted time.Duration
	// OpusBitrate is what browsers are asked to send live Opus at
	// (bits/s), for the parameters form's cost of an hour; 0 is their own
	// choice.
	OpusBitrate int
	// MaxTakeTime is the server's limit on a live take (0: none), so the
	// page can say why a take ended.
	MaxTakeTime time.Duration
	// Shares, when set, keeps the recordings' share links (/s/…); nil
	// offers no sharing.
	Shares Shares
	// Now is the clock share links expire by; nil is time.Now.
	Now func() time.Time
	// Exports bounds the conversions (downloads in another format) that
	// run at once; nil bounds nothing.
	Exports *export.Slots

	// The app's own state, made by NewApp in its copy of the Handler.
	recordings *changeHub            // tells open pages the list changed
	observer   Observer              // AppConfig.Observer: counts saves; nil counts nothing
	wsConns    *guard.Conns          // bounds open WebSockets; nil bounds nothing
	wsRecover  func(*websocket.Conn) // a panic in a WebSocket handler (the guard's)
}

// render writes a templ component as the HTML response. Pages are
// revalidated on every visit: they name the current assets' version.
func render(c *fiber.Ctx, component templ.Component) error {
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return component.Render(c.UserContext(), c.Response().BodyWriter())
}

// success is the seed's envelope for a JSON answer.
func success(c *fiber.Ctx, fields fiber.Map) error {
	fields["status"] = "success"
	return c.JSON(fields)
}
