package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// countingWAV is a WAV of frames frames whose every sample is its frame's
// index (mod 2^16), so a cut shows where it fell.
func countingWAV(rate, channels, frames int) []byte {
	b := media.WAVHeader(rate, channels, int64(frames*channels*2))
	for i := range frames {
		for range channels {
			b = binary.LittleEndian.AppendUint16(b, uint16(i))
		}
	}
	return b
}

// A WAV is cut at the samples the span names, its header sized to them.
func TestCutWAVAtSamples(t *testing.T) {
	const rate, channels = 16000, 2
	src := countingWAV(rate, channels, 3*rate) // 3 s
	for _, c := range []struct {
		span        media.Selection
		first, last int // frames kept: [first, last)
	}{
		{media.Selection{Start: 0, End: 3 * time.Second}, 0, 48000},
		{media.Selection{Start: time.Second, End: 2 * time.Second}, 16000, 32000},
		{media.Selection{Start: 1234 * time.Millisecond, End: 2500 * time.Millisecond}, 19744, 40000},
		{media.Selection{Start: 2 * time.Second, End: 3*time.Second + 10*time.Millisecond}, 32000, 48000}, // past the end by less than a packet: clamped
	} {
		var out bytes.Buffer
		info, err := media.CutWAV(&out, bytes.NewReader(src), c.span)
		if err != nil {
			t.Fatalf("%+v: %v", c.span, err)
		}
		got, err := media.ReadWAVHeader(bytes.NewReader(out.Bytes()))
		if err != nil || got != info {
			t.Fatalf("%+v: header reads %+v, %v; CutWAV says %+v", c.span, got, err, info)
		}
		frames := int(got.DataBytes) / (2 * channels)
		if frames != c.last-c.first || out.Len() != media.WAVHeaderSize+int(got.DataBytes) {
			t.Fatalf("%+v: %d frames in %d bytes, want %d", c.span, frames, out.Len(), c.last-c.first)
		}
		pcm := out.Bytes()[media.WAVHeaderSize:]
		if f := binary.LittleEndian.Uint16(pcm); int(f) != c.first%65536 {
			t.Errorf("%+v: first sample is frame %d, want %d", c.span, f, c.first)
		}
		if f := binary.LittleEndian.Uint16(pcm[len(pcm)-2:]); int(f) != (c.last-1)%65536 {
			t.Errorf("%+v: last sample is frame %d, want %d", c.span, f, c.last-1)
		}
	}
}

// A span that is no part of the recording is refused, and nothing written.
func TestCutWAVRefusesBadSpans(t *testing.T) {
	src := countingWAV(8000, 1, 8000) // 1 s
	for _, s := range []media.Selection{
		{Start: 500 * time.Millisecond, End: 500 * time.Millisecond},
		{Start: 600 * time.Millisecond, End: 500 * time.Millisecond},
		{Start: -time.Millisecond, End: 500 * time.Millisecond},
		{Start: time.Second, End: 2 * time.Second},
		{Start: 0, End: 2 * time.Second},
		{Start: 100 * time.Millisecond, End: 110 * time.Millisecond},
	} {
		var out bytes.Buffer
		_, err := media.CutWAV(&out, bytes.NewReader(src), s)
		if !errors.Is(err, media.ErrInvalid) || out.Len() != 0 {
			t.Errorf("%+v: err %v, %d bytes written; want ErrInvalid and none", s, err, out.Len())
		}
	}
}
