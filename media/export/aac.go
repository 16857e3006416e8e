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

// mp4PCM decodes the AAC-LC of an MP4 file (what Safari records). Its
// length is the track's sample durations less the priming: the edit
// list's start where there is one, else aacPriming.
func mp4PCM(src Source) (pcmSource, error) {
	tr, err := mp4.ReadTrack(src.R, src.Size)
	if err != nil {
		return pcmSource{}, unreadable("MP4", err)
	}
	if tr.Codec != mp4.CodecAAC {
		return pcmSource{}, media.Invalidf("the MP4 file holds %q audio, not AAC", tr.Codec)
	}
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
