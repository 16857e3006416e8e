package export

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/avatarweb/recorder/media"
)

// zeroFrames is how much silence the writer pads with at a time.
const zeroFrames = 4096

// wavExport plans the WAV of p at rate and channels: the header from the
// exact length, then p mixed to channels, resampled to rate and written
// as 16-bit samples, block by block.
func wavExport(p pcmSource, rate, channels int, f Format, suffix string) (*Export, error) {
	if channels != 1 && channels != 2 {
		return nil, media.Invalidf("WAV exports have 1 or 2 channels, not %d", channels)
	}
	rs, err := media.NewResampler(p.rate, rate, channels)
	if err != nil {
		return nil, err
	}
	// The resampler yields exactly ceil(in·rate/inRate) frames in all.
	frames := (p.frames*int64(rate) + int64(p.rate) - 1) / int64(p.rate)
	dataBytes := frames * int64(channels) * 2
	if media.WAVHeaderSize+dataBytes > 1<<32-1 {
		return nil, media.Invalidf("the recording is too long for a WAV file (4 GiB at most): download a lower rate")
	}
	w := &wavWriter{src: p, rs: rs, channels: channels, left: frames, in: p.frames}
	return &Export{
		Format: f, Size: media.WAVHeaderSize + dataBytes, MIME: media.WAVMIME, Ext: ".wav", Suffix: suffix,
		write: func(ctx context.Context, out io.Writer) error {
			bw := bufio.NewWriterSize(out, 64<<10)
			if _, err := bw.Write(media.WAVHeader(rate, channels, dataBytes)); err != nil {
				return err
			}
			if err := w.run(ctx, bw); err != nil {
				return fmt.Errorf("export: %s: %w", f, err)
			}
			return bw.Flush()
		},
	}, nil
}

// wavWriter is one run of a WAV export.
type wavWriter struct {
	src      pcmSource
	rs       *media.Resampler
	channels int
	in       int64 // source frames still to take
	left     int64 // output frames still to write

	mixed, out []float32
	s16        []byte
}

func (w *wavWriter) run(ctx context.Context, bw *bufio.Writer) error {
	err := w.src.walk(ctx, func(block []float32) error {
		n := min(int64(len(block)/w.src.channels), w.in)
		w.in -= n
		return w.feed(bw, block[:n*int64(w.src.channels)])
	})
	if err != nil {
		return err
	}
	// Short of the length the container gave (a packet that would not
	// decode): silence, so the file is as long as its header says.
	zeros := make([]float32, zeroFrames*w.src.channels)
	for w.in > 0 {
		n := min(w.in, zeroFrames)
		w.in -= n
		if err := w.feed(bw, zeros[:n*int64(w.src.channels)]); err != nil {
			return err
		}
	}
	w.out = w.rs.Flush(w.out[:0])
	if err := w.put(bw, w.out); err != nil {
		return err
	}
	clear(zeros)
	for w.left > 0 {
		if err := w.put(bw, zeros[:min(int64(len(zeros)), w.left*int64(w.channels))]); err != nil {
			return err
		}
	}
	return nil
}

// feed mixes and resamples one block and writes what comes out.
func (w *wavWriter) feed(bw *bufio.Writer, block []float32) error {
	w.mixed = mix(w.mixed[:0], block, w.src.channels, w.channels)
	w.out = w.rs.Process(w.out[:0], w.mixed)
	return w.put(bw, w.out)
}

// put writes samples as 16-bit PCM, up to the length in the header.
func (w *wavWriter) put(bw *bufio.Writer, samples []float32) error {
	n := min(int64(len(samples)/w.channels), w.left)
	w.left -= n
	w.s16 = media.AppendS16LE(w.s16[:0], samples[:n*int64(w.channels)])
	_, err := bw.Write(w.s16)
	return err
}

// mix appends in (from channels) to dst as to channels: a mono take
// doubled for stereo, a stereo one averaged for mono.
func mix(dst, in []float32, from, to int) []float32 {
	switch {
	case from == to:
		return append(dst, in...)
	case from == 1 && to == 2:
		for _, s := range in {
			dst = append(dst, s, s)
		}
	case from == 2 && to == 1:
		for i := 0; i+1 < len(in); i += 2 {
			dst = append(dst, (in[i]+in[i+1])/2)
		}
	}
	return dst
}
