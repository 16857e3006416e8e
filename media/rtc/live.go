package rtc

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Feed receives a session's batches as they are cut: the consumer
// WebSocket hub. Publish must not block; its error (a batch it cannot
// encode) is logged once and never stops the session.
type Feed interface {
	Publish(sessionID string, b media.Batch, p media.Params) error
	End(sessionID string)
}

// Latency summarizes RTP arrival → frame emitted.
type Latency struct {
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	Count int64   `json:"count"`
}

// FramingInfo is the live framing state of a session.
type FramingInfo struct {
	FPS          int                 `json:"fps"`
	BatchSize    int                 `json:"batch_size"`
	Frames       int64               `json:"frames"`
	Batches      int64               `json:"batches"`
	FrameSamples float64             `json:"frame_samples"` // sample_rate / fps, per channel
	Latency      Latency             `json:"latency"`
	DriftMs      float64             `json:"drift_ms"` // at the newest frame: wall clock since the first minus audio framed
	Features     media.Features      `json:"features"` // of the newest frame
	Changes      []media.ParamChange `json:"param_changes,omitempty"`
}

// framing is the session's live branch: frames and batches cut from the
// output PCM, their counters, and the parameter changes applied to them.
type framing struct {
	rate, channels int
	feed           Feed
	sessionID      string
	log            *slog.Logger
	feedFailed     bool

	fpsIn  chan int // newest requested fps, for the framer
	sizeIn chan int // newest requested batch size, for the batcher

	latency media.LatencyHistogram

	mu        sync.Mutex
	fps, size int // in force: as the newest frame and batch were cut
	frames    int64
	batches   int64
	samples   int64 // per channel, framed so far
	features  media.Features
	firstAt   time.Time // arrival of the packet that completed the first frame
	firstLen  int64     // that frame's samples
	drift     time.Duration
	changes   []media.ParamChange
}

func newFraming(id string, p media.Params, feed Feed, log *slog.Logger) *framing {
	return &framing{
		rate: p.SampleRate, channels: p.Channels, feed: feed, sessionID: id, log: log,
		fpsIn: make(chan int, 1), sizeIn: make(chan int, 1),
		fps: p.FPS, size: p.BatchSize,
	}
}

// request asks for new fps and batch size; they apply at the next frame
// (fps) and batch (batch size) boundary. Only the newest request counts.
func (f *framing) request(p media.Params) {
	replace(f.fpsIn, p.FPS)
	replace(f.sizeIn, p.BatchSize)
}

func replace(ch chan int, v int) {
	select {
	case <-ch:
	default:
	}
	ch <- v
}

// cut is the stage after the framer: it measures each frame, groups frames
// into batches (never mixing frame rates in one batch: a batch in progress
// when the fps changes goes out short), and publishes the batches.
func (f *framing) cut(ctx context.Context, frames <-chan media.Frame, batcher *media.Batcher) error {
	if f.feed != nil {
		defer f.feed.End(f.sessionID)
	}
	publish := func(b media.Batch) error {
		f.noteBatch(b)
		if f.feed == nil {
			return nil
		}
		err := f.feed.Publish(f.sessionID, b, media.Params{
			FPS: b.Frames[0].FPS, BatchSize: b.BatchSize, SampleRate: f.rate, Channels: f.channels,
		})
		if err != nil && !f.feedFailed {
			f.feedFailed = true
			f.log.Error("feed refused a batch; consumers miss it", "batch", b.Index, "err", err)
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case n := <-f.sizeIn:
			if err := batcher.SetBatchSize(n); err != nil {
				return err
			}
		case fr, ok := <-frames:
			if !ok {
				return batcher.Flush(publish)
			}
			if f.noteFrame(fr) {
				if err := batcher.Flush(publish); err != nil {
					return err
				}
			}
			if err := batcher.Push(fr, publish); err != nil {
				return err
			}
		}
	}
}

// noteFrame counts a frame and reports whether its fps differs from the
// frame before it.
func (f *framing) noteFrame(fr media.Frame) (fpsChanged bool) {
	now := time.Now()
	if !fr.Arrival.IsZero() {
		f.latency.Observe(now.Sub(fr.Arrival))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frames == 0 {
		// The clock starts when the first frame was complete: audio
		// after it is what the wall clock since then should match.
		f.firstAt, f.firstLen = fr.Arrival, int64(fr.Len())
	}
	if fr.FPS != f.fps {
		fpsChanged = f.frames > 0
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
	return fpsChanged
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

func (f *framing) info() FramingInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := FramingInfo{
		FPS: f.fps, BatchSize: f.size, Frames: f.frames, Batches: f.batches,
		FrameSamples: float64(f.rate) / float64(f.fps),
		Features:     f.features,
		Changes:      append([]media.ParamChange(nil), f.changes...),
		Latency: Latency{
			P50ms: ms(f.latency.Quantile(0.5)), P99ms: ms(f.latency.Quantile(0.99)),
			MaxMs: ms(f.latency.Max()), Count: f.latency.Count(),
		},
	}
	in.DriftMs = ms(f.drift)
	return in
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
