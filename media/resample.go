package media

import (
	"fmt"
	"math"
	"slices"
)

// Filter design of the resampler.
//
// The resampler is a rational L/M polyphase FIR: conceptually the input is
// upsampled by L (zeros between samples), low-pass filtered at L*inRate and
// decimated by M, with L/M = outRate/inRate reduced by their gcd
// (48000→44100 is 147/160, →22050 is 147/320, →16000 is 1/3). Only the
// products that survive decimation are computed: output frame j sits at input
// time t = j*M/L = n + p/L and is the dot product of the K input frames around
// n with phase table p, one of L tables of K taps precomputed at construction.
//
// The prototype low-pass is a Kaiser-windowed sinc, designed relative to the
// lower of the two Nyquist frequencies, fN = min(inRate, outRate)/2.
//
// Band edges: passband edge 0.90·fN, stopband edge 1.00·fN, so the cutoff
// (the sinc's −6 dB point) is 0.95·fN. The stopband starts exactly at the
// output Nyquist when downsampling, so nothing aliases at all, and at the
// input Nyquist when upsampling, so every image is suppressed. 0.90·fN keeps
// 3.6 kHz of an 8 kHz output and 19.8 kHz of a 44.1 kHz one.
//
// Stopband: A = 90 dB by Kaiser's formulas, β = 0.1102·(A−8.7) = 8.96 and a
// span of (A−7.95)/(14.36·Δf/inRate) input frames for the transition width
// Δf = 0.10·fN. The design aims 10 dB above the 80 dB target so that float32
// coefficients and arithmetic keep clear of it; passband ripple is then about
// ±0.0003 dB.
//
// Length: K (taps per phase) is that span rounded up to a multiple of 4, and
// the window covers all K taps, which puts 54–56 zero crossings of the sinc
// on each side whatever the ratio. From 48000 Hz:
//
//	out Hz   L/M       K   coefficients (L·K)   hold-back (K/2 input frames)
//	8000     1/6     688     688                344 = 7.2 ms
//	16000    1/3     344     344                172 = 3.6 ms
//	22050  147/320   252   37044                126 = 2.6 ms
//	24000    1/2     232     232                116 = 2.4 ms
//	32000    2/3     172     344                 86 = 1.8 ms
//	44100  147/160   128   18816                 64 = 1.3 ms
//
// Upsampling uses K = 116 (fN is then the input Nyquist). Each output frame
// costs K multiply-adds per channel, so a second of 48 kHz input costs about
// outRate·K ≈ 5.5 M multiply-adds per channel for every ratio. The tables
// take 4 bytes per coefficient (145 KiB for 22050 Hz, the largest) and one
// Bessel-series evaluation each to build.
//
// Every phase table is normalised to sum to exactly 1, so DC passes with unit
// gain in every phase and no phase-to-phase gain mismatch modulates the
// signal.
const (
	resamplePassEdge   = 0.90 // passband edge, fraction of the lower Nyquist
	resampleStopEdge   = 1.00 // stopband edge, fraction of the lower Nyquist
	resampleStopbandDB = 90.0 // design stopband attenuation, dB

	// Limits that keep a pathological ratio (48000→47999 needs 47999 phases)
	// from allocating without bound: 2^20 coefficients is 4 MiB.
	resampleMaxCoeffs = 1 << 20
	resampleMaxTaps   = 1 << 14
)

// Resampler converts interleaved PCM from one sample rate to another with a
// band-limited polyphase filter (see the design notes above). The filter is
// centred: output frame j is the signal at input time j*inRate/outRate, so
// there is no net delay, and the resampler holds back about K/2 input frames
// until more input or Flush arrives. Positions are integers, so there is no
// drift however long the stream. Equal rates pass samples through unchanged.
//
// A Resampler is not safe for concurrent use.
type Resampler struct {
	inRate, outRate, channels int

	l, m         int       // reduced ratio: l output frames per m input frames
	stepN, stepP int       // m/l and m%l: how far one output advances the input
	taps         int       // K, input frames per window (a multiple of 4)
	coeffs       []float32 // l phase tables of taps coefficients, phase p at [p*taps:]

	// hist holds the input frames the next output windows still need,
	// interleaved. It is allocated once with room for 2(K−1) frames: at most
	// K−1 kept frames plus the first K−1 frames of the next input, joined so
	// that windows straddling two calls are contiguous.
	hist  []float32
	zeros []float32 // K/2 frames of silence that Flush feeds in
	start int       // first frame of the next output's window, counted from hist[0]
	phase int       // next output's fractional input position, in 1/l frames
}

