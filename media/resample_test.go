package media

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"
)

// rsConversion is one resampler configuration under test.
type rsConversion struct{ in, out, channels int }

func (c rsConversion) String() string { return fmt.Sprintf("%dto%d/ch%d", c.in, c.out, c.channels) }

// rsSessionConversions is what a live session does: 48000 Hz Opus output to
// every selectable rate, mono and stereo.
func rsSessionConversions() []rsConversion {
	var cs []rsConversion
	for _, out := range SampleRates {
		for _, ch := range []int{1, 2} {
			cs = append(cs, rsConversion{OpusRate, out, ch})
		}
	}
	return cs
}

// rsOtherConversions exercise upsampling and ratios that start elsewhere.
func rsOtherConversions() []rsConversion {
	return []rsConversion{
		{8000, 48000, 1}, {44100, 48000, 2}, {16000, 44100, 1}, {22050, 32000, 2}, {44100, 8000, 1},
	}
}

func rsNew(t testing.TB, c rsConversion) *Resampler {
	t.Helper()
	r, err := NewResampler(c.in, c.out, c.channels)
	if err != nil {
		t.Fatalf("NewResampler(%d, %d, %d): %v", c.in, c.out, c.channels, err)
	}
	return r
}

// rsTone returns frames of interleaved sine at freq Hz; channel c has phase c
// radians so that the channels differ.
func rsTone(rate, frames, channels int, freq, amp float64) []float32 {
	s := make([]float32, frames*channels)
	for i := range frames {
		for c := range channels {
			s[i*channels+c] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)+float64(c)))
		}
	}
	return s
}

// rsAll resamples the whole of in with one Process and a Flush.
func rsAll(r *Resampler, in []float32) []float32 {
	return r.Flush(r.Process(nil, in))
}

// rsOutFrames is ceil(n*out/in), the exact output length of n input frames.
func rsOutFrames(n, in, out int) int {
	return (n*out + in - 1) / in
}

// rsChannel returns channel c of interleaved samples, trimmed by trim frames
// at both ends.
func rsChannel(s []float32, channels, c, trim int) []float64 {
	frames := len(s) / channels
	x := make([]float64, 0, frames-2*trim)
	for i := trim; i < frames-trim; i++ {
		x = append(x, float64(s[i*channels+c]))
	}
	return x
}

// rsFFT is an in-place radix-2 FFT; len(a) must be a power of two.
func rsFFT(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*wk
				a[start+k], a[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}

// rsHann returns x multiplied by a Hann window.
func rsHann(x []float64) []float64 {
	w := make([]float64, len(x))
	for i, v := range x {
		w[i] = v * (0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(x)-1)))
	}
	return w
}

// rsDFT evaluates the DFT of x (sampled at rate) at any frequency.
func rsDFT(x []float64, rate int, freq float64) complex128 {
	z := cmplx.Exp(complex(0, -2*math.Pi*freq/float64(rate)))
	var sum complex128
	w := complex(1, 0)
	for _, v := range x {
		sum += complex(v, 0) * w
		w *= z
	}
	return sum
}

// rsDominant returns the frequency of the strongest component of x: the
// largest bin of a Hann-windowed, 4× zero-padded FFT, refined by a golden
// section search of the DFT magnitude to 0.001 Hz.
func rsDominant(x []float64, rate int) float64 {
	w := rsHann(x)
	n := 1
	for n < 4*len(w) {
		n <<= 1
	}
	a := make([]complex128, n)
	for i, v := range w {
		a[i] = complex(v, 0)
	}
	rsFFT(a)
	best := 1
	for k := 1; k < n/2; k++ {
		if cmplx.Abs(a[k]) > cmplx.Abs(a[best]) {
			best = k
		}
	}
	bin := float64(rate) / float64(n)
	lo, hi := (float64(best)-1)*bin, (float64(best)+1)*bin
	mag := func(f float64) float64 { return cmplx.Abs(rsDFT(w, rate, f)) }
	const g = 0.6180339887498949
	a1, a2 := hi-g*(hi-lo), lo+g*(hi-lo)
	m1, m2 := mag(a1), mag(a2)
	for hi-lo > 0.001 {
		if m1 > m2 {
			hi, a2, m2 = a2, a1, m1
			a1 = hi - g*(hi-lo)
			m1 = mag(a1)
		} else {
			lo, a1, m1 = a1, a2, m2
			a2 = lo + g*(hi-lo)
			m2 = mag(a2)
		}
	}
	return (lo + hi) / 2
}

