package media

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ChainConfig is what a Chain is built from.
type ChainConfig struct {
	Params Params // output format, and the fps and batch size to start with
	Stats  *Stats
	Log    *slog.Logger
	// Spool receives the output PCM; the Chain closes it.
	Spool *Spool
	// Opus, when set, keeps the packets as sent too (Params.Format opus);
	// the Chain closes it.
	Opus *OpusSpool
	// ReorderDepth, ReorderMaxHold and StallAfter override the Reorder's
	// and the Decoder's defaults when not zero.
	ReorderDepth   int
	ReorderMaxHold time.Duration
	StallAfter     time.Duration
	// OnFrame, when set, sees every frame as it is cut, with its lag (see
	// Chain); lag is negative when the frame has none (silence written for
	// a stalled sender, the padding at a stop). The frame's Samples are
	// valid until OnFrame returns.
	OnFrame func(f Frame, lag time.Duration)
	// OnBatch, when set, sees every batch as it is cut. The batch is valid
	// until OnBatch returns; Batch.Clone keeps one.
	OnBatch func(Batch)
	// Listening, when set, says whether anyone wants the samples of the
	// batch about to begin; see Batcher.Listening.
	Listening func() bool
	// Now is the clock lags are measured with (time.Now when nil).
	Now func() time.Time
}

// Chain is a live session's audio path after the network: reorder → Opus
// decode (48 kHz, on the RTP timeline) → resample to the session's rate →
// spool → frame (with features) → batch. The stages are plain values called
// in sequence from the one goroutine that calls Push, Idle and Close, so a
// packet goes all the way through without a hand-off, and every buffer on
// the way is reused: a packet costs no allocation once the buffers have
// grown. Only frames and batches leave the Chain, through OnFrame and
// OnBatch, during the call.
//
// The lag of a frame is how long after the stream position of the packet
// that completed it the frame was emitted: RTP time is mapped to the wall
// clock by the earliest arrival, relative to its timestamp, of the
// session's first packets (the best the path ever did), so the lag counts
// the network's jitter, the reorder wait, any queueing before the packet
// was read, and the processing.
//
// A Chain is not safe for concurrent use, except StopAt.
type Chain struct {
	cfg       ChainConfig
	reorder   *Reorder
	decoder   *Decoder
	resampler *Resampler // nil when the output is at 48 kHz
	framer    *Framer
	batcher   *Batcher
	now       func() time.Time

	resampled []float32 // resampler output, reused
	err       error     // the first failure: the Chain takes nothing after it
	closed    bool

	clock   rtpClock
	due     time.Time // wall-clock position of the packet being decoded; zero for silence
	onPkt   func(Packet) error
	onPCM   func(PCM) error
	onFrame func(Frame) error
	onBatch func(Batch) error
}