// NewResampler returns a resampler from inRate to outRate for interleaved PCM
// with the given channel count.
func NewResampler(inRate, outRate, channels int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 {
		return nil, fmt.Errorf("media: resampler %d Hz → %d Hz: rates must be positive: %w", inRate, outRate, ErrInvalid)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("media: resampler with %d channels: must be 1 or 2: %w", channels, ErrInvalid)
	}
	r := &Resampler{inRate: inRate, outRate: outRate, channels: channels}
	if inRate == outRate {
		return r, nil
	}
	g := resampleGCD(inRate, outRate)
	r.l, r.m = outRate/g, inRate/g
	r.stepN, r.stepP = r.m/r.l, r.m%r.l

	nyquist := float64(min(inRate, outRate)) / 2
	transition := (resampleStopEdge - resamplePassEdge) * nyquist / float64(inRate) // cycles per input frame
	span := (resampleStopbandDB - 7.95) / (14.36 * transition)
	if span > resampleMaxTaps || span*float64(r.l) > resampleMaxCoeffs {
		return nil, fmt.Errorf("media: resampler %d Hz → %d Hz: ratio %d/%d needs too large a filter: %w",
			inRate, outRate, r.l, r.m, ErrInvalid)
	}
	r.taps = (int(math.Ceil(span)) + 3) &^ 3
	cutoff := (resamplePassEdge + resampleStopEdge) / 2 * nyquist / float64(inRate)
	r.coeffs = resampleTables(r.l, r.taps, cutoff, 0.1102*(resampleStopbandDB-8.7))

	r.hist = make([]float32, 0, 2*(r.taps-1)*channels)
	r.zeros = make([]float32, r.taps/2*channels)
	r.reset()
	return r, nil
}

// resampleTables returns l phase tables of k taps each for a Kaiser-windowed
// sinc with the given cutoff (cycles per input frame) and window beta. Tap i of
// phase p weighs the input frame τ = k/2−1−i+p/l frames before the output
// position; the taps cover τ ∈ [−k/2, k/2) and the window, k frames wide, is
// zero at τ = ±k/2.
func resampleTables(l, k int, cutoff, beta float64) []float32 {
	coeffs := make([]float32, l*k)
	half := float64(k) / 2
	i0beta := resampleI0(beta)
	row := make([]float64, k)
	for p := range l {
		var sum float64
		for i := range k {
			tau := float64(k/2-1-i) + float64(p)/float64(l)
			var c float64
			if x := tau / half; x > -1 && x < 1 {
				c = 2 * cutoff * resampleSinc(2*cutoff*tau) * resampleI0(beta*math.Sqrt(1-x*x)) / i0beta
			}
			row[i] = c
			sum += c
		}
		for i, c := range row {
			coeffs[p*k+i] = float32(c / sum)
		}
	}
	return coeffs
}

// resampleSinc is the normalised sinc, sin(πx)/(πx).
func resampleSinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// resampleI0 is the zeroth-order modified Bessel function of the first kind,
// summed from its power series (fast to converge for the β used here).
func resampleI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1.0; term > 1e-17*sum; k++ {
		term *= q / (k * k)
		sum += term
	}
	return sum
}

func resampleGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// InRate returns the sample rate the resampler reads.
func (r *Resampler) InRate() int { return r.inRate }

// ResamplerName describes the conversion from inRate to outRate, for
// people checking the format chain.
func ResamplerName(inRate, outRate int) string {
	if inRate == outRate {
		return "none (pass-through)"
	}
	g := resampleGCD(inRate, outRate)
	return fmt.Sprintf("polyphase Kaiser-windowed sinc, %d→%d Hz (×%d/%d)", inRate, outRate, outRate/g, inRate/g)
}

// OutRate returns the sample rate the resampler writes.
func (r *Resampler) OutRate() int { return r.outRate }

// Process appends the output for in (interleaved, len multiple of channels)
// to out and returns it. Streaming: state carries over between calls, so
// splitting the input into arbitrary chunks gives bit-identical output to one
// call. A trailing partial frame in in is ignored. Process allocates only to
// grow out.
func (r *Resampler) Process(out, in []float32) []float32 {
	ch := r.channels
	in = in[:len(in)/ch*ch]
	if r.inRate == r.outRate {
		return append(out, in...)
	}
	out, n := r.filter(out, in, math.MaxInt)

	// Keep the frames from the next window's start on; there are fewer than
	// K of them, because that window did not fit.
	h, f := len(r.hist)/ch, len(in)/ch
	switch {
	case n < h:
		kept := copy(r.hist, r.hist[n*ch:])
		r.hist = append(r.hist[:kept], in...)
		r.start = 0
	case n <= h+f:
		r.hist = append(r.hist[:0], in[(n-h)*ch:]...)
		r.start = 0
	default: // the next window starts beyond this input
		r.hist = r.hist[:0]
		r.start = n - h - f
	}
	return out
}

