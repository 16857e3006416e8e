package media

import (
	"math"
	"math/cmplx"
)

// Feature design.
//
// The features are what a lip-sync or avatar model needs per video frame
// besides the PCM itself: how loud the frame is, whether someone is
// speaking, and how far the mouth should be open. They are computed in one
// streaming pass over each frame with state carried from frame to frame, so
// the cost is a few multiply-adds per sample and nothing is buffered.
//
// Levels are RMS in dBFS with an RMS of 1.0 at 0 dB (a full-scale sine is
// −3 dBFS). Frames of digital silence are reported at featSilenceDB.
//
// Speech band. Voice activity and mouth openness look only at the speech
// band, 300–3400 Hz (the telephone band: it carries the formants that make
// speech intelligible, and almost all of its energy that moves with the
// mouth). Mains hum (50/60 Hz and its first harmonics), desk thumps, handling
// noise and HVAC rumble sit below it and would otherwise count as loud,
// steady "speech". The channels are averaged to mono and filtered by a
// 4th-order Butterworth high-pass at 300 Hz (two biquads) and a 2nd-order
// Butterworth low-pass at 3400 Hz (one biquad), in float64 with the filter
// state carried across frames so that frame edges add no clicks (at 44.1
// and 48 kHz on every third sample: see speechBand). The high pass is 4th
// order rather than 2nd because a 2nd-order one takes only 31 dB
// off 50 Hz: −20 dBFS of hum would come out 4 dB under the absolute speech
// threshold, with its 100 and 150 Hz harmonics above it; at 4th order 50 Hz
// loses 62 dB and 150 Hz 24 dB.
//
// Voice activity is energy-based against an adaptive noise floor. The floor
// tracks the minimum of the band level: it follows the level down at once
// and rises at most featFloorRiseDB per second, so pauses between words
// (which reach down to the room's noise within a second or two) keep it at
// the background, while a new steady noise (a fan switching on) is absorbed
// within seconds. A frame is speech when its band level is above the floor
// by featMarginDB and above featMinSpeechDB absolutely; the absolute limit
// keeps a silent room, where the floor sits near digital silence, from
// calling its faint noise speech. The first frame sets the floor (a session
// usually opens on background); speech from the very first frame is then
// recognised at its first dip between syllables. Frames of digital silence
// (below featDigitalSilenceDB: the decoder's fill for lost packets and DTX,
// or a muted track) say nothing about the room and leave the floor alone, so
// a gap does not drag it to −100 dB from where it would take tens of seconds
// to climb back. Voice stays true for the frames that start within
// featHangoverMS of the end of the last speech frame, so stops and the gaps
// between words do not flicker; the hangover is counted in samples, exact at
// every frame rate. (A pause is therefore reported as voice for its first
// 200 ms: the price of not flickering.)
//
// Mouth openness maps the band level linearly in dB from the speech
// threshold (the floor plus the margin, or the absolute limit: mouth 0) to
// featLoudDB, loud close-mic speech (mouth 1), so it adapts to the room the
// same way Voice does. It is smoothed with a one-pole filter whose time
// constant is featMouthAttack while opening (a plosive opens the mouth within
// a frame) and featMouthRelease while closing (jaws close more slowly than
// they open, and a slower close hides the dips between syllables). Its
// target is 0 whenever the frame is below the speech threshold, so during
// the hangover the mouth closes smoothly, and it is exactly 0 once Voice is
// false. The time constants are converted per frame from the frame's
// duration, so the behaviour does not depend on fps.
const (
	featBandLowHz  = 300.0  // speech band high-pass edge
	featBandHighHz = 3400.0 // speech band low-pass edge

	featSilenceDB        = -100.0 // the level reported for digital silence
	featDigitalSilenceDB = -90.0  // below this (1 LSB of 16-bit PCM) a frame is digital silence
	featMinSpeechDB      = -50.0  // no speech below this band level, whatever the floor
	featMarginDB         = 10.0   // speech is this far above the noise floor
	featFloorRiseDB      = 3.0    // dB per second the floor may rise
	featHangoverMS       = 200    // Voice stays on this long after the last speech frame
	featLoudDB           = -12.0  // band level of loud speech: mouth fully open
	featMinSpanDB        = 6.0    // least dB range the mouth maps, when the floor is high
	featMouthAttack      = 0.020  // seconds, mouth opening time constant
	featMouthRelease     = 0.080  // seconds, mouth closing time constant
)

