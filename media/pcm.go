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
// values outside [-1, 1]. It grows dst once and writes in place, four
// samples a step with one 64-bit store: fewer bounds checks and stores,
// and with s16Fast's single range check, 20–29 % less CPU time than
// FloatToS16 one sample at a time (BenchmarkAppendS16LE). The step is written out
// here rather than in a function: as a call it gave back half the gain.
func AppendS16LE(dst []byte, samples []float32) []byte {
	n := len(dst)
	dst = slices.Grow(dst, 2*len(samples))[:n+2*len(samples)]
	out := dst[n:]
	i := 0
	for ; i+4 <= len(samples); i += 4 {
		s := samples[i : i+4 : i+4]
		a, aok := s16Fast(s[0])
		b, bok := s16Fast(s[1])
		c, cok := s16Fast(s[2])
		d, dok := s16Fast(s[3])
		if !(aok && bok && cok && dok) { // rare: a sample that clips, or NaN
			a, b, c, d = FloatToS16(s[0]), FloatToS16(s[1]), FloatToS16(s[2]), FloatToS16(s[3])
		}
		packed := uint64(uint16(a)) | uint64(uint16(b))<<16 | uint64(uint16(c))<<32 | uint64(uint16(d))<<48
		binary.LittleEndian.PutUint64(out[2*i:], packed)
	}
	for ; i < len(samples); i++ {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(FloatToS16(samples[i])))
	}
	return dst
}

// s16Fast is FloatToS16 for |s| < 1, where nothing clips; ok is false for
// any other sample (NaN and ±Inf too), whose result must come from
// FloatToS16 (the value computed for it, out of int32's range or from a
// NaN, is only discarded). One comparison of the bits of |s| (ordered as the values
// are, NaN above +Inf) replaces the three tests, and the rounding is done
// on |s|, the sign applied to the integer: trunc(|v| + 0.5) negated is
// trunc(v − 0.5), since rounding to nearest is symmetric, so the bytes are
// FloatToS16's (TestFloatToS16SameAsBefore).
func s16Fast(s float32) (v int16, ok bool) {
	bits := math.Float32bits(s)
	abs := bits &^ (1 << 31)
	r := int32(float64(math.Float32frombits(abs))*32767 + 0.5)
	neg := int32(bits) >> 31                        // all ones when s is negative
	return int16((r ^ neg) - neg), abs < 0x3f800000 // 1.0
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
