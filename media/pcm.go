package media

import (
	"encoding/binary"
	"math"
	"slices"
	"time"
)

// PCM is a block of interleaved float32 samples in [-1, 1].
type PCM struct {
	Samples    []float32
	SampleRate int
	Channels   int
	// Arrival is when the RTP packet this audio came from reached the
	// server (for silence, the packet that revealed the gap): stages pass
	// it on so the end of the pipeline can measure its latency.
	Arrival time.Time
}

// Frames returns the number of samples per channel.
func (p PCM) Frames() int {
	if p.Channels == 0 {
		return 0
	}
	return len(p.Samples) / p.Channels
}

// AppendS16LE appends samples as little-endian signed 16-bit PCM, clipping
// values outside [-1, 1]. It grows dst once and writes in place.
func AppendS16LE(dst []byte, samples []float32) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(samples))[:n+2*len(samples)]
	out := dst[n:]
	for i, s := range samples {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(FloatToS16(s)))
	}
	return dst
}

// FloatToS16 converts one sample to int16, rounding half away from zero
// (as math.Round does) and clipping. The product is exact in float64, so
// adding ±0.5 and truncating rounds exactly; NaN becomes 0. The ±0.5
// takes the sign of the sample by Copysign, not by a branch: a branch on
// the sign of audio is mispredicted at every crossing of zero under noise.
func FloatToS16(s float32) int16 {
	v := float64(s) * 32767
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v != v: // NaN
		return 0
	}
	return int16(v + math.Copysign(0.5, v))
}

// S16LEToFloat decodes little-endian signed 16-bit PCM into dst.
func S16LEToFloat(dst []float32, src []byte) []float32 {
	for i := 0; i+1 < len(src); i += 2 {
		dst = append(dst, float32(int16(binary.LittleEndian.Uint16(src[i:])))/32767)
	}
	return dst
}
