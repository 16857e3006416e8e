package mediatest

import (
	"math"
	"testing"
)

func TestDominantFrequency(t *testing.T) {
	for _, tc := range []struct {
		freq float64
		rate int
	}{{440, 48000}, {440, 16000}, {1000, 8000}, {3150.5, 44100}, {97, 22050}} {
		got := DominantFrequency(Tone(tc.freq, tc.rate, 1, 1.5, 0.5), tc.rate)
		if math.Abs(got-tc.freq) > 0.5 {
			t.Errorf("%v Hz at %d Hz: measured %.2f Hz", tc.freq, tc.rate, got)
		}
	}
}

func TestRMS(t *testing.T) {
	got := RMS(Tone(440, 48000, 1, 1, 1))
	if math.Abs(got-1/math.Sqrt2) > 1e-3 {
		t.Errorf("RMS of a unit sine = %.4f, want %.4f", got, 1/math.Sqrt2)
	}
}

func TestChannel(t *testing.T) {
	got := Channel([]float32{1, 2, 3, 4, 5, 6}, 2, 1)
	if len(got) != 3 || got[0] != 2 || got[2] != 6 {
		t.Errorf("Channel = %v", got)
	}
}
