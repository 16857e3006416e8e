package media

import (
	"math"
	"testing"
)

// toneGapTone is peaks for 2 s of tone, 2 s of silence and 2 s of tone
// at amp, in 120 spans of 50 ms.
func toneGapTone(amp, quiet float32) []byte {
	samples := make([]float32, 6*1000)
	for i := range samples {
		v := quiet
		if i < 2000 || i >= 4000 {
			v = amp
		}
		samples[i] = v * float32(math.Sin(float64(i)))
	}
	return PeaksOf(samples, 1, PeakBuckets)
}

func TestSilences(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.051 }
	for _, tc := range []struct {
		name  string
		peaks []byte
		want  []Span
	}{
		{"DigitalSilence", toneGapTone(0.5, 0), []Span{{2.25, 3.75}}},
		{"RoomNoise", toneGapTone(0.5, 0.003), []Span{{2.25, 3.75}}},
		{"SoftTake", toneGapTone(0.05, 0.001), []Span{{2.25, 3.75}}},
		{"AllNoise", toneGapTone(0.003, 0.003), nil},
		{"NoisyRoom", toneGapTone(0.5, 0.1), nil},
		{"ShortPause", PeaksOf(append(append(make([]float32, 0), tone(0.5, 2000)...), append(make([]float32, 500), tone(0.5, 3500)...)...), 1, PeakBuckets), nil},
		{"Empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Silences(tc.peaks, 6)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if !near(got[i].Start, tc.want[i].Start) || !near(got[i].End, tc.want[i].End) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func tone(amp float32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = amp * float32(math.Sin(float64(i)))
	}
	return out
}
