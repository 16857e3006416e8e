package media

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/avatarweb/recorder/media/ogg"
)

// OpusRate is the RTP clock and native decode rate of Opus.
const OpusRate = 48000

// maxOpusFrames is the longest Opus packet (120 ms) in samples per channel.
const maxOpusFrames = OpusRate * 120 / 1000

// maxGap is the longest silence the decoder will insert for one gap. A
// larger timestamp jump is not a pause but a broken or restarted sender, so
// the timeline is re-anchored instead of writing hours of zeros.
const maxGap = OpusRate * 60 * 60

// DefaultStallAfter is how long the decoder waits for a silent sender
// before it writes silence in real time, so frames keep flowing while a
// track is muted or a phone has backgrounded the tab. Network jitter is far
// shorter; a packet arriving later than this has its audio trimmed where
// the timeline already moved on.
const DefaultStallAfter = 500 * time.Millisecond

// IdleTick is how often a session should call Idle while no packet comes,
// to write a stalled sender's silence in real time.
const IdleTick = 100 * time.Millisecond

// silenceBlock is the longest block of silence emitted at once: a packet's
// worth, so the zeros a session keeps for gaps are no bigger than its
// decode buffer.
const silenceBlock = OpusRate / 50

// tailTolerance is how far the audio may fall short of the wall clock at an
// explicit stop before the shortfall is filled with silence: the last
// packets are normally still in flight for a few tens of milliseconds.
const tailTolerance = OpusRate / 4

// Decoder is the decode stage: it turns ordered Opus packets into 48 kHz PCM
// laid out on the RTP timeline. Audio is placed by timestamp, so a lost
// packet, a DTX pause or a stalled sender becomes silence of the right
// length and the take stays as long as it was in real time. A packet the
// codec refuses is counted, logged once, and becomes silence too: it never
// stalls the stream.
//
// The Decoder reuses its buffers: the Samples of an emitted block are valid
// until emit returns and must not be written to.
type Decoder struct {
	Stats *Stats
	Log   *slog.Logger

	channels  int
	opus      opusDecoder
	buf       []float32 // decode output, reused: emitted blocks alias it
	zeros     []float32 // silenceBlock frames of silence, never written
	started   bool
	next      int64 // extended RTP timestamp of the next sample to write
	lastTS    uint32
	extTS     int64
	firstAt   time.Time
	written   int64        // samples per channel written so far
	stopAt    atomic.Int64 // unix nanoseconds; 0 until StopAt
	loggedBad bool
	arrival   time.Time // of the packet being decoded

	// StallAfter overrides DefaultStallAfter.
	StallAfter time.Duration
	lastAt     time.Time // arrival of the newest decoded packet
	lastEnd    int64     // timeline position right after it
	stalled    bool      // silence is being written for a quiet sender

	// Keep, when set, is told where each packet and each silence went on
	// the timeline, to keep the packets as sent (an OpusSpool).
	Keep PacketKeeper
}

// PacketKeeper keeps a take's packets on the Decoder's timeline: Packet
// gets each packet with the sample (48 kHz, from the take's first) its
// audio starts at, whether or not the Decoder could decode it; Silence
// gets the end of each silence the Decoder wrote.
type PacketKeeper interface {
	Packet(at int64, payload []byte) error
	Silence(end int64) error
}

