package media

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkSpeechBand filters 1/30 s frames of 48 kHz noise through the
// speech-band filter alone; ns/op is per frame (1600 samples). It is the
// measure for reformulations of speechBand (see its comment): the feature
// tracker's benchmark adds little else but varies more.
func BenchmarkSpeechBand(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	frame := make([]float32, 1600)
	for i := range frame {
		frame[i] = float32(0.17 * (2*rng.Float64() - 1))
	}
	band := newSpeechBand(300, 3400, 48000)
	for b.Loop() {
		band.mono(frame)
	}
}
