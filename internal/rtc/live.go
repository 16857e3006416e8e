package rtc

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Feed receives a session's batches as they are cut: the consumer
// WebSocket hub. Publish must not block; its error (a batch it cannot
// encode) is logged once and never stops the session. The batch is valid
// only during the call (its buffers are reused): Batch.Clone keeps one.
type Feed interface {
	Publish(sessionID string, b media.Batch, p media.Params) error
	End(sessionID string)
	// Subscribers is how many consumers a session has: with none, its
	// batches are cut without samples (media.Batch.Bare).
	Subscribers(sessionID string) int
}

// framing is the session's live branch: frames and batches cut from the
// output PCM, their counters, and the parameter changes applied to them.
type framing struct {
	rate, channels int
	feed           Feed
	sessionID      string
	log            *slog.Logger
	feedFailed     bool

	// The newest requested fps and batch size, for the session's
	// goroutine to apply between packets; requested says one is waiting.
	requested atomic.Bool
	reqMu     sync.Mutex
	req       media.Params

	mu        sync.Mutex
	latency   media.WindowedLatency
	lag       media.WindowedLatency
	late      lateness // for admission: did frames run late just now
	fps, size int      // in force: as the newest frame and batch were cut
	frames    int64
	batches   int64
	samples   int64 // per channel, framed so far
	features  media.Features
	firstAt   time.Time // arrival of the packet that completed the first frame
	firstLen  int64     // that frame's samples
	drift     time.Duration
	changes   []media.ParamChange
}

func newFraming(id string, p media.Params, feed Feed, log *slog.Logger, maxLag time.Duration) *framing {
	return &framing{
		rate: p.SampleRate, channels: p.Channels, feed: feed, sessionID: id, log: log,
		fps: p.FPS, size: p.BatchSize, late: lateness{bound: maxLag},
	}
}

// runningLate says whether the session's frames ran late over the last
// second or two (see lateness).
func (f *framing) runningLate(now time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.late.isLate(now)
}

// request asks for new fps and batch size; they apply at the next frame
// (fps) and batch (batch size) boundary. Only the newest request counts.
func (f *framing) request(p media.Params) {
	f.reqMu.Lock()
	f.req = p
	f.reqMu.Unlock()
	f.requested.Store(true)
}

// apply hands a waiting request to the chain; called by the session's
// goroutine between packets.
func (f *framing) apply(c *media.Chain) error {
	if !f.requested.Load() {
		return nil
	}
	f.reqMu.Lock()
	p := f.req
	f.requested.Store(false)
	f.reqMu.Unlock()
	if err := c.SetFPS(p.FPS); err != nil {
		return err
	}
	return c.SetBatchSize(p.BatchSize)
}

// publish counts a batch and hands it to the feed.
func (f *framing) publish(b media.Batch) {
	f.noteBatch(b)
	if f.feed == nil {
		return
	}
	err := f.feed.Publish(f.sessionID, b, media.Params{
		FPS: b.Frames[0].FPS, BatchSize: b.BatchSize, SampleRate: f.rate, Channels: f.channels,
	})
	if err != nil && !f.feedFailed {
		f.feedFailed = true
		f.log.Error("feed refused a batch; consumers miss it", "batch", b.Index, "err", err)
	}
}

// listening says whether a consumer wants the batch about to begin.
func (f *framing) listening() bool {
	return f.feed != nil && f.feed.Subscribers(f.sessionID) > 0
}

// end tells the feed the session's batches are over.
func (f *framing) end() {
	if f.feed != nil {
		f.feed.End(f.sessionID)
	}
}

// noteFrame counts a frame and its latencies.
func (f *framing) noteFrame(fr media.Frame, lag time.Duration) {
	now := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !fr.Arrival.IsZero() {
		f.latency.Observe(now, now.Sub(fr.Arrival))
	}
	if lag >= 0 {
		f.lag.Observe(now, lag)
		f.late.observe(now, lag)
	}
	if f.frames == 0 {
		// The clock starts when the first frame was complete: audio
		// after it is what the wall clock since then should match.
		f.firstAt, f.firstLen = fr.Arrival, int64(fr.Len())
	}
	if fr.FPS != f.fps {
		f.fps = fr.FPS
		f.logChange(fr)
	}
	f.frames++
	f.samples += int64(fr.Len())
	f.features = fr.Features
	if !f.firstAt.IsZero() {
		audio := time.Duration(float64(f.samples-f.firstLen) / float64(f.rate) * float64(time.Second))
		f.drift = now.Sub(f.firstAt) - audio
	}
}

func (f *framing) noteBatch(b media.Batch) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	if b.BatchSize != f.size {
		f.size = b.BatchSize
		f.logChange(b.Frames[0])
	}
}

// logChange records the values in force from frame fr on. Called with mu.
func (f *framing) logChange(fr media.Frame) {
	f.changes = append(f.changes, media.ParamChange{
		Frame: fr.Index, Seconds: float64(fr.Start) / float64(f.rate), FPS: f.fps, BatchSize: f.size,
	})
}

func (f *framing) info() media.FramingInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := media.FramingInfo{
		FPS: f.fps, BatchSize: f.size, Frames: f.frames, Batches: f.batches,
		FrameSamples: float64(f.rate) / float64(f.fps),
		Features:     f.features,
		Changes:      append([]media.ParamChange(nil), f.changes...),
	}
	now := time.Now()
	in.Latency, in.Lag = summary(&f.latency.All), summary(&f.lag.All)
	recent := f.latency.Recent(now)
	in.LatencyRecent = summary(&recent)
	recent = f.lag.Recent(now)
	in.LagRecent = summary(&recent)
	in.DriftMs = ms(f.drift)
	return in
}

func summary(h *media.LatencyHistogram) media.Latency {
	return media.Latency{P50ms: ms(h.Quantile(0.5)), P99ms: ms(h.Quantile(0.99)), MaxMs: ms(h.Max()), Count: h.Count()}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