// NewChain builds the stages for cfg. Bad parameters give an error wrapping
// ErrInvalid.
func NewChain(cfg ChainConfig) (*Chain, error) {
	p := cfg.Params
	if cfg.Spool == nil || cfg.Stats == nil {
		return nil, fmt.Errorf("media: chain needs a spool and stats: %w", ErrInvalid)
	}
	dec, err := NewDecoder(p.Channels, cfg.Stats, cfg.Log)
	if err != nil {
		return nil, err
	}
	dec.StallAfter = cfg.StallAfter
	if cfg.Opus != nil {
		dec.Keep = cfg.Opus
	}
	framer, err := NewFramer(p.SampleRate, p.Channels, p.FPS)
	if err != nil {
		return nil, err
	}
	batcher, err := NewBatcher(p.BatchSize)
	if err != nil {
		return nil, err
	}
	batcher.Listening = cfg.Listening
	c := &Chain{
		cfg: cfg, decoder: dec, framer: framer, batcher: batcher, now: cfg.Now,
		reorder: &Reorder{Depth: cfg.ReorderDepth, MaxHold: cfg.ReorderMaxHold, Stats: cfg.Stats},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if p.SampleRate != OpusRate {
		if c.resampler, err = NewResampler(OpusRate, p.SampleRate, p.Channels); err != nil {
			return nil, err
		}
	}
	// The hand-offs between stages are built once: a method value or a
	// closure made per call would allocate.
	c.onPkt = c.decode
	c.onPCM = c.resample
	c.onFrame = c.frame
	c.onBatch = c.batch
	return c, nil
}

// Spool returns the chain's spool.
func (c *Chain) Spool() *Spool { return c.cfg.Spool }

// StopAt tells the decoder when the user stopped the take (see
// Decoder.StopAt). Safe to call from any goroutine.
func (c *Chain) StopAt(t time.Time) { c.decoder.StopAt(t) }

// Push takes one RTP packet as it arrived. Its Payload is only read during
// the call. An error (a spool write the disk refused, a parameter that
// cannot apply) is final: Push, Idle and Close return it from then on.
func (c *Chain) Push(p Packet) error {
	if c.err != nil {
		return c.err
	}
	if len(p.Payload) > 0 { // padding goes out when the pacer sends it, not at its timestamp's time
		c.clock.observe(p)
	}
	return c.fail(c.reorder.Push(p, c.onPkt))
}

// Received returns the extended sequence numbers of the first packet and
// of the highest seen so far; ok is false before any packet.
func (c *Chain) Received() (first, highest int64, ok bool) { return c.reorder.Received() }

// Idle is called when no packet has come for a while (every IdleTick):
// packets held behind a gap whose hold has run out go on (see
// Reorder.Idle), then a stalled sender's silence is written in real time.
func (c *Chain) Idle(now time.Time) error {
	if c.err != nil {
		return c.err
	}
	if err := c.reorder.Idle(now, c.onPkt); err != nil {
		return c.fail(err)
	}
	c.due = time.Time{}
	return c.fail(c.decoder.Idle(now, c.onPCM))
}

// SetFPS changes the frame rate from the next frame boundary on.
func (c *Chain) SetFPS(fps int) error {
	if c.err != nil {
		return c.err
	}
	return c.fail(c.framer.SetFPS(fps))
}

// SetBatchSize changes the batch size from the batch in progress on.
func (c *Chain) SetBatchSize(n int) error {
	if c.err != nil {
		return c.err
	}
	return c.fail(c.batcher.SetBatchSize(n))
}

// Close drains the chain at the end of the stream: the held packets, the
// stop padding, the resampler's tail, the short last frame and batch, in
// that order; then it closes the spool. After a failure it only closes the
// spool (which keeps the audio up to the last good write). It returns the
// chain's failure or the spool's, if any.
func (c *Chain) Close() error {
	if c.closed {
		return c.err
	}
	c.closed = true
	if c.err == nil {
		c.due = time.Time{}
		err := c.reorder.Flush(c.onPkt)
		c.due = time.Time{}
		if err == nil {
			err = c.decoder.Flush(c.onPCM)
		}
		if err == nil && c.resampler != nil {
			c.resampled = c.resampler.Flush(c.resampled[:0])
			err = c.write(c.resampled)
		}
		if err == nil {
			err = c.framer.Flush(c.onFrame)
		}
		if err == nil {
			err = c.batcher.Flush(c.onBatch)
		}
		c.fail(err)
	}
	return c.fail(c.closeSpools())
}

// closeSpools closes the PCM spool and the Opus one, if any.
func (c *Chain) closeSpools() error {
	err := c.cfg.Spool.Close()
	if c.cfg.Opus != nil {
		err = errors.Join(err, c.cfg.Opus.Close())
	}
	return err
}

// Abort ends the chain without draining it: only the spool is closed, with
// what it holds so far.
func (c *Chain) Abort() error {
	if c.closed {
		return c.err
	}
	c.closed = true
	c.fail(errors.New("media: chain aborted"))
	return c.closeSpools()
}

// fail keeps the first error.
func (c *Chain) fail(err error) error {
	if err != nil && c.err == nil {
		c.err = err
	}
	return c.err
}

func (c *Chain) decode(p Packet) error {
	c.due = c.clock.due(p.Timestamp)
	return c.decoder.Decode(p, c.onPCM)
}

func (c *Chain) resample(p PCM) error {
	if c.resampler == nil {
		return c.writePCM(p)
	}
	c.resampled = c.resampler.Process(c.resampled[:0], p.Samples)
	if len(c.resampled) == 0 {
		return nil
	}
	return c.writePCM(PCM{Samples: c.resampled, SampleRate: c.cfg.Params.SampleRate, Channels: p.Channels, Arrival: p.Arrival})
}

// write is writePCM for the resampler's tail, which has no packet.
func (c *Chain) write(samples []float32) error {
	if len(samples) == 0 {
		return nil
	}
	return c.writePCM(PCM{Samples: samples, SampleRate: c.cfg.Params.SampleRate, Channels: c.cfg.Params.Channels,
		Arrival: c.framer.arrival})
}

func (c *Chain) writePCM(p PCM) error {
	if err := c.cfg.Spool.Write(p); err != nil {
		return err
	}
	return c.framer.Push(p, c.onFrame)
}

func (c *Chain) frame(f Frame) error {
	if c.cfg.OnFrame != nil {
		lag := time.Duration(-1)
		if !c.due.IsZero() {
			lag = max(c.now().Sub(c.due), 0)
		}
		c.cfg.OnFrame(f, lag)
	}
	return c.batcher.Push(f, c.onBatch)
}

func (c *Chain) batch(b Batch) error {
	if c.cfg.OnBatch != nil {
		c.cfg.OnBatch(b)
	}
	return nil
}

// clockAnchorPackets is how many of a session's first packets the RTP clock
// mapping takes its anchor from: the earliest arrival among them, relative
// to its timestamp, stands for a packet that met no delay at all.
const clockAnchorPackets = 50

// rtpClock maps RTP timestamps to the wall clock.
type rtpClock struct {
	seen   int
	lastTS uint32
	ext    int64     // extended timestamp of lastTS
	base   time.Time // wall-clock time of extended timestamp 0
}

// observe takes a packet as it arrives, in arrival order.
func (k *rtpClock) observe(p Packet) {
	if p.Arrival.IsZero() {
		return
	}
	ext := k.extend(p.Timestamp)
	at := p.Arrival.Add(-rtpDuration(ext))
	switch {
	case k.seen == 0:
		k.base = at
	case k.seen < clockAnchorPackets && at.Before(k.base):
		k.base = at
	case at.Sub(k.base) > 10*time.Second || k.base.Sub(at) > 10*time.Second:
		// The sender's clock jumped (a restarted stream): anchor again.
		k.base, k.seen = at, 0
	}
	k.seen++
}

// due returns when the audio at ts was due, or zero before any packet.
func (k *rtpClock) due(ts uint32) time.Time {
	if k.seen == 0 {
		return time.Time{}
	}
	return k.base.Add(rtpDuration(k.ext + int64(int32(ts-k.lastTS))))
}

func (k *rtpClock) extend(ts uint32) int64 {
	if k.seen == 0 && k.base.IsZero() {
		k.lastTS, k.ext = ts, 0
		return 0
	}
	k.ext += int64(int32(ts - k.lastTS))
	k.lastTS = ts
	return k.ext
}

func rtpDuration(samples int64) time.Duration {
	return time.Duration(samples * int64(time.Second) / OpusRate)
}
