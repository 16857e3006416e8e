// Package feed fans the frame batches of live sessions out to subscribers
// (lip-sync and avatar model servers) as self-describing binary messages.
//
// A Hub holds the subscribers of each session. Publish never waits for one:
// every subscription has a bounded queue, and a batch that finds it full is
// dropped for that subscriber alone and counted. docs/feed.md (at the repository root) describes the
// feed from a consumer's side.
//
// # Wire format
//
// Each batch travels as one binary message:
//
//	offset  size  content
//	0       4     N, the header length in bytes, uint32 little-endian
//	4       N     the header: UTF-8 JSON, see Header
//	4+N     rest  the PCM: signed 16-bit little-endian samples, interleaved
//	              over channels, the frames of the batch concatenated
//
// The PCM is exactly sum(frame_samples) × channels × 2 bytes: frame i holds
// frame_samples[i] samples per channel, and frame lengths may differ by one
// when sample_rate/fps is not an integer, and change when fps changes in
// the middle of a batch (fps is that of the first frame). features[i]
// describes frame i.
// A header looks like
//
//	{"v":1,"session_id":"s1","batch":7,"first_frame":448,"frames":64,
//	 "sample_rate":48000,"channels":1,"fps":30,"batch_size":64,
//	 "frame_samples":[1600,1600,…],"features":[{"rms":0.1,"peak":0.4,"voice":true,"mouth":0.6},…],
//	 "dropped":0,"sent_unix_ms":1767225600000}
//
// dropped counts the batches this subscriber has lost so far because its
// queue was full; a gap in batch numbers says the same thing.
//
// Decoders must ignore header fields they do not know; a change that old
// decoders cannot read bumps v.
package feed

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Version is the wire format version Encode writes and Decode accepts.
const Version = 1

// MaxHeaderLen bounds the JSON header of a message. A 256-frame batch needs
// about 20 KiB.
const MaxHeaderLen = 1 << 20

// MaxFrameSamples bounds the samples per channel of one frame, far above
// any frame a session produces (sample_rate/fps is at most 48000).
const MaxFrameSamples = 1 << 20

// ErrMalformed marks a message Decode cannot accept.
var ErrMalformed = errors.New("feed: malformed message")

// Header is the JSON header at the front of every message.
type Header struct {
	Version    int    `json:"v"`
	SessionID  string `json:"session_id"`
	Batch      int64  `json:"batch"` // batch index
	FirstFrame int64  `json:"first_frame"`
	Frames     int    `json:"frames"`
	SampleRate int    `json:"sample_rate"`
	Channels   int    `json:"channels"`
	FPS        int    `json:"fps"`        // of the first frame; a batch may span an fps change
	BatchSize  int    `json:"batch_size"` // frames in a full batch; the last one may hold fewer
	// FrameSamples holds the samples per channel of each frame.
	FrameSamples []int `json:"frame_samples"`
	// Features holds one entry per frame.
	Features []media.Features `json:"features"`
	// Dropped counts the batches this subscriber lost before this one.
	Dropped int64 `json:"dropped"`
	// SentAt is when the hub published the batch, in Unix milliseconds;
	// time spent in the subscriber's queue shows up as latency.
	SentAt int64 `json:"sent_unix_ms"`

	// Dropped and SentAt must stay the last two fields: the hub marshals
	// the header once per batch and appends them per subscriber.
}

// Encode builds the message for batch b of a session running with
// parameters p, with dropped 0 and sent_unix_ms now. Samples outside
// [-1, 1] are clipped.
//
// The frames describe themselves: sample_rate, channels and fps come from
// the first frame, and from p only where the frame leaves them zero. All
// frames must share the rate and channel count, and hold whole sample
// frames; fps may change inside a batch (frame_samples gives every frame's
// length), and fps in the header is that of the first frame. batch_size is
// b.BatchSize, or p.BatchSize when that is zero. Anything else gives an
// error wrapping media.ErrInvalid.
func Encode(sessionID string, b media.Batch, p media.Params) ([]byte, error) {
	e, err := newEncoding(sessionID, b, p)
	if err != nil {
		return nil, err
	}
	return e.message(0, time.Now().UnixMilli()), nil
}

