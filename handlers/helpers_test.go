package handlers_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/feed"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/settings"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/upload"
)

// sessions is what main.go hands both the handlers and the library.
type sessions interface {
	handlers.Sessions
	library.Sessions
}

// testApp is the app wired as newServer wires it, on a temp data dir.
type testApp struct {
	app     *fiber.App
	db      *db.DB
	lib     *library.Library
	dataDir string
	recDir  string
	// uploads is the handler's and the library's Spooler, keeping its
	// takes under uploadDir, with chunks up to 1 MiB.
	uploads   *upload.Spooler
	uploadDir string
	clock     *clock
	// hub is the handler's Feed, for tests to publish batches and end
	// sessions.
	hub *feed.Hub
	// handler is the Handler the app was built around, for a test to
	// build another app around it.
	handler handlers.Handler
}

// newTestApp builds the app with a real database, store and library
// around s, and the real ErrorHandler.
func newTestApp(t *testing.T, s sessions) *testApp {
	t.Helper()
	return buildTestApp(t, s, testLogger(t))
}

// buildTestApp is newTestApp with the log given: fuzz targets, which have
// no *testing.T when they build the app, read theirs back.
func buildTestApp(tb testing.TB, s sessions, log *slog.Logger) *testApp {
	tb.Helper()
	return buildTestAppIn(tb, tb.TempDir(), s, log)
}

// buildTestAppIn is buildTestApp with its data in dir (a file system of
// the test's choosing, such as a small tmpfs).
func buildTestAppIn(tb testing.TB, dir string, s sessions, log *slog.Logger, opts ...func(*appOptions)) *testApp {
	tb.Helper()
	var o appOptions
	for _, opt := range opts {
		opt(&o)
	}
	database, err := db.Open(context.Background(), filepath.Join(dir, "recorder.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := database.Close(); err != nil {
			tb.Error(err)
		}
	})
	clk := &clock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	database.Now = clk.Now
	recDir := filepath.Join(dir, "recordings")
	uploadDir := filepath.Join(dir, "uploads")
	spooler, err := upload.NewSpooler(uploadDir, 1<<20, 64<<20)
	if err != nil {
		tb.Fatal(err)
	}
	space := &disk.Space{Reserve: filepath.Join(dir, "space.reserve"), Size: 256 << 10, Log: log}
	if err := space.Keep(); err != nil {
		tb.Fatal(err)
	}
	database.MakeRoom = space.Release
	lib := &library.Library{
		Store:    &dirstore.Store{Dir: recDir, Now: clk.Now, Space: space},
		Index:    database,
		Sessions: s,
		Uploads:  spooler,
		Log:      log,
		Now:      clk.Now,
		Scratch:  dir,
		Space:    space,
	}
	hub := feed.NewHub(8)
	h := handlers.Handler{
		Settings:     settings.New(database),
		Feed:         hub,
		Sessions:     s,
		Uploads:      spooler,
		Library:      lib,
		Log:          log,
		OfferTimeout: 10 * time.Second,
		KeepDeleted:  30 * 24 * time.Hour,
		Shares:       database,
		Now:          clk.Now,
	}
	if o.handler != nil {
		o.handler(&h)
	}
	app := handlers.NewApp(h, handlers.AppConfig{
		Guard:                  guard.New(guard.Config{Log: log}),
		Log:                    log,
		MaxBody:                4 << 20,
		MaxWebSocketsPerClient: o.maxWSPerClient,
		Reachable:              o.reachable,
		DiskFull:               space.Check,
	})
	return &testApp{
		app: app, db: database, lib: lib, dataDir: dir, recDir: recDir,
		uploads: spooler, uploadDir: uploadDir, clock: clk, hub: hub, handler: h,
	}
}

// newFakeApp builds the app around fake sessions whose Stop hands out the
// takes registered with addTake, and whose Release forgets them.
func newFakeApp(t *testing.T) (*testApp, *fakeSessions) {
	t.Helper()
	f := newFakeSessions()
	return newTestApp(t, f), f
}

// appOptions are the AppConfig settings a test may change.
type appOptions struct {
	maxWSPerClient int
	reachable      handlers.Reachable
	handler        func(*handlers.Handler) // edits the Handler before the app is built
}

// withHandler edits the Handler before the app is built around it.
func withHandler(edit func(*handlers.Handler)) func(*appOptions) {
	return func(o *appOptions) { o.handler = edit }
}

// newFakeAppWith is newFakeApp with options.
func newFakeAppWith(t *testing.T, opts ...func(*appOptions)) (*testApp, *fakeSessions) {
	t.Helper()
	f := newFakeSessions()
	return buildTestAppIn(t, t.TempDir(), f, testLogger(t), opts...), f
}

