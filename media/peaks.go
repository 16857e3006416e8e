package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// PeakBuckets is how many levels a waveform thumbnail has.
const PeakBuckets = 120

// Peaks reads frames frames of interleaved little-endian int16 PCM from r
// and returns the waveform thumbnail: for each of buckets equal spans, its
// peak level on a 0-255 scale. It streams: memory does not grow with the
// take.
func Peaks(r io.Reader, channels int, frames int64, buckets int) ([]byte, error) {
	if channels < 1 || buckets < 1 {
		return nil, fmt.Errorf("media: peaks of %d channels in %d buckets: %w", channels, buckets, ErrInvalid)
	}
	out := make([]byte, buckets)
	if frames <= 0 {
		return out, nil
	}
	br := bufio.NewReaderSize(r, 64<<10)
	sample := make([]byte, 2*channels)
	for i := int64(0); i < frames; i++ {
		if _, err := io.ReadFull(br, sample); err != nil {
			return nil, fmt.Errorf("media: peaks: frame %d of %d: %w", i, frames, err)
		}
		b := int(i * int64(buckets) / frames)
		for c := range channels {
			v := int(int16(binary.LittleEndian.Uint16(sample[2*c:])))
			out[b] = max(out[b], level(math.Abs(float64(v))/32768))
		}
	}
	return out, nil
}

// PeaksOf is Peaks for float samples already in memory (interleaved).
func PeaksOf(samples []float32, channels, buckets int) []byte {
	out := make([]byte, buckets)
	frames := len(samples) / channels
	for i := range frames {
		b := i * buckets / frames
		for c := range channels {
			out[b] = max(out[b], level(math.Abs(float64(samples[i*channels+c]))))
		}
	}
	return out
}

// Level maps one sample to a 0-255 waveform level.
func Level(s float32) byte { return level(math.Abs(float64(s))) }

// level maps an amplitude in 0..1 to 0..255 on a square-root scale, so
// quiet speech still shows in a small thumbnail.
func level(a float64) byte {
	return byte(math.Round(math.Sqrt(min(a, 1)) * 255))
}

// WaveformPath draws peaks (0-255 levels) as a filled, mirrored SVG path
// in a 120×32 box: one bar per bucket. It is drawn once, when a recording
// is saved, and kept with it: the list shows many at a time.
func WaveformPath(peaks []byte) string {
	if len(peaks) == 0 {
		return ""
	}
	b := make([]byte, 0, len(peaks)*40)
	w := 120.0 / float64(len(peaks))
	num := func(prefix byte, v float64) {
		b = append(b, prefix)
		b = strconv.AppendFloat(b, v, 'f', 2, 64)
	}
	for i, p := range peaks {
		h := float64(p) / 255 * 15
		num('M', float64(i)*w)
		num(' ', 16-h)
		num('h', w*0.8)
		num('v', 2*h+0.5)
		num('h', -w*0.8)
		b = append(b, 'z')
	}
	return string(b)
}