// Features describes one frame of audio for a lip-sync or avatar model.
type Features struct {
	RMS   float32 `json:"rms"`   // over all channels, linear 0..1
	Peak  float32 `json:"peak"`  // max |sample|
	Voice bool    `json:"voice"` // voice activity
	Mouth float32 `json:"mouth"` // 0..1 mouth openness a lip-sync model can use directly
}

// FeatureTracker computes Features frame by frame. It is streaming: the
// speech-band filters, the noise floor, the voice hangover and the mouth
// smoothing carry over from one call to the next, so it must see the frames
// of one stream in order. A FeatureTracker is not safe for concurrent use.
type FeatureTracker struct {
	rate     int
	hangover int64 // featHangoverMS in samples

	band speechBand

	floor     float64 // noise floor of the band level, dBFS
	haveFloor bool
	since     int64 // samples from the end of the last speech frame to the next frame (capped at hangover)
	mouth     float64
}

// NewFeatureTracker returns a tracker for audio at sampleRate Hz. A rate
// below 1 Hz is treated as 1 Hz rather than refused: the tracker is an
// analyser and has no error to return; callers validate rates first.
func NewFeatureTracker(sampleRate int) *FeatureTracker {
	sampleRate = max(sampleRate, 1)
	rate := float64(sampleRate)
	// Keep the edges below Nyquist for low rates; at 8000 Hz 3400 Hz fits.
	high := min(featBandHighHz, 0.45*rate)
	low := min(featBandLowHz, 0.5*high)
	// A 4th-order Butterworth is two biquads with Q = 1/(2cos(π/8)) and
	// 1/(2cos(3π/8)).
	return &FeatureTracker{
		rate:     sampleRate,
		hangover: int64(sampleRate) * featHangoverMS / 1000,
		band:     newSpeechBand(low, high, rate, bandDecimation(rate, high)),
		since:    int64(sampleRate) * featHangoverMS / 1000,
	}
}

// Analyze returns the features of the next frame of the stream: samples
// interleaved over channels (a trailing partial sample frame is ignored). An
// empty frame returns zero Features and leaves the state unchanged. A frame
// holding NaN or ±Inf (which no stage of this package produces) reports
// zero levels and resets the filters, so one bad value can neither poison
// the tracker nor make the Features unencodable as JSON.
func (t *FeatureTracker) Analyze(samples []float32, channels int) Features {
	channels = max(channels, 1)
	n := len(samples) / channels
	if n == 0 {
		return Features{}
	}
	samples = samples[:n*channels]

	var sum, band float64
	var peak float32
	if channels == 1 {
		sum, band, peak = t.band.mono(samples)
	} else {
		sum, band, peak = t.band.interleaved(samples, channels)
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) || math.IsNaN(band) || math.IsInf(band, 0) {
		t.band.reset()
		sum, band, peak = 0, 0, 0
	}
	t.band.settle()

	level := featSilenceDB
	if band > 0 {
		level = max(10*math.Log10(band), featSilenceDB)
	}
	voice, mouth := t.track(level, n)
	return Features{
		RMS:   float32(math.Sqrt(sum / float64(len(samples)))),
		Peak:  peak,
		Voice: voice,
		Mouth: float32(mouth),
	}
}

// track advances the floor, the hangover and the mouth by one frame of n
// samples per channel whose speech-band level is level dBFS.
func (t *FeatureTracker) track(level float64, n int) (voice bool, mouth float64) {
	dur := float64(n) / float64(t.rate)
	if level > featDigitalSilenceDB {
		if t.haveFloor {
			t.floor = min(level, t.floor+featFloorRiseDB*dur)
		} else {
			t.floor, t.haveFloor = level, true
		}
	}
	threshold := featMinSpeechDB
	if t.haveFloor {
		threshold = max(t.floor+featMarginDB, featMinSpeechDB)
	}

	// The hangover covers the frames that start within featHangoverMS of
	// the end of the last speech frame.
	speech := level > threshold
	voice = speech || t.since < t.hangover
	if speech {
		t.since = 0
	} else {
		t.since = min(t.since+int64(n), t.hangover)
	}

	target := 0.0
	if speech {
		loud := max(featLoudDB, threshold+featMinSpanDB)
		target = min((level-threshold)/(loud-threshold), 1)
	}
	tau := featMouthRelease
	if target > t.mouth {
		tau = featMouthAttack
	}
	t.mouth += (1 - math.Exp(-dur/tau)) * (target - t.mouth)
	if !voice {
		t.mouth = 0
	}
	return voice, min(max(t.mouth, 0), 1)
}