// rsFit fits amp·sin(2π·freq·i/rate + phase) to x by least squares and
// returns amp, phase and the power of what is left over relative to the
// sine's, in dB.
func rsFit(x []float64, rate int, freq float64) (amp, phase, residualDB float64) {
	var cc, cs, ss, xc, xs float64
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * freq * float64(i) / float64(rate))
		cc, cs, ss, xc, xs = cc+c*c, cs+c*s, ss+s*s, xc+v*c, xs+v*s
	}
	det := cc*ss - cs*cs
	a, b := (xc*ss-xs*cs)/det, (xs*cc-xc*cs)/det
	var res float64
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * freq * float64(i) / float64(rate))
		d := v - a*c - b*s
		res += d * d
	}
	amp = math.Hypot(a, b)
	return amp, math.Atan2(a, b), 10 * math.Log10(res/float64(len(x))/(amp*amp/2))
}

// rsRMSdB returns the RMS of x relative to a full sine of amplitude amp, in dB.
func rsRMSdB(x []float64, amp float64) float64 {
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	return 10 * math.Log10(sum/float64(len(x))/(amp*amp/2))
}

func TestNewResampler(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		r, err := NewResampler(48000, 22050, 2)
		if err != nil {
			t.Fatal(err)
		}
		if r.InRate() != 48000 || r.OutRate() != 22050 {
			t.Errorf("rates = %d → %d, want 48000 → 22050", r.InRate(), r.OutRate())
		}
		if r.l != 147 || r.m != 320 {
			t.Errorf("ratio = %d/%d, want 147/320", r.l, r.m)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, c := range []rsConversion{
			{0, 16000, 1}, {48000, 0, 1}, {-48000, 16000, 1}, {48000, -1, 2},
			{48000, 16000, 0}, {48000, 16000, 3}, {48000, 48000, -1},
			{48000, 47999, 1},  // 47999 phases: too large a filter
			{1 << 30, 8000, 1}, // decimation too steep for the tap limit
		} {
			if r, err := NewResampler(c.in, c.out, c.channels); !errors.Is(err, ErrInvalid) {
				t.Errorf("NewResampler(%d, %d, %d) = %v, %v; want ErrInvalid", c.in, c.out, c.channels, r, err)
			}
		}
	})
}

// TestResamplerDesign checks the filter itself: the L·K prototype built from
// the phase tables, evaluated on a grid over its whole band (L·inRate).
func TestResamplerDesign(t *testing.T) {
	for _, c := range append(rsSessionConversions(), rsOtherConversions()...) {
		if c.channels != 1 || c.in == c.out {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			r := rsNew(t, c)
			l, k := r.l, r.taps
			proto := make([]float64, l*k) // index q+k/2·l for τ = q/l
			for p := range l {
				for i := range k {
					proto[(k/2-1-i)*l+p+k/2*l] = float64(r.coeffs[p*k+i]) / float64(l)
				}
			}
			rate := l * c.in
			nyq := float64(min(c.in, c.out)) / 2
			gain := func(f float64) float64 { return 20 * math.Log10(cmplx.Abs(rsDFT(proto, rate, f))) }

			var ripple float64
			for i := range 200 {
				ripple = max(ripple, math.Abs(gain(resamplePassEdge*nyq*float64(i)/199)))
			}
			stop := math.Inf(-1)
			for i := range 1000 { // the first sidelobes, densely
				stop = max(stop, gain(nyq*(1+float64(i)/999)))
			}
			for i := range 1000 { // the rest of the band, where the images would be
				stop = max(stop, gain(2*nyq+(float64(rate)/2-2*nyq)*float64(i)/999))
			}
			t.Logf("L/M %d/%d, K %d, %d coefficients: passband ripple %.5f dB to %.0f Hz, stopband %.1f dB from %.0f Hz",
				r.l, r.m, k, l*k, ripple, resamplePassEdge*nyq, stop, nyq)
			if ripple > 0.01 {
				t.Errorf("passband ripple %.5f dB, want ≤ 0.01 dB", ripple)
			}
			if stop > -80 {
				t.Errorf("stopband %.1f dB, want ≤ −80 dB", stop)
			}
		})
	}
}

func TestResamplerFrameCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range append(rsSessionConversions(), rsOtherConversions()...) {
		t.Run(c.String(), func(t *testing.T) {
			r := rsNew(t, c)
			for _, n := range []int{0, 1, 2, 5, 63, 960, 4801, 12347} {
				in := make([]float32, n*c.channels)
				for i := range in {
					in[i] = rng.Float32()*2 - 1
				}
				want := rsAll(r, in)
				if got, wantFrames := len(want)/c.channels, rsOutFrames(n, c.in, c.out); got != wantFrames || len(want)%c.channels != 0 {
					t.Fatalf("%d input frames in one call: %d samples (%d frames), want %d frames",
						n, len(want), got, wantFrames)
				}
				for range 5 {
					var got []float32
					for rest := in; ; {
						size := min(rng.IntN(1500)*c.channels, len(rest))
						if rng.IntN(8) == 0 {
							size = min(rng.IntN(3)*c.channels, len(rest))
						}
						got = r.Process(got, rest[:size])
						if rest = rest[size:]; len(rest) == 0 {
							break
						}
					}
					got = r.Flush(got)
					if !slices.Equal(got, want) {
						t.Fatalf("%d input frames in random chunks: output differs from one call (%d vs %d samples)",
							n, len(got), len(want))
					}
				}
			}
		})
	}
}

func TestResamplerTone(t *testing.T) {
	for _, c := range append(rsSessionConversions(), rsOtherConversions()...) {
		for _, freq := range []float64{440, 3000} {
			t.Run(fmt.Sprintf("%s/%gHz", c, freq), func(t *testing.T) {
				const amp = 0.5
				out := rsAll(rsNew(t, c), rsTone(c.in, c.in, c.channels, freq, amp)) // 1 s
				trim := c.out / 10                                                   // edges: the signal starts and stops abruptly
				for ch := range c.channels {
					x := rsChannel(out, c.channels, ch, trim)
					got := rsDominant(x, c.out)
					a, phase, residual := rsFit(x, c.out, freq)
					gainDB := 20 * math.Log10(a/amp)
					// Output frame trim is input time trim·in/out: with no
					// delay the tone's phase there is the input's.
					want := 2*math.Pi*freq*float64(trim)/float64(c.out) + float64(ch)
					phaseErr := math.Remainder(phase-want, 2*math.Pi)
					t.Logf("ch%d: dominant %.3f Hz, gain %+.5f dB, phase error %+.5f rad, residual %.1f dB",
						ch, got, gainDB, phaseErr, residual)
					if math.Abs(got-freq) > 1 {
						t.Errorf("ch%d: dominant frequency %.3f Hz, want %g ± 1 Hz", ch, got, freq)
					}
					if math.Abs(gainDB) > 0.1 {
						t.Errorf("ch%d: gain %+.4f dB, want within ±0.1 dB", ch, gainDB)
					}
					if residual > -80 {
						t.Errorf("ch%d: distortion+aliasing %.1f dB relative to the tone, want ≤ −80 dB", ch, residual)
					}
					if math.Abs(phaseErr) > 0.01 {
						t.Errorf("ch%d: phase off by %+.4f rad (%.2f output frames), want no delay",
							ch, phaseErr, phaseErr/(2*math.Pi*freq)*float64(c.out))
					}
				}
			})
		}
	}
}

// TestResamplerAliasing feeds tones above the output Nyquist, where the
// output must be silent: whatever comes out is aliasing.
func TestResamplerAliasing(t *testing.T) {
	for _, c := range append(rsSessionConversions(), rsOtherConversions()...) {
		if c.out >= c.in {
			continue
		}
		t.Run(c.String(), func(t *testing.T) {
			const amp = 0.5
			r := rsNew(t, c)
			level := func(freq float64) float64 {
				out := rsAll(r, rsTone(c.in, c.in/2, c.channels, freq, amp))
				worst := math.Inf(-1)
				for ch := range c.channels {
					worst = max(worst, rsRMSdB(rsChannel(out, c.channels, ch, c.out/20), amp))
				}
				return worst
			}
			// 0.6·out, or midway to the input Nyquist when that is lower.
			freq := min(0.6*float64(c.out), (float64(c.out)+float64(c.in))/4)
			got := level(freq)
			// And the whole band from the output Nyquist up, in 40 steps.
			sweep, at := math.Inf(-1), 0.0
			for i := range 40 {
				f := float64(c.out)/2 + (float64(c.in)/2-float64(c.out)/2)*float64(i)/40
				if l := level(f); l > sweep {
					sweep, at = l, f
				}
			}
			t.Logf("tone at %.0f Hz → %.1f dB; worst of %.0f–%.0f Hz: %.1f dB at %.0f Hz",
				freq, got, float64(c.out)/2, float64(c.in)/2, sweep, at)
			if got > -60 {
				t.Errorf("tone at %.0f Hz comes out at %.1f dB, want ≤ −60 dB", freq, got)
			}
			if sweep > -80 {
				t.Errorf("tone at %.0f Hz comes out at %.1f dB, want ≤ −80 dB above the output Nyquist", at, sweep)
			}
		})
	}
}