// NewDecoder returns a decoder producing 48 kHz PCM with channels channels
// (a mono stream is copied to both channels when channels is 2).
func NewDecoder(channels int, stats *Stats, log *slog.Logger) (*Decoder, error) {
	dec, err := newOpusDecoder(channels)
	if err != nil {
		return nil, fmt.Errorf("media: new opus decoder (%d ch): %w: %w", channels, ErrInvalid, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Decoder{
		Stats:    stats,
		Log:      log,
		channels: channels,
		opus:     dec,
	}, nil
}

// StopAt tells the decoder the wall-clock moment the user stopped the take.
// Flush then fills any shortfall between the audio received and that moment
// with silence. Call it before closing the decoder's input.
func (d *Decoder) StopAt(t time.Time) { d.stopAt.Store(t.UnixNano()) }

// Decode places one packet on the timeline and emits its PCM, preceded by
// silence for any gap since the previous packet.
//
// A packet with no payload is not an Opus packet (RFC 6716 §3.1: every
// packet has at least its TOC byte) but RTP padding alone: WebRTC senders
// (Firefox at the start of a call, Chromium after a network change) send
// bursts of them, stamped with the timestamp of the audio packet before,
// to probe the bandwidth. It is counted apart and leaves the timeline as
// it is.
func (d *Decoder) Decode(p Packet, emit func(PCM) error) error {
	if len(p.Payload) == 0 {
		d.Stats.EmptyPackets.Add(1)
		return nil
	}
	ts := d.extend(p.Timestamp)
	if !d.started {
		d.started, d.next, d.firstAt = true, ts, p.Arrival
	}
	gap := ts - d.next
	if gap > maxGap {
		d.Log.Warn("rtp timestamp jumped; re-anchoring", "samples", gap)
		d.next, gap = ts, 0
	}
	d.arrival = p.Arrival
	if gap > 0 {
		if !d.stalled { // a stall already counted its gap
			d.Stats.Gaps.Add(1)
		}
		if err := d.silence(gap, emit); err != nil {
			return err
		}
	}
	if d.Keep != nil {
		if err := d.Keep.Packet(d.written+min(gap, 0), p.Payload); err != nil {
			return err
		}
	}
	began := time.Now()
	n, err := d.opus.DecodeToFloat32(p.Payload, d.out(p.Payload))
	d.Stats.DecodeNanos.Add(int64(time.Since(began)))
	if err != nil {
		d.Stats.DecodeErrors.Add(1)
		if !d.loggedBad {
			d.loggedBad = true
			d.Log.Warn("opus packet refused; its time becomes silence", "err", err, "seq", p.SequenceNumber,
				"bytes", len(p.Payload), "head", fmt.Sprintf("%x", p.Payload[:min(4, len(p.Payload))]))
		}
		return nil
	}
	d.Stats.DecodedSamples.Add(int64(n))
	d.stalled, d.lastAt, d.lastEnd = false, p.Arrival, ts+int64(n)
	skip := int64(0)
	if gap < 0 { // overlaps audio already written: keep only the new part
		skip = min(-gap, int64(n))
		d.Stats.TrimmedSamples.Add(skip)
	}
	if skip == int64(n) {
		return nil
	}
	d.next = ts + int64(n)
	return d.write(d.buf[skip*int64(d.channels):int64(n)*int64(d.channels)], emit)
}

// Flush pads the end of an explicitly stopped take up to the stop time.
func (d *Decoder) Flush(emit func(PCM) error) error {
	stop := d.stopAt.Load()
	if !d.started || stop == 0 {
		return nil
	}
	want := int64(time.Unix(0, stop).Sub(d.firstAt).Seconds() * OpusRate)
	if short := want - d.written; short > tailTolerance {
		d.Stats.Gaps.Add(1)
		return d.silence(short, emit)
	}
	return nil
}

// Idle is called when no packet has come for a while: once the sender has
// been quiet for StallAfter, the timeline advances with the wall clock
// (lagging it by StallAfter) and silence is written up to it.
func (d *Decoder) Idle(now time.Time, emit func(PCM) error) error {
	if !d.started || d.lastAt.IsZero() {
		return nil
	}
	wait := d.StallAfter
	if wait <= 0 {
		wait = DefaultStallAfter
	}
	quiet := now.Sub(d.lastAt) - wait
	if quiet <= 0 {
		return nil
	}
	short := d.lastEnd + int64(quiet.Seconds()*OpusRate) - d.next
	if short <= 0 {
		return nil
	}
	if !d.stalled {
		d.stalled = true
		d.Stats.Gaps.Add(1)
	}
	d.arrival = now
	return d.silence(short, emit)
}

// out is the buffer to decode payload into, grown to the packet's length:
// a browser sends 20 ms packets, so a session keeps 20 ms of room, not the
// 120 ms an Opus packet may hold. A payload whose TOC is damaged gets what
// there is, and the decoder refuses it.
func (d *Decoder) out(payload []byte) []float32 {
	if n, err := ogg.PacketSamples(payload); err == nil && int(n)*d.channels > len(d.buf) {
		d.buf = make([]float32, min(int(n), maxOpusFrames)*d.channels)
	}
	return d.buf
}

func (d *Decoder) silence(frames int64, emit func(PCM) error) error {
	d.Stats.GapSamples.Add(frames)
	d.next += frames
	for frames > 0 {
		n := min(frames, silenceBlock)
		if d.zeros == nil {
			d.zeros = make([]float32, silenceBlock*d.channels)
		}
		if err := d.write(d.zeros[:n*int64(d.channels)], emit); err != nil {
			return err
		}
		frames -= n
	}
	if d.Keep != nil {
		return d.Keep.Silence(d.written)
	}
	return nil
}

func (d *Decoder) write(samples []float32, emit func(PCM) error) error {
	d.written += int64(len(samples) / d.channels)
	return emit(PCM{Samples: samples, SampleRate: OpusRate, Channels: d.channels, Arrival: d.arrival})
}

// extend unwraps the 32-bit RTP timestamp relative to the previous packet.
func (d *Decoder) extend(ts uint32) int64 {
	if !d.started {
		d.lastTS, d.extTS = ts, int64(ts)
		return d.extTS
	}
	d.extTS += int64(int32(ts - d.lastTS))
	d.lastTS = ts
	return d.extTS
}