func abs32(v float32) float32 {
	return math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
}

// speechBand is the speech-band filter: two high-pass biquads and a
// low-pass one in cascade (RBJ audio-EQ cookbook designs, normalised by a0),
// run in direct form I. A Butterworth high-pass section has the numerator
// b0·(1 − 2z⁻¹ + z⁻²) and a low-pass one b0·(1 + 2z⁻¹ + z⁻²), so each section
// costs one multiply for its numerator; and each section's recursion is
// written with its previous output last, so a sample's dependency on the one
// before is one multiply and one subtraction. (In transposed direct form II
// it is a multiply and three additions: that latency, not the arithmetic,
// bounded the filter's speed.) The state lives in local variables while a
// frame is filtered.
//
// Reformulations tried and measured against this form (per-thread CPU
// time, BenchmarkSpeechBand) did not pay on the server's CPU, which runs
// this loop at ~7–8 cycles per sample with several FP operations per
// cycle, so operations count as much as latency: a look-ahead form (two outputs per step, y[n+1] written
// from y[n−1] and y[n−2], halving each recursion's latency) adds two
// operations per pair and section and was 5–14 % slower; the gains applied
// once at the end, numerators as differences of differences and the
// energy summed in its own pass (a quarter fewer operations) came within
// noise of it (0–8 %) while changing the rounding.
//
// Decimation. What pays is running the recursion on fewer samples: the
// band ends at 3.4 kHz, so at 44.1 and 48 kHz the filters run on every
// third sample (14.7 and 16 kHz; see bandDecimation) behind an anti-alias
// pre-filter cheap enough to cost less than the recursion steps it saves: a
// second-order CIC (a moving sum of three samples, twice: weights 1, 2, 3,
// 2, 1), whose zeros sit on the multiples of the decimated rate, the
// frequencies that would fold onto DC. What folds onto the band (at 48 kHz
// 12.6–19.4 kHz) loses 22 dB or more, and speech has little there. The
// low-pass at the decimated rate has no zeros (allPoleLowPass), so that with
// the pre-filter's droop its response stays within 1.5 dB of the full-rate
// one up to 7 kHz. The pre-filter and the input's levels (sum of squares and
// peak) are one pass over a chunk of the frame into an array on the stack,
// the recursion a second pass over the decimated chunk: two tight loops
// measured faster than one that does both. On 48 kHz frames the filter
// costs half what it did at the full rate; TestBandDecimation states how
// far the band level moved. Lower rates run the filters at the full rate,
// as before, levels and recursion in one loop.
type speechBand struct {
	g1, a11, a21 float64 // high-pass section 1: numerator gain, feedback
	g2, a12, a22 float64 // high-pass section 2
	g3, a13, a23 float64 // low-pass section

	x1, x2 float64 // input history
	u1, u2 float64 // section 1 output history
	w1, w2 float64 // section 2 output history
	y1, y2 float64 // section 3 (band) output history

	factor    int     // input samples per filtered sample
	phase     int     // input samples taken into the pre-filter's output in progress
	acc, next float64 // the pre-filter's partial sums of that output and of the one after
}

// bandChunk is how many decimated samples are filtered at a time: they
// stay on the stack, so a frame of any length needs no buffer.
const bandChunk = 256

