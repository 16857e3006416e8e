package webm

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/pion/opus"

	"github.com/avatarweb/recorder/media"
)

// Probe measures a WebM file by streaming through it: the audio track's
// codec, rate and channels from its header, and the duration and block
// count from the blocks themselves, whatever the header claims. It handles
// unknown-size Segments and Clusters. On error the returned Info holds what
// was read before it (for a truncated file, the blocks up to the cut).
func Probe(r io.ReaderAt, size int64) (Info, error) {
	w := newWalker(r, size)
	err := w.walk()
	return w.info, err
}

// Packets calls fn for each frame of the audio track, in file order, with
// its timestamp and the raw packet. A laced block yields one call per
// frame; for Opus, each frame's timestamp is advanced by the durations of
// those before it. The packet is only valid during the call. An error from
// fn stops the walk and is returned as it is.
func Packets(r io.ReaderAt, size int64, fn func(ts time.Duration, packet []byte) error) error {
	w := newWalker(r, size)
	w.onBlock = func(b *block) error {
		ts := time.Duration(b.timecode * int64(w.info.TimecodeScale))
		for _, f := range b.frames {
			if err := fn(ts, f); err != nil {
				return err
			}
			if w.opus {
				ts += opusDuration(f)
			}
		}
		return nil
	}
	return w.walk()
}

// maxOpusSamples is the longest Opus packet (120 ms) in samples per channel.
const maxOpusSamples = media.OpusRate * 120 / 1000

// DecodeOpus decodes the whole audio track to interleaved float32 PCM at
// 48 kHz, dropping the OpusHead pre-skip. Packets are decoded back to back:
// a gap between block timestamps is not filled with silence. The PCM of
// the whole take is held in memory (an hour of stereo is about 1.4 GB), so
// this is for tests and for checks on short takes, not for long ones.
func DecodeOpus(r io.ReaderAt, size int64) (pcm []float32, channels int, err error) {
	w := newWalker(r, size)
	var (
		dec    opus.Decoder
		buf    []float32
		skip   int // samples per channel still to drop
		inited bool
	)
	start := func() error {
		inited = true
		if w.info.Codec != CodecOpus {
			return fmt.Errorf("webm: decode codec %q: %w", w.info.Codec, ErrUnsupported)
		}
		channels, skip = OpusLayout(w.info)
		var err error
		if dec, err = opus.NewDecoderWithOutput(media.OpusRate, channels); err != nil {
			return fmt.Errorf("webm: Opus decoder for %d channels: %w: %w", channels, ErrUnsupported, err)
		}
		buf = make([]float32, maxOpusSamples*channels)
		return nil
	}
	w.onBlock = func(b *block) error {
		if !inited {
			if err := start(); err != nil {
				return err
			}
		}
		for _, f := range b.frames {
			n, err := dec.DecodeToFloat32(f, buf)
			if err != nil {
				return fmt.Errorf("webm: decode Opus packet in block at %v: %w: %w", time.Duration(b.timecode*int64(w.info.TimecodeScale)), ErrNotWebM, err)
			}
			out := buf[:n*channels]
			drop := min(skip, n)
			skip -= drop
			pcm = append(pcm, out[drop*channels:]...)
		}
		return nil
	}
	if err := w.walk(); err != nil {
		return nil, 0, err
	}
	if !inited {
		if err := start(); err != nil {
			return nil, 0, err
		}
	}
	return pcm, channels, nil
}

// OpusLayout returns the channel count and pre-skip from the OpusHead in
// CodecPrivate, falling back to the track's Channels.
func OpusLayout(info Info) (channels, preSkip int) {
	h := info.CodecPrivate
	if len(h) >= 19 && string(h[:8]) == "OpusHead" {
		return int(h[9]), int(binary.LittleEndian.Uint16(h[10:12]))
	}
	return info.Channels, 0
}