// TestResamplerTiming checks there is no delay: a click at input frame t
// peaks at output frame round(t·out/in).
func TestResamplerTiming(t *testing.T) {
	for _, c := range append(rsSessionConversions(), rsOtherConversions()...) {
		t.Run(c.String(), func(t *testing.T) {
			const frames = 9600
			r := rsNew(t, c)
			for _, at := range []int{0, 1, 2, 777, 1234, 4801, frames - 2, frames - 1} {
				in := make([]float32, frames*c.channels)
				// Channel 1 clicks elsewhere, so the channels are checked apart.
				other := (at + frames/2) % frames
				in[at*c.channels] = 1
				if c.channels == 2 {
					in[other*2+1] = -1
				}
				out := rsAll(r, in)
				for ch := range c.channels {
					click := at
					if ch == 1 {
						click = other
					}
					peak := 0
					for i := range len(out) / c.channels {
						if math.Abs(float64(out[i*c.channels+ch])) > math.Abs(float64(out[peak*c.channels+ch])) {
							peak = i
						}
					}
					want := int(math.Round(float64(click) * float64(c.out) / float64(c.in)))
					if peak < want-1 || peak > want+1 {
						t.Errorf("ch%d: click at input frame %d peaks at output frame %d, want %d ± 1", ch, click, peak, want)
					}
				}
			}
		})
	}
}

// TestResamplerStereo checks the channels are independent: a silent channel
// stays exactly silent, and each channel comes out as it would alone.
func TestResamplerStereo(t *testing.T) {
	for _, out := range SampleRates {
		t.Run(fmt.Sprintf("48000to%d", out), func(t *testing.T) {
			const frames = 4800
			mono := rsTone(OpusRate, frames, 1, 1000, 0.8)
			for loud := range 2 {
				in := make([]float32, 2*frames)
				for i, v := range mono {
					in[2*i+loud] = v
				}
				got := rsAll(rsNew(t, rsConversion{OpusRate, out, 2}), in)
				alone := rsAll(rsNew(t, rsConversion{OpusRate, out, 1}), mono)
				if len(got) != 2*len(alone) {
					t.Fatalf("stereo gives %d frames, mono %d", len(got)/2, len(alone))
				}
				for i, v := range alone {
					if got[2*i+1-loud] != 0 {
						t.Fatalf("silent channel %d: frame %d = %g, want 0", 1-loud, i, got[2*i+1-loud])
					}
					if got[2*i+loud] != v {
						t.Fatalf("channel %d: frame %d = %g, mono resampling gives %g", loud, i, got[2*i+loud], v)
					}
				}
			}
		})
	}
}

func TestResamplerIdentity(t *testing.T) {
	for _, ch := range []int{1, 2} {
		r := rsNew(t, rsConversion{OpusRate, OpusRate, ch})
		in := rsTone(OpusRate, 5000, ch, 440, 0.9)
		in[17] = 1 // anything at all passes unchanged
		var got []float32
		for rest := in; len(rest) > 0; {
			size := min(333*ch, len(rest))
			got = r.Process(got, rest[:size])
			rest = rest[size:]
		}
		if got = r.Flush(got); !slices.Equal(got, in) {
			t.Errorf("ch%d: 48000 → 48000 is not an exact copy", ch)
		}
		if len(in) > 0 && &got[0] == &in[0] {
			t.Errorf("ch%d: output aliases the input", ch)
		}
	}
}