// Flush appends the remaining output (input treated as followed by zeros) so
// that across the whole stream the total number of output frames is exactly
// ceil(inFrames*outRate/inRate). After Flush the resampler is reset to its
// initial state.
func (r *Resampler) Flush(out []float32) []float32 {
	if r.inRate == r.outRate {
		return out
	}
	// The input ends at hist's end; an output exists while its position
	// t = n + p/L, whose window starts at n − (K/2−1), is before that end.
	end := len(r.hist) / r.channels
	out, _ = r.filter(out, r.zeros, end-(r.taps/2-1))
	r.reset()
	return out
}

// reset returns the resampler to its initial state: K/2−1 frames of silence
// before the first input frame, so that output 0 is centred on input 0.
func (r *Resampler) reset() {
	r.hist = r.hist[:(r.taps/2-1)*r.channels]
	clear(r.hist)
	r.start, r.phase = 0, 0
}

// filter appends every output whose window fits in hist followed by in and
// whose window starts before limit (counted from hist[0]). It returns out and
// the next window's start, and advances the phase.
func (r *Resampler) filter(out, in []float32, limit int) ([]float32, int) {
	ch, k := r.channels, r.taps
	h := len(r.hist) / ch
	count := r.pending(h+len(in)/ch, limit)
	if count == 0 {
		return out, r.start
	}
	out = slices.Grow(out, count*ch)

	n, p := r.start, r.phase
	var joined []float32 // hist + the head of in, for windows that start in hist
	if n < h {
		joined = append(r.hist, in[:min(len(in), (k-1)*ch)]...)
	}
	for range count {
		var win []float32
		if n < h {
			win = joined[n*ch : (n+k)*ch]
		} else {
			win = in[(n-h)*ch : (n-h+k)*ch]
		}
		coef := r.coeffs[p*k : (p+1)*k]
		switch {
		case ch == 1 && p == 0:
			out = append(out, resampleDotCentred(win, coef))
		case ch == 1 && 2*p == r.l:
			out = append(out, resampleDotHalf(win, coef))
		case ch == 1:
			out = append(out, resampleDot(win, coef))
		case p == 0:
			left, right := resampleDotCentred2(win, coef)
			out = append(out, left, right)
		case 2*p == r.l:
			left, right := resampleDotHalf2(win, coef)
			out = append(out, left, right)
		default:
			left, right := resampleDot2(win, coef)
			out = append(out, left, right)
		}
		n, p = n+r.stepN, p+r.stepP
		if p >= r.l {
			n, p = n+1, p-r.l
		}
	}
	r.phase = p
	return out, n
}

// pending returns how many outputs filter yields with avail frames from
// hist[0] on and windows starting before limit. Output positions advance by
// M/L frames, so with positions counted in 1/L frames it is the number of
// multiples of M below the first position past the last usable window start.
func (r *Resampler) pending(avail, limit int) int {
	last := min(avail-r.taps, limit-1) // last usable window start
	if last < r.start {
		return 0
	}
	pos := r.start*r.l + r.phase
	return ((last+1)*r.l - pos + r.m - 1) / r.m
}

// outFrames returns how many frames Process would append for frames more
// input frames.
func (r *Resampler) outFrames(frames int) int {
	if r.inRate == r.outRate {
		return frames
	}
	return r.pending(len(r.hist)/r.channels+frames, math.MaxInt)
}

// resampleDot returns the dot product of a mono window with a phase table
// (len(h) a multiple of 4). Four accumulators break the dependency chain.
func resampleDot(x, h []float32) float32 {
	var s0, s1, s2, s3 float32
	x = x[:len(h)]
	for i := 0; i+4 <= len(h); i += 4 {
		c, v := h[i:i+4:i+4], x[i:i+4:i+4]
		s0 += v[0] * c[0]
		s1 += v[1] * c[1]
		s2 += v[2] * c[2]
		s3 += v[3] * c[3]
	}
	return (s0 + s1) + (s2 + s3)
}

// resampleDot2 is resampleDot for an interleaved stereo window; each channel
// is summed in the same order as resampleDot would sum it alone.
func resampleDot2(x, h []float32) (float32, float32) {
	var l0, l1, l2, l3, r0, r1, r2, r3 float32
	x = x[:2*len(h)]
	for i := 0; i+4 <= len(h); i += 4 {
		c, v := h[i:i+4:i+4], x[2*i:2*i+8:2*i+8]
		l0 += v[0] * c[0]
		r0 += v[1] * c[0]
		l1 += v[2] * c[1]
		r1 += v[3] * c[1]
		l2 += v[4] * c[2]
		r2 += v[5] * c[2]
		l3 += v[6] * c[3]
		r3 += v[7] * c[3]
	}
	return (l0 + l1) + (l2 + l3), (r0 + r1) + (r2 + r3)
}

