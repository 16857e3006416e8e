// Package mediatest makes and measures test signals: tones, WAV files of
// them, and the dominant frequency and level of decoded audio.
package mediatest

import (
	"math"
	"math/cmplx"
	"os"

	"github.com/avatarweb/recorder/media"
)

// Tone returns seconds of a sine at freq Hz, interleaved over channels,
// with peak amplitude amp (0..1).
func Tone(freq float64, rate, channels int, seconds, amp float64) []float32 {
	n := int(seconds * float64(rate))
	out := make([]float32, n*channels)
	for i := range n {
		v := float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		for c := range channels {
			out[i*channels+c] = v
		}
	}
	return out
}

// WriteWAV writes samples as a 16-bit PCM WAV file.
func WriteWAV(path string, samples []float32, rate, channels int) error {
	pcm := media.AppendS16LE(nil, samples)
	data := append(media.WAVHeader(rate, channels, int64(len(pcm))), pcm...)
	return os.WriteFile(path, data, 0o644)
}

// Channel extracts channel c of interleaved samples.
func Channel(samples []float32, channels, c int) []float32 {
	out := make([]float32, 0, len(samples)/channels)
	for i := c; i < len(samples); i += channels {
		out = append(out, samples[i])
	}
	return out
}

// RMS is the root mean square of samples.
func RMS(samples []float32) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// DominantFrequency estimates the strongest frequency in mono samples: a
// Hann-windowed FFT (zero-padded to at least 2^16 points) with parabolic
// interpolation of the peak bin, good to well under 1 Hz for a steady tone.
func DominantFrequency(samples []float32, rate int) float64 {
	n := 1 << 16
	for n < len(samples) {
		n <<= 1
	}
	buf := make([]complex128, n)
	for i, s := range samples {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(samples)-1))
		buf[i] = complex(float64(s)*w, 0)
	}
	fft(buf)
	mag := func(k int) float64 { return math.Log(cmplx.Abs(buf[k]) + 1e-12) }
	best := 1
	for k := 2; k < n/2; k++ {
		if cmplx.Abs(buf[k]) > cmplx.Abs(buf[best]) {
			best = k
		}
	}
	a, b, c := mag(best-1), mag(best), mag(best+1)
	shift := 0.0
	if d := a - 2*b + c; d != 0 {
		shift = 0.5 * (a - c) / d
	}
	return (float64(best) + shift) * float64(rate) / float64(n)
}

// fft is an in-place iterative radix-2 transform; len(x) is a power of 2.
func fft(x []complex128) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		step := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := range size / 2 {
				u, v := x[start+k], x[start+k+size/2]*w
				x[start+k], x[start+k+size/2] = u+v, u-v
				w *= step
			}
		}
	}
}

// Correlation is the Pearson correlation of a and b over the length of
// the shorter: 1 for the same waveform at any gain, 0 for unrelated ones.
func Correlation(a, b []float32) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return 0
	}
	var sa, sb float64
	for i := range n {
		sa += float64(a[i])
		sb += float64(b[i])
	}
	ma, mb := sa/float64(n), sb/float64(n)
	var ab, aa, bb float64
	for i := range n {
		x, y := float64(a[i])-ma, float64(b[i])-mb
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
