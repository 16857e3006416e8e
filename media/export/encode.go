package export

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
)

// Bitrate is what a WAV take of channels channels is encoded to Ogg Opus
// at: 64 kbit/s mono, 96 kbit/s stereo (28.8 and 43.2 MB an hour, a
// twelfth of a 48 kHz mono WAV). At 32 kbit/s, what WebRTC sends voice
// at, libopus codes speech with SILK: it sounds right but does not keep
// the waveform, and a spoken take decoded back correlated 0.94–0.96 with
// itself, short of the 0.99 every export is held to; at 64 kbit/s it
// correlates 0.994–0.999 (TestWAVToOggOpus).
func Bitrate(channels int) int {
	if channels == 2 {
		return 96000
	}
	return 64000
}

// EncodedSize is about the size of the Ogg Opus a WAV take of seconds and
// channels encodes to, for a menu to show without reading the file (Plan
// measures it exactly): its packets, and the header and lacing values of
// its one-second pages.
func EncodedSize(seconds float64, channels int) int64 {
	const headers, page = 140, 27 + 50 // two header pages; a page of 50 packets
	return headers + int64(seconds*(float64(Bitrate(channels))/8+page))
}

// encodeSerial is the Ogg stream serial of an encoded file: fixed, so the
// plan and the download write the same bytes.
const encodeSerial = 0x52454332

// encodeVendor goes into the OpusTags of an encoded file.
const encodeVendor = "recorder export (libopus, CBR)"

// encodeWAV plans the Ogg Opus of a WAV take, encoded with libopus (only
// in a build with it: -tags libopus, the release image). See encodeOgg.
func encodeWAV(src Source) (*Export, error) {
	if !media.HaveOpusEncoder {
		return nil, notOffered("a WAV recording cannot be exported as Ogg Opus: this server has no Opus encoder (the release build has one)")
	}
	p, err := wavPCM(src)
	if err != nil {
		return nil, err
	}
	return encodeOgg(p, "WAV")
}

// encodeAAC plans the Ogg Opus of an MP4 take's AAC track (Safari's),
// decoded with media/aac as its WAV export is and encoded with libopus
// (only in a build with it). WebKit records at 44.1 kHz, not a rate Opus
// takes, so its audio is resampled to 48 kHz first. Its length is known
// from the MP4's sample table, so, as a WAV take's, it is planned exactly
// without decoding anything.
func encodeAAC(tr *mp4.Track) (*Export, error) {
	if !media.HaveOpusEncoder {
		return nil, notOffered("an AAC recording cannot be exported as Ogg Opus: this server has no Opus encoder (the release build has one)")
	}
	p, err := aacPCM(tr)
	if err != nil {
		return nil, err
	}
	return encodeOgg(p, "AAC")
}

// encodeOgg plans the Ogg Opus of p encoded with the build's encoder. The
// encoder runs at a constant bit rate, so every packet has the same size
// and the file's is known before anything is encoded: the download has a
// Content-Length like the other exports, and HEAD answers it without
// encoding. (VBR would save a little on pauses but could only be measured
// by encoding twice.)
//
// PCM at an Opus rate (8, 12, 16, 24, 48 kHz) is encoded as it is; any
// other is resampled to 48 kHz. The stream's pre-skip is the encoder's
// lookahead, and its last granule position trims the padding of the last
// frame, so it decodes to p's exact length. what names p's codec in a
// refusal.
func encodeOgg(p pcmSource, what string) (*Export, error) {
	if p.channels != 1 && p.channels != 2 {
		return nil, notOffered(fmt.Sprintf("a %s recording of %d channels cannot be exported as Ogg Opus", what, p.channels))
	}
	rate := p.rate
	if !media.OpusInputRate(rate) {
		rate = media.OpusRate
	}
	enc, err := media.NewOpusEncoder(rate, p.channels, Bitrate(p.channels))
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	scale := int64(media.OpusRate / rate) // an Opus rate divides 48 kHz
	frames := (p.frames*int64(rate) + int64(p.rate) - 1) / int64(p.rate)
	frameSize := int64(enc.FrameSize())
	// Enough frames that the decoder, once it drops the lookahead, gives
	// every input sample: less than one frame of padding is trimmed.
	packets := (int64(enc.Lookahead()) + frames + frameSize - 1) / frameSize
	preSkip := int64(enc.Lookahead()) * scale
	end := preSkip + frames*scale
	plan := oggPlan{channels: p.channels, inputRate: p.rate, preSkip: int(preSkip), packets: packets, end: end}
	// The size: the same pages of packets of the one size, counted.
	var n counter
	dummy := make([]byte, enc.PacketBytes())
	dummy[0] = 31 << 3 // a 20 ms frame; the size is all that counts
	o, err := plan.start(&n)
	if err != nil {
		return nil, err
	}
	for range packets {
		if err := o.put(dummy); err != nil {
			return nil, err
		}
	}
	if err := o.close(); err != nil {
		return nil, err
	}
	return &Export{
		Format: OggOpus, Size: int64(n), MIME: "audio/ogg;codecs=opus", Ext: ".ogg",
		write: func(ctx context.Context, out io.Writer) error {
			bw := bufio.NewWriterSize(out, 64<<10)
			if err := encode(ctx, p, rate, plan, bw); err != nil {
				return fmt.Errorf("export: encode Ogg Opus: %w", err)
			}
			return bw.Flush()
		},
	}, nil
}