// headerTail is how json.Marshal ends a Header whose Dropped and SentAt are
// zero; encoding cuts it off and writes the real values per subscriber.
const headerTail = `,"dropped":0,"sent_unix_ms":0}`

// maxTailLen is the longest tail message writes: two 20-character int64s.
const maxTailLen = len(`,"dropped":,"sent_unix_ms":}`) + 2*20

// encoding is one batch ready to send: the header without its per-subscriber
// tail, and the frames whose PCM the first message converts.
type encoding struct {
	prefix []byte
	frames []media.Frame
	pcmLen int
	pcm    []byte // the PCM inside the first message built, shared by copies
}

func newEncoding(sessionID string, b media.Batch, p media.Params) (*encoding, error) {
	h := Header{
		Version:      Version,
		SessionID:    sessionID,
		Batch:        b.Index,
		FirstFrame:   b.FirstFrame,
		Frames:       len(b.Frames),
		SampleRate:   p.SampleRate,
		Channels:     p.Channels,
		FPS:          p.FPS,
		BatchSize:    cmp.Or(b.BatchSize, p.BatchSize),
		FrameSamples: make([]int, len(b.Frames)),
		Features:     make([]media.Features, len(b.Frames)),
	}
	if len(b.Frames) > 0 {
		f := b.Frames[0]
		h.SampleRate = cmp.Or(f.SampleRate, h.SampleRate)
		h.Channels = cmp.Or(f.Channels, h.Channels)
		h.FPS = cmp.Or(f.FPS, h.FPS)
	}
	if h.Channels < 1 || h.SampleRate < 1 {
		return nil, fmt.Errorf("feed: encode batch %d: %d Hz × %d channels: %w",
			b.Index, h.SampleRate, h.Channels, media.ErrInvalid)
	}
	pcmLen := 0
	for i, f := range b.Frames {
		if (f.SampleRate != 0 && f.SampleRate != h.SampleRate) || (f.Channels != 0 && f.Channels != h.Channels) {
			return nil, fmt.Errorf("feed: encode batch %d: frame %d is %d Hz × %d, frame %d is %d Hz × %d: %w",
				b.Index, f.Index, f.SampleRate, f.Channels, b.Frames[0].Index, h.SampleRate, h.Channels, media.ErrInvalid)
		}
		if len(f.Samples)%h.Channels != 0 {
			return nil, fmt.Errorf("feed: encode batch %d: frame %d has %d samples, not a multiple of %d channels: %w",
				b.Index, f.Index, len(f.Samples), h.Channels, media.ErrInvalid)
		}
		h.FrameSamples[i] = len(f.Samples) / h.Channels
		if h.FrameSamples[i] > MaxFrameSamples {
			return nil, fmt.Errorf("feed: encode batch %d: frame %d has %d samples per channel, more than %d: %w",
				b.Index, f.Index, h.FrameSamples[i], MaxFrameSamples, media.ErrInvalid)
		}
		h.Features[i] = f.Features
		pcmLen += 2 * len(f.Samples)
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("feed: encode batch %d: header: %w", b.Index, err)
	}
	prefix, ok := bytes.CutSuffix(js, []byte(headerTail))
	if !ok {
		return nil, fmt.Errorf("feed: encode batch %d: header does not end in %s", b.Index, headerTail)
	}
	if len(prefix)+maxTailLen > MaxHeaderLen {
		return nil, fmt.Errorf("feed: encode batch %d: header of %d bytes exceeds %d: %w",
			b.Index, len(prefix)+maxTailLen, MaxHeaderLen, media.ErrInvalid)
	}
	return &encoding{prefix: prefix, frames: b.Frames, pcmLen: pcmLen}, nil
}

