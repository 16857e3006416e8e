package mp4

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Track is the audio track of an MP4 file laid out for decoding: its
// codec configuration, its samples in order wherever they lie (in the
// moov's chunks or in fragments), and the encoder delay its edit list
// skips.
type Track struct {
	Info
	// DecoderConfig is the codec configuration of the sample entry: for
	// AAC, the AudioSpecificConfig from the esds box; for Opus, the dOps
	// box's payload (version, channels, pre-skip, ...). Nil if absent.
	DecoderConfig []byte
	// Skip is where the edit list starts the presentation, in samples of
	// the track's timescale (the encoder's priming, e.g. 1024 for AAC),
	// or -1 if the file has no edit list (Safari's fragmented files).
	Skip int64
	// Ticks is the sum of the samples' durations, in the timescale.
	Ticks int64

	w *walker
}

// ReadTrack reads the layout of r's audio track: the whole file's box
// structure and sample tables (8 bytes a sample are kept), not the media.
func ReadTrack(r io.ReaderAt, size int64) (*Track, error) {
	wk, err := collect(r, size)
	if err != nil {
		return nil, err
	}
	if !wk.info.Fragmented {
		err = wk.readSampleTables()
	} else if wk.audio.samples > 0 {
		err = fmt.Errorf("mp4: samples both in the moov and in fragments: %w", ErrCannotFix)
	}
	if err != nil {
		return nil, err
	}
	t := &Track{Info: wk.info, DecoderConfig: wk.decoderConfig, Skip: wk.skip, w: wk}
	t.Samples = len(wk.sizes)
	for _, d := range wk.durs {
		t.Ticks += int64(d)
	}
	return t, nil
}

// maxSampleBytes bounds one audio sample: an AAC frame is at most 768
// bytes a channel, an Opus packet under 1.3 kB.
const maxSampleBytes = 1 << 16

// EachSample calls fn with each sample's bytes, in order; they are valid
// only during the call. It stops at fn's first error and returns it.
func (t *Track) EachSample(fn func(data []byte) error) error {
	wk := t.w
	buf := make([]byte, 0, 4096)
	for _, run := range wk.runs {
		at := run.start
		for i := run.first; i < run.first+run.count; i++ {
			n := int(wk.sizes[i])
			if n > maxSampleBytes {
				return fmt.Errorf("mp4: %d-byte sample at offset %d: %w", n, at, ErrNotMP4)
			}
			if cap(buf) < n {
				buf = make([]byte, n)
			}
			p := buf[:n]
			if err := wk.readInto(p, at); err != nil {
				return err
			}
			if err := fn(p); err != nil {
				return err
			}
			at += int64(n)
		}
	}
	return nil
}

// editList reads an edts box's elst: where the first non-empty edit
// starts in the media, which is how encoders mark their priming samples.
func (w *walker) editList(edts box) error {
	return w.children(edts, func(b box) error {
		if b.typ != typeElst || w.skip >= 0 {
			return nil
		}
		p, err := w.payload(b, 8)
		if err != nil {
			return err
		}
		version, count := p[0], binary.BigEndian.Uint32(p[4:])
		entry := int64(12)
		if version == 1 {
			entry = 20
		}
		for i := range min(int64(count), 16) {
			at := 8 + i*entry
			if b.len() < at+entry {
				return fmt.Errorf("mp4: elst at offset %d: %d entries do not fit: %w", b.off, count, ErrNotMP4)
			}
			e, err := w.read(b.data()+at, int(entry))
			if err != nil {
				return err
			}
			var media int64
			if version == 1 {
				media = int64(binary.BigEndian.Uint64(e[8:]))
			} else {
				media = int64(int32(binary.BigEndian.Uint32(e[4:])))
			}
			if media >= 0 { // -1 is an empty edit (a delay)
				w.skip = media
				return nil
			}
		}
		return nil
	})
}