// bandDecimation returns the decimation factor for rate Hz and a band
// ending at high Hz: 3 when the decimated rate is still four times the
// band's upper edge or more (44.1 and 48 kHz), so that what folds onto the
// band (within high of a multiple of the decimated rate) lies where the
// pre-filter's zeros are, an octave and more above the band; else 1. A
// factor of 2 (32 kHz) was tried: its pre-filter, 1-2-1, let folded tones
// through at −21 dB and 10 kHz read 9 dB louder than at the full rate, for
// a third of the filter's cost at a rate sessions seldom use.
func bandDecimation(rate, high float64) int {
	if rate >= 3*4*high {
		return 3
	}
	return 1
}

// newSpeechBand designs the 4th-order Butterworth high-pass at low Hz and
// the 2nd-order Butterworth low-pass at high Hz for rate Hz decimated by
// factor. A 4th-order Butterworth is two biquads with Q = 1/(2cos(π/8)) and
// 1/(2cos(3π/8)). The pre-filter's gain, factor², is taken out with the
// first section's.
func newSpeechBand(low, high, rate float64, factor int) speechBand {
	b := speechBand{factor: factor}
	rate /= float64(factor)
	b.g1, b.a11, b.a21 = biquadDesign(low, rate, 1/(2*math.Cos(math.Pi/8)), true)
	b.g2, b.a12, b.a22 = biquadDesign(low, rate, 1/(2*math.Cos(3*math.Pi/8)), true)
	if factor == 1 {
		b.g3, b.a13, b.a23 = biquadDesign(high, rate, math.Sqrt2/2, false)
	} else {
		b.g3, b.a13, b.a23 = allPoleLowPass(high, rate)
	}
	b.g1 /= float64(factor * factor)
	return b
}

// allPoleLowPass returns the gain g and the feedback a1, a2 of a 2nd-order
// Butterworth low-pass at freq Hz for rate Hz with no zeros, g/(1 + a1z⁻¹ +
// a2z⁻²): the analog filter's poles ωc·e^{±j3π/4} mapped by z = e^{sT}, and
// g for unity gain at DC. It is the low-pass of the decimated filters. The
// bilinear design would put a double zero at the decimated rate's Nyquist
// frequency and fall far faster above the band than at the full rate (at
// 16 kHz, 6 kHz would lose 23 dB instead of 11): fricatives, whose energy
// lies at 4–8 kHz, read up to 5 dB quieter on the speech fixture. This one,
// with the pre-filter's droop, stays within 1.5 dB of the full-rate filter
// up to 7 kHz, and costs a multiply and two additions less.
func allPoleLowPass(freq, rate float64) (g, a1, a2 float64) {
	pole := cmplx.Exp(complex(2*math.Pi*freq/rate, 0) * cmplx.Rect(1, 3*math.Pi/4))
	a1, a2 = -2*real(pole), real(pole)*real(pole)+imag(pole)*imag(pole)
	return 1 + a1 + a2, a1, a2
}

// biquadDesign returns b0, a1 and a2 of an RBJ high-pass (or low-pass)
// biquad normalised by a0; b1 is ∓2·b0 and b2 is b0.
func biquadDesign(freq, rate, q float64, highPass bool) (b0, a1, a2 float64) {
	w := 2 * math.Pi * freq / rate
	cos, alpha := math.Cos(w), math.Sin(w)/(2*q)
	a0 := 1 + alpha
	if highPass {
		b0 = (1 + cos) / 2 / a0
	} else {
		b0 = (1 - cos) / 2 / a0
	}
	return b0, -2 * cos / a0, (1 - alpha) / a0
}

// mono filters mono samples and returns the sum of squares of the input,
// the mean square of the band, and the input's peak.
func (b *speechBand) mono(samples []float32) (sum, band float64, peak float32) {
	if b.factor == 1 {
		sum, band, peak = b.monoFullRate(samples)
		return sum, band / float64(len(samples)), peak
	}
	return b.decimated(samples, 1)
}

// interleaved is mono for interleaved samples of any channel count: the
// channels are averaged to mono before the filters.
func (b *speechBand) interleaved(samples []float32, channels int) (sum, band float64, peak float32) {
	if b.factor == 1 {
		sum, band, peak = b.interleavedFullRate(samples, channels)
		return sum, band / float64(len(samples)/channels), peak
	}
	return b.decimated(samples, channels)
}

