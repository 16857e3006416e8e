package media

import "math"

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
// state carried across frames so that frame edges add no clicks. The high
// pass is 4th order rather than 2nd because a 2nd-order one takes only 31 dB
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
		band:     newSpeechBand(low, high, rate),
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
	if ms := band / float64(n); ms > 0 {
		level = max(10*math.Log10(ms), featSilenceDB)
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
type speechBand struct {
	g1, a11, a21 float64 // high-pass section 1: numerator gain, feedback
	g2, a12, a22 float64 // high-pass section 2
	g3, a13, a23 float64 // low-pass section

	x1, x2 float64 // input history
	u1, u2 float64 // section 1 output history
	w1, w2 float64 // section 2 output history
	y1, y2 float64 // section 3 (band) output history
}

// newSpeechBand designs the 4th-order Butterworth high-pass at low Hz and
// the 2nd-order Butterworth low-pass at high Hz for rate Hz. A 4th-order
// Butterworth is two biquads with Q = 1/(2cos(π/8)) and 1/(2cos(3π/8)).
func newSpeechBand(low, high, rate float64) speechBand {
	var b speechBand
	b.g1, b.a11, b.a21 = biquadDesign(low, rate, 1/(2*math.Cos(math.Pi/8)), true)
	b.g2, b.a12, b.a22 = biquadDesign(low, rate, 1/(2*math.Cos(3*math.Pi/8)), true)
	b.g3, b.a13, b.a23 = biquadDesign(high, rate, math.Sqrt2/2, false)
	return b
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
// that of the band, and the input's peak.
func (b *speechBand) mono(samples []float32) (sum, band float64, peak float32) {
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

// interleaved is mono for interleaved samples of any channel count: the
// channels are averaged to mono before the filters.
func (b *speechBand) interleaved(samples []float32, channels int) (sum, band float64, peak float32) {
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

// reset clears the filter state.
func (b *speechBand) reset() {
	b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2 = 0, 0, 0, 0, 0, 0, 0, 0
}

// settle zeroes a state that has decayed to nothing. In a long stretch of
// digital silence the state would otherwise decay into subnormal numbers,
// which cost x86 CPUs a hundred cycles per operation.
func (b *speechBand) settle() {
	const tiny = 1e-200
	for _, v := range [...]float64{b.x1, b.x2, b.u1, b.u2, b.w1, b.w2, b.y1, b.y2} {
		if math.Abs(v) >= tiny {
			return
		}
	}
	b.reset()
}