// TestResamplerAllocs checks Process and Flush allocate nothing once out has
// room.
func TestResamplerAllocs(t *testing.T) {
	for _, c := range rsSessionConversions() {
		r := rsNew(t, c)
		block := rsTone(c.in, 960, c.channels, 440, 0.5)
		out := make([]float32, 0, 4096)
		if n := testing.AllocsPerRun(100, func() { out = r.Process(out[:0], block) }); n != 0 {
			t.Errorf("%s: Process allocates %.1f times per block", c, n)
		}
		if n := testing.AllocsPerRun(100, func() { out = r.Flush(out[:0]) }); n != 0 {
			t.Errorf("%s: Flush allocates %.1f times", c, n)
		}
	}
}

// TestResamplerChunks: blocks of random sizes resampled into one reused
// output buffer give the samples of Process+Flush over the whole input.
func TestResamplerChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range rsSessionConversions() {
		in := rsTone(c.in, 30000, c.channels, 440, 0.5)
		want := rsAll(rsNew(t, c), in)
		r := rsNew(t, c)
		var joined, out []float32
		for rest := in; len(rest) > 0; {
			size := min((1+rng.IntN(2000))*c.channels, len(rest))
			out = r.Process(out[:0], rest[:size])
			joined = append(joined, out...)
			rest = rest[size:]
		}
		joined = append(joined, r.Flush(out[:0])...)
		if !slices.Equal(joined, want) {
			t.Errorf("%s: blocks give %d samples differing from Process+Flush (%d)", c, len(joined), len(want))
		}
	}
}

// BenchmarkResample resamples 20 ms mono blocks of Opus output; ns/op is per
// block and x_realtime is seconds of audio per second of CPU.
func BenchmarkResample(b *testing.B) {
	for _, rate := range []int{16000, 44100, 22050} {
		b.Run(fmt.Sprintf("48000to%d", rate), func(b *testing.B) {
			const block = 960 // 20 ms
			r := rsNew(b, rsConversion{OpusRate, rate, 1})
			in := rsTone(OpusRate, block, 1, 440, 0.5)
			out := make([]float32, 0, 2*block)
			b.ReportAllocs()
			for b.Loop() {
				out = r.Process(out[:0], in)
			}
			b.ReportMetric(float64(b.N)*block/OpusRate/b.Elapsed().Seconds(), "x_realtime")
		})
	}
}

// TestResamplerSymmetricPhases: the dot products that fold a symmetric
// phase (phase 0, and phase l/2 when l is even) give what the plain ones
// give, to float32 rounding, on random windows, mono and stereo.
func TestResamplerSymmetricPhases(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range append(rsSessionConversions(), rsOtherConversions()...) {
		if c.channels != 1 || c.in == c.out {
			continue
		}
		r := rsNew(t, c)
		k := r.taps
		x := make([]float32, 2*k)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		left, right := make([]float32, k), make([]float32, k)
		for i := range k {
			left[i], right[i] = x[2*i], x[2*i+1]
		}
		near := func(a, b float32) bool { return math.Abs(float64(a-b)) <= 1e-5 }
		phases := []int{0}
		if r.l%2 == 0 {
			phases = append(phases, r.l/2)
		}
		for _, p := range phases {
			h := r.coeffs[p*k : (p+1)*k]
			for i := range k { // the symmetry the folding relies on
				j := k - 1 - i
				if p == 0 {
					j = k - 2 - i
				}
				if (j >= 0 && h[i] != h[j]) || (p == 0 && h[k-1] != 0) {
					t.Fatalf("%s phase %d: taps %d and %d differ: %g, %g", c, p, i, j, h[i], h[j])
				}
			}
			fold, fold2 := resampleDotCentred, resampleDotCentred2
			if p != 0 {
				fold, fold2 = resampleDotHalf, resampleDotHalf2
			}
			want, wantL, wantR := resampleDot(x[:k], h), resampleDot(left, h), resampleDot(right, h)
			gotL, gotR := fold2(x, h)
			if got := fold(x[:k], h); !near(got, want) {
				t.Errorf("%s phase %d: folded %g, plain %g", c, p, got, want)
			}
			if !near(gotL, wantL) || !near(gotR, wantR) {
				t.Errorf("%s phase %d stereo: folded %g, %g; plain %g, %g", c, p, gotL, gotR, wantL, wantR)
			}
			if l, r := fold2(x, h); l != fold(left, h) || r != fold(right, h) {
				t.Errorf("%s phase %d: stereo channels differ from mono", c, p)
			}
		}
	}
}