// decimated is mono and interleaved at a factor above 1: the samples go
// chunk by chunk through the pre-filter (the channels averaged first) and
// the filters.
func (b *speechBand) decimated(samples []float32, channels int) (sum, band float64, peak float32) {
	var chunk [bandChunk]float64
	// Inputs per chunk: the output in progress and these complete at most
	// bandChunk outputs.
	step := (bandChunk - 1) * b.factor * channels
	var n int
	for len(samples) > 0 {
		in := samples[:min(step, len(samples))]
		samples = samples[len(in):]
		xs, s, p := b.decimateAny(chunk[:0], in, channels)
		sum, peak = sum+s, max(peak, p)
		band += b.filter(xs)
		n += len(xs)
	}
	if n == 0 { // a frame shorter than a step: no band sample completed
		return sum, 0, peak
	}
	return sum, band / float64(n), peak
}

// decimateAny is decimate, or its form for mono at 44.1 and 48 kHz, which
// takes a whole step at a time: the general loop costs about as much as
// the filtering it saves.
func (b *speechBand) decimateAny(dst []float64, samples []float32, channels int) (out []float64, sum float64, peak float32) {
	if channels == 1 && b.factor == 3 {
		return b.decimate3(dst, samples)
	}
	return b.decimate(dst, samples, channels)
}

// decimate appends the pre-filter's outputs that samples complete to dst;
// it returns them with the sum of squares and the peak of samples. It is
// the general case: any factor, any channel count.
func (b *speechBand) decimate(dst []float64, samples []float32, channels int) (out []float64, sum float64, peak float32) {
	// The weights are kept as floats: converting the phase every sample
	// cost a tenth more.
	m, j, acc, next := float64(b.factor), float64(b.phase), b.acc, b.next
	scale := 1 / float64(channels)
	for i := 0; i < len(samples); i += channels {
		var x float64
		for _, s := range samples[i : i+channels] {
			v := float64(s)
			sum += v * v
			x += v
			if a := abs32(s); a > peak {
				peak = a
			}
		}
		x *= scale
		// Input j of a step weighs factor−j in this step's output and j in
		// the next one's: the two moving sums in one.
		acc += (m - j) * x
		next += j * x
		if j++; j == m {
			dst = append(dst, acc)
			acc, next, j = next, 0, 0
		}
	}
	b.phase, b.acc, b.next = int(j), acc, next
	return dst, sum, peak
}

// decimate3 is decimate for mono and a factor of 3 (48 and 44.1 kHz):
// output c + 3x₀ + 2x₁ + x₂ and carry x₁ + 2x₂.
func (b *speechBand) decimate3(dst []float64, samples []float32) (out []float64, sum float64, peak float32) {
	dst, sum, peak, samples = b.decimateHead(dst, samples)
	whole := len(samples) - len(samples)%3
	acc := b.acc
	var sum12 float64 // a second accumulator halves the chain of additions
	// The peak is kept as the bits of |s|, which order as the values do:
	// integer maxima, without branches, instead of float comparisons.
	top := math.Float32bits(peak)
	for i := 0; i < whole; i += 3 {
		s := samples[i : i+3 : i+3]
		top = max(top, math.Float32bits(s[0])&^(1<<31), math.Float32bits(s[1])&^(1<<31), math.Float32bits(s[2])&^(1<<31))
		x0, x1, x2 := float64(s[0]), float64(s[1]), float64(s[2])
		sum += x0 * x0
		sum12 += x1*x1 + x2*x2
		dst = append(dst, acc+3*x0+2*x1+x2)
		acc = x1 + 2*x2
	}
	b.acc = acc
	peak = math.Float32frombits(top)
	return b.decimateTail(dst, samples[whole:], sum+sum12, peak)
}

// decimateHead finishes the step in progress through the general case and
// returns the samples after it.
func (b *speechBand) decimateHead(dst []float64, samples []float32) (out []float64, sum float64, peak float32, rest []float32) {
	head := min((b.factor-b.phase)%b.factor, len(samples))
	out, sum, peak = b.decimate(dst, samples[:head], 1)
	return out, sum, peak, samples[head:]
}

