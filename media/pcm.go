package media

import (
	"encoding/binary"
	"math"
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
// values outside [-1, 1].
func AppendS16LE(dst []byte, samples []float32) []byte {
	for _, s := range samples {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(FloatToS16(s)))
	}
	return dst
}

// FloatToS16 converts one sample to int16 with rounding and clipping.
func FloatToS16(s float32) int16 {
	v := math.Round(float64(s) * 32767)
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}

// S16LEToFloat decodes little-endian signed 16-bit PCM into dst.
func S16LEToFloat(dst []float32, src []byte) []float32 {
	for i := 0; i+1 < len(src); i += 2 {
		dst = append(dst, float32(int16(binary.LittleEndian.Uint16(src[i:])))/32767)
	}
	return dst
}