// oggPlan is the layout of an encoded stream, known before encoding.
type oggPlan struct {
	channels, inputRate, preSkip int
	packets                      int64 // in all
	end                          int64 // the last granule position
}

// oggOut writes the packets of a planned stream as they come, holding the
// last one back for the end trim.
type oggOut struct {
	plan oggPlan
	ow   *ogg.Writer
	held []byte
	n    int64 // packets taken
}

func (pl oggPlan) start(w io.Writer) (*oggOut, error) {
	ow, err := ogg.NewWriterSkip(w, encodeSerial, pl.channels, pl.inputRate, pl.preSkip, encodeVendor)
	if err != nil {
		return nil, err
	}
	return &oggOut{plan: pl, ow: ow}, nil
}

// full reports whether every planned packet was taken.
func (o *oggOut) full() bool { return o.n == o.plan.packets }

// put takes the next packet, writing the one before.
func (o *oggOut) put(pkt []byte) error {
	if o.full() {
		return fmt.Errorf("packet %d of a stream planned with %d", o.n+1, o.plan.packets)
	}
	o.n++
	if o.held != nil {
		if err := o.ow.WritePacket(o.held); err != nil {
			return err
		}
	}
	o.held = append(o.held[:0], pkt...)
	return nil
}

// close writes the held packet on the last page, with the end trim.
func (o *oggOut) close() error {
	if !o.full() {
		return fmt.Errorf("%d packets of a stream planned with %d", o.n, o.plan.packets)
	}
	return o.ow.CloseWith(o.held, o.plan.end)
}

// encode streams p, resampled to rate if it is not there, through a new
// encoder into the planned stream: one block of PCM and one frame at a
// time. The input runs out before the plan: the rest is silence, the
// encoder's lookahead and the last frame's padding.
func encode(ctx context.Context, p pcmSource, rate int, plan oggPlan, w io.Writer) error {
	enc, err := media.NewOpusEncoder(rate, p.channels, Bitrate(p.channels))
	if err != nil {
		return err
	}
	rs, err := media.NewResampler(p.rate, rate, p.channels)
	if err != nil {
		return err
	}
	o, err := plan.start(w)
	if err != nil {
		return err
	}
	frameLen := enc.FrameSize() * p.channels
	frame := make([]float32, 0, frameLen)
	pkt := make([]byte, enc.PacketBytes())
	var resampled []float32
	// feed adds samples to the frame, encoding each one it fills.
	feed := func(samples []float32) error {
		for len(samples) > 0 && !o.full() {
			k := min(len(samples), frameLen-len(frame))
			frame = append(frame, samples[:k]...)
			samples = samples[k:]
			if len(frame) == frameLen {
				b, err := enc.Encode(frame, pkt)
				if err != nil {
					return err
				}
				if err := o.put(b); err != nil {
					return err
				}
				frame = frame[:0]
			}
		}
		return nil
	}
	left := p.frames
	err = p.walk(ctx, func(block []float32) error {
		n := min(int64(len(block)/p.channels), left)
		left -= n
		resampled = rs.Process(resampled[:0], block[:n*int64(p.channels)])
		return feed(resampled)
	})
	if err != nil {
		return err
	}
	if err := feed(rs.Flush(resampled[:0])); err != nil {
		return err
	}
	zeros := make([]float32, frameLen)
	for !o.full() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := feed(zeros[:frameLen-len(frame)]); err != nil {
			return err
		}
	}
	return o.close()
}