// newFakeAppIn is newFakeApp with its data in dir and the log given.
func newFakeAppIn(t *testing.T, dir string, log *slog.Logger) (*testApp, *fakeSessions) {
	t.Helper()
	f := newFakeSessions()
	return buildTestAppIn(t, dir, f, log), f
}

// newFakeSessions are fake sessions whose Stop hands out the takes
// registered with addTake, and whose Release forgets them.
func newFakeSessions() *fakeSessions {
	f := &fakeSessions{takes: map[string]media.Take{}}
	f.StopFn = func(id string) (media.Take, error) {
		take, ok := f.takes[id]
		if !ok {
			return media.Take{}, fmt.Errorf("fake: %w", media.NotFoundf("no session %q", id))
		}
		return take, nil
	}
	f.ReleaseFn = func(id string) error {
		delete(f.takes, id)
		return nil
	}
	return f
}

// newRTCApp builds the app around a real rtc.Manager.
func newRTCApp(t *testing.T) (*testApp, *rtc.Manager) {
	t.Helper()
	spool := filepath.Join(t.TempDir(), "spool")
	m, err := rtc.NewManager(rtc.Config{
		SpoolDir:       spool,
		ConnectTimeout: time.Minute,
		Log:            slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return newTestApp(t, m), m
}

// testLogger writes to the test's output, so failures show server logs.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// clock is the injected time of the database, store and library.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// fakeSessions is a hand-written Sessions: each method calls its function
// field, or fails with an internal error when the test left it unset.
type fakeSessions struct {
	StartFn   func(ctx context.Context, id, offerSDP string, p media.Params, o media.OfferOptions) (media.SessionInfo, string, error)
	InfoFn    func(id string) (media.SessionInfo, error)
	StopFn    func(id string) (media.Take, error)
	DiscardFn func(id string) error
	ReleaseFn func(id string) error

	takes    map[string]media.Take
	stopped  []string // ids passed to Stop, in order
	released []string // ids passed to Release, in order
}

var errUnset = errors.New("fake: method not set")

func (f *fakeSessions) Start(ctx context.Context, id, offer string, p media.Params, o media.OfferOptions) (media.SessionInfo, string, error) {
	if f.StartFn == nil {
		return media.SessionInfo{}, "", errUnset
	}
	return f.StartFn(ctx, id, offer, p, o)
}

func (f *fakeSessions) WaitCandidates(context.Context, string, int) ([]media.ICECandidate, bool, error) {
	return nil, false, errUnset
}

func (f *fakeSessions) Restart(context.Context, string, string) (string, error) {
	return "", errUnset
}

func (f *fakeSessions) AddICECandidate(string, media.ICECandidate) error { return errUnset }

func (f *fakeSessions) Info(id string) (media.SessionInfo, error) {
	if f.InfoFn == nil {
		return media.SessionInfo{}, errUnset
	}
	return f.InfoFn(id)
}

func (f *fakeSessions) Stop(id string) (media.Take, error) {
	f.stopped = append(f.stopped, id)
	if f.StopFn == nil {
		return media.Take{}, errUnset
	}
	return f.StopFn(id)
}

func (f *fakeSessions) Discard(id string) error {
	if f.DiscardFn == nil {
		return errUnset
	}
	return f.DiscardFn(id)
}

func (f *fakeSessions) Release(id string) error {
	f.released = append(f.released, id)
	if f.ReleaseFn == nil {
		return errUnset
	}
	return f.ReleaseFn(id)
}

// tone returns seconds of a 440 Hz sine as little-endian int16 PCM.
func tone(sampleRate, channels int, seconds float64) []byte {
	frames := int(float64(sampleRate) * seconds)
	pcm := make([]byte, 0, frames*channels*2)
	for i := range frames {
		v := int16(0.5 * math.MaxInt16 * math.Sin(2*math.Pi*440*float64(i)/float64(sampleRate)))
		for range channels {
			pcm = binary.LittleEndian.AppendUint16(pcm, uint16(v))
		}
	}
	return pcm
}

// addTake writes pcm to a spool file and registers it as the take of
// session id, at params p.
func (f *fakeSessions) addTake(t *testing.T, id string, p media.Params, pcm []byte) media.Take {
	t.Helper()
	path := filepath.Join(t.TempDir(), id+".pcm")
	if err := os.WriteFile(path, pcm, 0o644); err != nil {
		t.Fatal(err)
	}
	take := media.Take{
		SessionID:  id,
		SpoolPath:  path,
		SampleRate: p.SampleRate,
		Channels:   p.Channels,
		Params:     p,
		PCMBytes:   int64(len(pcm)),
		StartedAt:  time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC),
		Stats:      media.StatsSnapshot{Packets: 25, OutputFrames: int64(len(pcm) / (2 * p.Channels))},
	}
	f.takes[id] = take
	return take
}

// toneParams are the parameters saved takes run at.
var toneParams = media.Params{FPS: 25, BatchSize: 32, SampleRate: 16000, Channels: 1}

// saveTone saves half a second of tone as session id's take at time at,
// through POST /save_recording, and returns the file name and the WAV
// file the recording holds.
func (ta *testApp) saveTone(t *testing.T, f *fakeSessions, id string, at time.Time) (string, []byte) {
	t.Helper()
	pcm := tone(toneParams.SampleRate, toneParams.Channels, 0.5)
	f.addTake(t, id, toneParams, pcm)
	ta.clock.Set(at)
	res := ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"`+id+`","recording_type":"webrtc","duration":0.6}`)
	res.wantStatus(t, http.StatusOK)
	var body struct {
		Status   string  `json:"status"`
		Message  string  `json:"message"`
		Filename string  `json:"filename"`
		Duration float64 `json:"duration"`
	}
	res.decode(t, &body)
	if body.Status != "success" || !store.ValidName(body.Filename) || body.Duration != 0.5 {
		t.Fatalf("save %s: got %s", id, res.body)
	}
	wav := append(media.WAVHeader(toneParams.SampleRate, toneParams.Channels, int64(len(pcm))), pcm...)
	return body.Filename, wav
}

// serve starts the app on a loopback listener, for what app.Test cannot
// do (WebSocket upgrades), and returns its address. Cleanup shuts it down;
// connections a test opens after serve close first (Cleanup runs last in,
// first out).
func (ta *testApp) serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ta.app.Listener(ln) }()
	t.Cleanup(func() {
		if err := ta.app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// postForm posts values form-encoded to /params, as a browser does, or as
// htmx does when htmx is set.
func (ta *testApp) postForm(t *testing.T, values url.Values, htmx bool) response {
	t.Helper()
	header := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if htmx {
		header = append(header, "HX-Request", "true")
	}
	return ta.do(t, http.MethodPost, "/params", values.Encode(), header...)
}

// response is a fully read response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request through app.Test without a timeout; body is sent
// as JSON when not empty. header holds name, value pairs.
func (ta *testApp) do(t testing.TB, method, target, body string, header ...string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Host = "localhost" // the guards answer only local names without a token
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ta.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (r response) wantStatus(t *testing.T, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body: %.500s", r.status, want, r.body)
	}
}

// decode unmarshals the body as JSON, refusing fields v does not name.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// errorBody is the ErrorHandler's envelope.
type errorBody struct {
	Status  string            `json:"status"`
	Message string            `json:"message"`
	Errors  map[string]string `json:"errors"`
	// Filename names the recording a take already became (409 to a save).
	Filename string `json:"filename"`
}

// wantError checks status and the error envelope, whose message must
// contain msg, and returns the envelope.
func (r response) wantError(t *testing.T, status int, msg string) errorBody {
	t.Helper()
	r.wantStatus(t, status)
	if body := string(r.body); strings.HasPrefix(body, `<p class="inline-error"`) {
		// An htmx request: the error fragment, shown where the user acted.
		text := html.UnescapeString(strings.TrimSuffix(body[strings.Index(body, ">")+1:], "</p>"))
		if !strings.Contains(strings.ToLower(text), strings.ToLower(msg)) {
			t.Errorf("error fragment %q, want it to contain %q", text, msg)
		}
		return errorBody{Status: "error", Message: text}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e errorBody
	r.decode(t, &e)
	if e.Status != "error" {
		t.Errorf("status field = %q, want error", e.Status)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", e.Message, msg)
	}
	return e
}

// written is what a request may have left behind: rows and files.
type written struct {
	rows  int
	files []string // every entry of the recordings dir, hidden ones too
}

func (ta *testApp) written(t *testing.T) written {
	t.Helper()
	n, err := ta.db.CountRecordings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(ta.recDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	w := written{rows: n, files: []string{}}
	for _, e := range entries {
		w.files = append(w.files, e.Name())
	}
	return w
}

// wantUnchanged fails if rows or files differ from before.
func (ta *testApp) wantUnchanged(t *testing.T, before written) {
	t.Helper()
	after := ta.written(t)
	if after.rows != before.rows || !slices.Equal(after.files, before.files) {
		t.Errorf("written: got %d rows, files %q; want %d rows, files %q",
			after.rows, after.files, before.rows, before.files)
	}
}
