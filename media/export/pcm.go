package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/webm"
)

// pcmSource is a stored take as PCM: its layout and exact length, known
// before decoding, and a walk that decodes it block by block.
type pcmSource struct {
	rate, channels int
	frames         int64 // samples per channel the walk yields
	// walk calls emit with each block of interleaved samples, in order.
	// The blocks are only valid during the call. It may yield a little
	// more or less than frames (a damaged packet): the writer holds the
	// length to frames.
	walk func(ctx context.Context, emit func([]float32) error) error
}

// openPCM measures src as PCM, for a WAV export.
func openPCM(ctx context.Context, c container, src Source) (pcmSource, error) {
	switch c {
	case wavFile:
		return wavPCM(src)
	case oggFile:
		return oggPCM(src)
	case webmFile:
		return webmPCM(ctx, src)
	case mp4File:
		return mp4PCM(src)
	}
	return pcmSource{}, notOffered(fmt.Sprintf("a %s recording cannot be exported as WAV: this server has no decoder for it", baseType(src.MIME)))
}

// unreadable wraps a stored file that does not parse.
func unreadable(what string, err error) error {
	return &media.Error{Kind: media.ErrBadAudio, Message: "the recording's " + what + " audio does not read", Err: err}
}

// blockBytes is how much a WAV source reads at a time.
const blockBytes = 32 << 10

// wavPCM reads the 16-bit samples of a WAV file.
func wavPCM(src Source) (pcmSource, error) {
	sr := io.NewSectionReader(src.R, 0, src.Size)
	info, err := media.ReadWAVHeader(sr)
	if err != nil {
		return pcmSource{}, unreadable("WAV", err)
	}
	start, _ := sr.Seek(0, io.SeekCurrent)
	data := min(info.DataBytes, src.Size-start)
	frameBytes := int64(2 * info.Channels)
	p := pcmSource{rate: info.SampleRate, channels: info.Channels, frames: data / frameBytes}
	p.walk = func(ctx context.Context, emit func([]float32) error) error {
		r := io.NewSectionReader(src.R, start, p.frames*frameBytes)
		buf := make([]byte, blockBytes)
		pcm := make([]float32, 0, blockBytes/2)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := io.ReadFull(r, buf)
			if n > 0 {
				if err := emit(media.S16LEToFloat(pcm[:0], buf[:n])); err != nil {
					return err
				}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("export: read WAV: %w", err)
			}
		}
	}
	return p, nil
}

// maxPacketFrames is the longest Opus packet (120 ms) in samples per
// channel.
const maxPacketFrames = media.OpusRate * 120 / 1000

// opusWalk decodes packets with the live path's decoder, dropping the
// first preSkip samples (the encoder's delay). A packet the decoder
// refuses (or the zero-length frames that stand for lost time) becomes
// silence of its length, as it does live.
type opusWalk struct {
	dec      media.OpusDecoder
	channels int
	skip     int
	buf      []float32
}

func newOpusWalk(channels, preSkip int) (*opusWalk, error) {
	dec, err := media.NewOpusDecoder(channels)
	if err != nil {
		return nil, fmt.Errorf("export: Opus decoder for %d channels: %w", channels, err)
	}
	return &opusWalk{dec: dec, channels: channels, skip: preSkip, buf: make([]float32, maxPacketFrames*channels)}, nil
}

func (o *opusWalk) packet(pkt []byte, emit func([]float32) error) error {
	n, err := o.dec.DecodeToFloat32(pkt, o.buf)
	if err != nil || n <= 0 {
		samples, _ := ogg.PacketSamples(pkt)
		n = int(samples)
		clear(o.buf[:n*o.channels])
	}
	drop := min(o.skip, n)
	o.skip -= drop
	if drop == n {
		return nil
	}
	return emit(o.buf[drop*o.channels : n*o.channels])
}

// silence emits n samples of silence (time with no packet), in blocks of
// the decode buffer.
func (o *opusWalk) silence(n int64, emit func([]float32) error) error {
	drop := min(int64(o.skip), n)
	o.skip -= int(drop)
	n -= drop
	clear(o.buf)
	for n > 0 {
		k := min(n, int64(len(o.buf)/o.channels))
		if err := emit(o.buf[:k*int64(o.channels)]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// oggPCM decodes an Ogg Opus file: its length is the last granule
// position less the pre-skip, as a player reads it.
func oggPCM(src Source) (pcmSource, error) {
	info, err := ogg.Probe(io.NewSectionReader(src.R, 0, src.Size))
	if err != nil {
		return pcmSource{}, unreadable("Ogg Opus", err)
	}
	if info.Channels > 2 {
		return pcmSource{}, media.Invalidf("an Ogg Opus file of %d channels cannot be exported", info.Channels)
	}
	p := pcmSource{rate: ogg.Rate, channels: info.Channels, frames: max(0, info.Granule-int64(info.PreSkip))}
	p.walk = func(ctx context.Context, emit func([]float32) error) error {
		o, err := newOpusWalk(info.Channels, info.PreSkip)
		if err != nil {
			return err
		}
		return ogg.Packets(io.NewSectionReader(src.R, 0, src.Size), func(_ int64, pkt []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return o.packet(pkt, emit)
		})
	}
	return p, nil
}

// webmPCM decodes a WebM Opus file with its packets placed by their
// timestamps (see webm.Timeline): a gap between blocks becomes silence of its
// length, so the WAV lasts as long as the take, as a player plays it.
// The OpusHead's pre-skip is dropped. Its length is counted from the
// packets' TOC bytes and the gaps.
func webmPCM(ctx context.Context, src Source) (pcmSource, error) {
	info, err := probeWebMOpus(src)
	if err != nil {
		return pcmSource{}, err
	}
	channels, preSkip := webm.OpusLayout(info)
	var tl webm.Timeline
	err = webm.Packets(src.R, src.Size, func(ts time.Duration, pkt []byte) error {
		n, _ := ogg.PacketSamples(pkt)
		tl.Place(ts, n)
		return ctx.Err()
	})
	total := tl.Placed()
	if err != nil {
		return pcmSource{}, unreadable("WebM", err)
	}
	p := pcmSource{rate: media.OpusRate, channels: channels, frames: max(0, total-int64(preSkip))}
	p.walk = func(ctx context.Context, emit func([]float32) error) error {
		o, err := newOpusWalk(channels, preSkip)
		if err != nil {
			return err
		}
		var tl webm.Timeline
		return webm.Packets(src.R, src.Size, func(ts time.Duration, pkt []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, _ := ogg.PacketSamples(pkt)
			if gap := tl.Place(ts, n); gap > 0 {
				if err := o.silence(gap, emit); err != nil {
					return err
				}
			}
			return o.packet(pkt, emit)
		})
	}
	return p, nil
}

// probeWebMOpus checks that src is WebM holding Opus of one or two
// channels.
func probeWebMOpus(src Source) (webm.Info, error) {
	info, err := webm.Probe(src.R, src.Size)
	if err != nil {
		return info, unreadable("WebM", err)
	}
	if info.Codec != webm.CodecOpus {
		return info, media.Invalidf("the WebM file holds %q audio, not Opus", info.Codec)
	}
	if ch, _ := webm.OpusLayout(info); ch < 1 || ch > 2 {
		return info, media.Invalidf("a WebM Opus file of %d channels cannot be exported", ch)
	}
	return info, nil
}
