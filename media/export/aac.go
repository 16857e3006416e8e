package export

import (
	"context"
	"fmt"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/aac"
	"github.com/avatarweb/recorder/media/mp4"
)

// aacPriming is the encoder delay assumed where an MP4 has no edit list
// to say it (Safari's and WebKit's fragmented takes): AAC encoders start
// with one frame of priming, 1024 samples, and the decoder's first frame
// is that delay.
const aacPriming = 1024

// mp4PCM decodes the AAC-LC of an MP4 file (what Safari records, aacPCM),
// or its Opus (mp4OpusPCM).
func mp4PCM(src Source) (pcmSource, error) {
	tr, err := mp4.ReadTrack(src.R, src.Size)
	if err != nil {
		return pcmSource{}, unreadable("MP4", err)
	}
	switch tr.Codec {
	case mp4.CodecAAC:
		return aacPCM(tr)
	case "Opus":
		return mp4OpusPCM(tr)
	}
	return pcmSource{}, media.Invalidf("the MP4 file holds %q audio, not AAC or Opus", tr.Codec)
}

// aacPCM decodes the AAC-LC track of an MP4 file with media/aac. Its
// length is the track's sample durations less the priming: the edit
// list's start where there is one, else aacPriming.
func aacPCM(tr *mp4.Track) (pcmSource, error) {
	cfg, err := aac.ParseConfig(tr.DecoderConfig)
	if err != nil {
		return pcmSource{}, fmt.Errorf("export: the MP4's AAC: %w", err)
	}
	skip := tr.Skip
	if skip < 0 {
		skip = aacPriming
	}
	// Durations are in the track's timescale, which may differ from the
	// AAC sample rate.
	scale := func(ticks int64) int64 { return ticks * int64(cfg.SampleRate) / int64(max(tr.Timescale, 1)) }
	p := pcmSource{rate: cfg.SampleRate, channels: cfg.Channels, frames: max(0, scale(tr.Ticks)-scale(skip))}
	p.walk = func(ctx context.Context, emit func([]float32) error) error {
		dec, err := aac.NewDecoder(cfg)
		if err != nil {
			return err
		}
		buf := make([]float32, aac.FrameSamples*cfg.Channels)
		drop := int(scale(skip))
		return tr.EachSample(func(frame []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			// A frame that does not decode comes out as silence of its
			// length, as a lost Opus packet does.
			n, _ := dec.Decode(frame, buf)
			d := min(drop, n)
			drop -= d
			if d == n {
				return nil
			}
			return emit(buf[d*cfg.Channels : n*cfg.Channels])
		})
	}
	return p, nil
}

// mp4OpusPCM decodes the Opus of an MP4 file (what Chromium records when
// asked for audio/mp4) as an Ogg's: every packet with the live path's
// decoder, the dOps pre-skip dropped; its length is the track's sample
// durations (48 kHz ticks) less the pre-skip.
func mp4OpusPCM(tr *mp4.Track) (pcmSource, error) {
	channels := tr.Channels
	if channels < 1 || channels > 2 {
		return pcmSource{}, media.Invalidf("an MP4 Opus file of %d channels cannot be exported", channels)
	}
	preSkip := 0
	if c := tr.DecoderConfig; len(c) >= 4 {
		preSkip = int(c[2])<<8 | int(c[3])
	}
	ticks := tr.Ticks * media.OpusRate / int64(max(tr.Timescale, 1))
	p := pcmSource{rate: media.OpusRate, channels: channels, frames: max(0, ticks-int64(preSkip))}
	p.walk = func(ctx context.Context, emit func([]float32) error) error {
		o, err := newOpusWalk(channels, preSkip)
		if err != nil {
			return err
		}
		return tr.EachSample(func(pkt []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return o.packet(pkt, emit)
		})
	}
	return p, nil
}