// Symmetric phases. The prototype is even, so phase p read backwards is
// phase l−p. Phase 0 is its own mirror about its tap K/2−1 (τ = 0), with
// tap K−1 at the window's edge, where it is zero; and when l is even, phase
// l/2 is its own mirror about the middle of the window. The dot products of
// those phases add the two input frames that share a coefficient before
// multiplying: three loads and two operations per pair of taps instead of
// four and four. Only integer ratios down (48000 → 8000, 16000, 24000) have
// phase 0 alone, so those conversions run wholly on this path.

// resampleDotCentred is resampleDot for phase 0 (len(h) a multiple of 4).
func resampleDotCentred(x, h []float32) float32 {
	k := len(h)
	c := k/2 - 1 // the centre tap; taps c−j and c+j are equal
	x = x[:k]
	lo, hi, h := x[:c], x[c+1:2*c+1], h[:c+1]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= c; i += 4 {
		a, b, w := lo[i:i+4:i+4], hi[c-i-4:c-i:c-i], h[i:i+4:i+4]
		s0 += w[0] * (a[0] + b[3])
		s1 += w[1] * (a[1] + b[2])
		s2 += w[2] * (a[2] + b[1])
		s3 += w[3] * (a[3] + b[0])
	}
	for ; i < c; i++ {
		s0 += h[i] * (lo[i] + hi[c-1-i])
	}
	return (s0 + s1) + (s2 + s3) + h[c]*x[c]
}

// resampleDotHalf is resampleDot for phase l/2, symmetric about the middle
// of the window: taps i and K−1−i are equal.
func resampleDotHalf(x, h []float32) float32 {
	k := len(h)
	c := k / 2
	x = x[:k]
	lo, hi, h := x[:c], x[c:k], h[:c]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= c; i += 4 {
		a, b, w := lo[i:i+4:i+4], hi[c-i-4:c-i:c-i], h[i:i+4:i+4]
		s0 += w[0] * (a[0] + b[3])
		s1 += w[1] * (a[1] + b[2])
		s2 += w[2] * (a[2] + b[1])
		s3 += w[3] * (a[3] + b[0])
	}
	for ; i < c; i++ {
		s0 += h[i] * (lo[i] + hi[c-1-i])
	}
	return (s0 + s1) + (s2 + s3)
}

// resampleDotCentred2 is resampleDotCentred for an interleaved stereo
// window, each channel summed in the same order.
func resampleDotCentred2(x, h []float32) (float32, float32) {
	k := len(h)
	c := k/2 - 1
	x = x[:2*k]
	l, r := resampleFold2(x[:2*c], x[2*c+2:4*c+2], h[:c+1], c)
	return l + h[c]*x[2*c], r + h[c]*x[2*c+1]
}

// resampleDotHalf2 is resampleDotHalf for an interleaved stereo window.
func resampleDotHalf2(x, h []float32) (float32, float32) {
	k := len(h)
	c := k / 2
	x = x[:2*k]
	return resampleFold2(x[:2*c], x[2*c:2*k], h[:c], c)
}

// resampleFold2 sums, per channel of interleaved stereo, h[i] times the
// pair of frames that share it: lo's frame i and hi's frame c-1-i.
func resampleFold2(lo, hi, h []float32, c int) (float32, float32) {
	var l0, l1, l2, l3, r0, r1, r2, r3 float32
	i := 0
	for ; i+4 <= c; i += 4 {
		a, b, w := lo[2*i:2*i+8:2*i+8], hi[2*(c-i-4):2*(c-i):2*(c-i)], h[i:i+4:i+4]
		l0 += w[0] * (a[0] + b[6])
		r0 += w[0] * (a[1] + b[7])
		l1 += w[1] * (a[2] + b[4])
		r1 += w[1] * (a[3] + b[5])
		l2 += w[2] * (a[4] + b[2])
		r2 += w[2] * (a[5] + b[3])
		l3 += w[3] * (a[6] + b[0])
		r3 += w[3] * (a[7] + b[1])
	}
	for ; i < c; i++ {
		j := c - 1 - i
		l0 += h[i] * (lo[2*i] + hi[2*j])
		r0 += h[i] * (lo[2*i+1] + hi[2*j+1])
	}
	return (l0 + l1) + (l2 + l3), (r0 + r1) + (r2 + r3)
}