// decimateTail takes the samples short of a whole step through the
// general case and adds their levels to sum and peak.
func (b *speechBand) decimateTail(dst []float64, tail []float32, sum float64, peak float32) (out []float64, _ float64, _ float32) {
	out, s, p := b.decimate(dst, tail, 1)
	return out, sum + s, max(peak, p)
}

// filter runs the filters over xs and returns the band's sum of squares.
func (b *speechBand) filter(xs []float64) (band float64) {
	g1, a11, a21 := b.g1, b.a11, b.a21
	g2, a12, a22 := b.g2, b.a12, b.a22
	g3, a13, a23 := b.g3, b.a13, b.a23
	x1, x2, u1, u2, w1, w2, y1, y2 := b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2
	for _, x := range xs {
		u := g1*(x-2*x1+x2) - a21*u2 - a11*u1
		w := g2*(u-2*u1+u2) - a22*w2 - a12*w1
		y := g3*w - a23*y2 - a13*y1 // all-pole: see allPoleLowPass
		x2, x1, u2, u1, w2, w1, y2, y1 = x1, x, u1, u, w1, w, y1, y
		band += y * y
	}
	b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2 = x1, x2, u1, u2, w1, w2, y1, y2
	return band
}

// monoFullRate is mono without decimation (the rates bandDecimation leaves
// alone), the levels and the filters in one loop, as before the
// decimation: through decimated's two passes a 48 kHz frame took half as
// long again. It returns the band's sum of squares.
func (b *speechBand) monoFullRate(samples []float32) (sum, band float64, peak float32) {
	g1, a11, a21 := b.g1, b.a11, b.a21
	g2, a12, a22 := b.g2, b.a12, b.a22
	g3, a13, a23 := b.g3, b.a13, b.a23
	x1, x2, u1, u2, w1, w2, y1, y2 := b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2
	for _, s := range samples {
		if a := abs32(s); a > peak {
			peak = a
		}
		x := float64(s)
		sum += x * x
		u := g1*(x-2*x1+x2) - a21*u2 - a11*u1
		w := g2*(u-2*u1+u2) - a22*w2 - a12*w1
		y := g3*(w+2*w1+w2) - a23*y2 - a13*y1
		x2, x1, u2, u1, w2, w1, y2, y1 = x1, x, u1, u, w1, w, y1, y
		band += y * y
	}
	b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2 = x1, x2, u1, u2, w1, w2, y1, y2
	return sum, band, peak
}

// interleavedFullRate is monoFullRate for interleaved samples of any
// channel count.
func (b *speechBand) interleavedFullRate(samples []float32, channels int) (sum, band float64, peak float32) {
	g1, a11, a21 := b.g1, b.a11, b.a21
	g2, a12, a22 := b.g2, b.a12, b.a22
	g3, a13, a23 := b.g3, b.a13, b.a23
	x1, x2, u1, u2, w1, w2, y1, y2 := b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2
	scale := 1 / float64(channels)
	for i := 0; i < len(samples); i += channels {
		var x float64
		for _, s := range samples[i : i+channels] {
			v := float64(s)
			sum += v * v
			x += v
			if a := abs32(s); a > peak {
				peak = a
			}
		}
		x *= scale
		u := g1*(x-2*x1+x2) - a21*u2 - a11*u1
		w := g2*(u-2*u1+u2) - a22*w2 - a12*w1
		y := g3*(w+2*w1+w2) - a23*y2 - a13*y1
		x2, x1, u2, u1, w2, w1, y2, y1 = x1, x, u1, u, w1, w, y1, y
		band += y * y
	}
	b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2 = x1, x2, u1, u2, w1, w2, y1, y2
	return sum, band, peak
}

// reset clears the filter and pre-filter state.
func (b *speechBand) reset() {
	b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2 = 0, 0, 0, 0, 0, 0, 0, 0
	b.phase, b.acc, b.next = 0, 0, 0
}

// settle zeroes a state that has decayed to nothing. In a long stretch of
// digital silence the state would otherwise decay into subnormal numbers,
// which cost x86 CPUs a hundred cycles per operation.
func (b *speechBand) settle() {
	const tiny = 1e-200
	for _, v := range [...]float64{b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2, b.acc, b.next} {
		if math.Abs(v) >= tiny {
			return
		}
	}
	b.reset()
}