// message composes the message for one subscriber. The first call converts
// the PCM; later calls copy it. Messages are never written to once built,
// so subscribers with equal headers may share one.
func (e *encoding) message(dropped, sentAt int64) []byte {
	var tailBuf [maxTailLen]byte
	tail := append(tailBuf[:0], `,"dropped":`...)
	tail = strconv.AppendInt(tail, dropped, 10)
	tail = append(tail, `,"sent_unix_ms":`...)
	tail = strconv.AppendInt(tail, sentAt, 10)
	tail = append(tail, '}')

	n := len(e.prefix) + len(tail)
	msg := make([]byte, 4, 4+n+e.pcmLen)
	binary.LittleEndian.PutUint32(msg, uint32(n))
	msg = append(msg, e.prefix...)
	msg = append(msg, tail...)
	if e.pcm != nil {
		return append(msg, e.pcm...)
	}
	start := len(msg)
	for _, f := range e.frames {
		msg = media.AppendS16LE(msg, f.Samples)
	}
	e.pcm = msg[start:]
	return msg
}

// Decode parses a message: its header and its PCM, interleaved int16. It
// checks that the lengths agree and returns an error wrapping ErrMalformed
// otherwise; it does not panic on any input.
func Decode(msg []byte) (Header, []int16, error) {
	if len(msg) < 4 {
		return Header{}, nil, fmt.Errorf("%w: %d bytes, shorter than the length prefix", ErrMalformed, len(msg))
	}
	n := binary.LittleEndian.Uint32(msg)
	if n < 2 || n > MaxHeaderLen {
		return Header{}, nil, fmt.Errorf("%w: header length %d outside 2..%d", ErrMalformed, n, MaxHeaderLen)
	}
	if uint64(n) > uint64(len(msg)-4) {
		return Header{}, nil, fmt.Errorf("%w: header length %d beyond the %d bytes after the prefix", ErrMalformed, n, len(msg)-4)
	}
	var h Header
	if err := json.Unmarshal(msg[4:4+n], &h); err != nil {
		return Header{}, nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	if err := h.check(); err != nil {
		return Header{}, nil, err
	}
	pcm := msg[4+n:]
	if len(pcm)%2 != 0 {
		return Header{}, nil, fmt.Errorf("%w: odd PCM length %d", ErrMalformed, len(pcm))
	}
	samples := len(pcm) / 2
	perChannel := 0
	for _, fs := range h.FrameSamples {
		if perChannel += fs; perChannel > samples {
			break // the check below fails; stopping early also rules out overflow
		}
	}
	// samples == perChannel × channels, without multiplying.
	if (perChannel == 0 && samples != 0) ||
		(perChannel != 0 && (samples%perChannel != 0 || samples/perChannel != h.Channels)) {
		return Header{}, nil, fmt.Errorf("%w: %d PCM bytes, header says %d samples × %d channels",
			ErrMalformed, len(pcm), perChannel, h.Channels)
	}
	out := make([]int16, samples)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(pcm[2*i:]))
	}
	return h, out, nil
}

// check validates the header fields Decode relies on.
func (h *Header) check() error {
	switch {
	case h.Version != Version:
		return fmt.Errorf("%w: version %d, want %d", ErrMalformed, h.Version, Version)
	case h.Channels < 1 || h.SampleRate < 1:
		return fmt.Errorf("%w: %d Hz × %d channels", ErrMalformed, h.SampleRate, h.Channels)
	case h.Frames != len(h.FrameSamples):
		return fmt.Errorf("%w: frames %d but %d frame_samples", ErrMalformed, h.Frames, len(h.FrameSamples))
	case h.Frames != len(h.Features):
		return fmt.Errorf("%w: frames %d but %d features", ErrMalformed, h.Frames, len(h.Features))
	}
	for i, fs := range h.FrameSamples {
		if fs < 0 || fs > MaxFrameSamples {
			return fmt.Errorf("%w: frame_samples[%d] = %d outside 0..%d", ErrMalformed, i, fs, MaxFrameSamples)
		}
	}
	return nil
}
