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

	hp1, hp2, lp biquad

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
		hp1:      highPass(low, rate, 1/(2*math.Cos(math.Pi/8))),
		hp2:      highPass(low, rate, 1/(2*math.Cos(3*math.Pi/8))),
		lp:       lowPass(high, rate, math.Sqrt2/2),
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
	scale := 1 / float64(channels)
	// Local copies keep the filter state in registers through the loop.
	hp1, hp2, lp := t.hp1, t.hp2, t.lp
	for i := 0; i < len(samples); i += channels {
		var mono float64
		for _, s := range samples[i : i+channels] {
			v := float64(s)
			sum += v * v
			mono += v
			if a := abs32(s); a > peak {
				peak = a
			}
		}
		y := lp.process(hp2.process(hp1.process(mono * scale)))
		band += y * y
	}
	t.hp1, t.hp2, t.lp = hp1, hp2, lp
	if math.IsNaN(sum) || math.IsInf(sum, 0) || math.IsNaN(band) || math.IsInf(band, 0) {
		t.hp1.reset()
		t.hp2.reset()
		t.lp.reset()
		sum, band, peak = 0, 0, 0
	}
	t.hp1.settle()
	t.hp2.settle()
	t.lp.settle()

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

// biquad is a second-order IIR section in transposed direct form II, with
// coefficients normalised by a0 (RBJ audio-EQ cookbook designs).
type biquad struct {
	b0, b1, b2, a1, a2 float64
	z1, z2             float64
}

func highPass(freq, rate, q float64) biquad {
	w := 2 * math.Pi * freq / rate
	cos, alpha := math.Cos(w), math.Sin(w)/(2*q)
	a0 := 1 + alpha
	return biquad{
		b0: (1 + cos) / 2 / a0, b1: -(1 + cos) / a0, b2: (1 + cos) / 2 / a0,
		a1: -2 * cos / a0, a2: (1 - alpha) / a0,
	}
}

func lowPass(freq, rate, q float64) biquad {
	w := 2 * math.Pi * freq / rate
	cos, alpha := math.Cos(w), math.Sin(w)/(2*q)
	a0 := 1 + alpha
	return biquad{
		b0: (1 - cos) / 2 / a0, b1: (1 - cos) / a0, b2: (1 - cos) / 2 / a0,
		a1: -2 * cos / a0, a2: (1 - alpha) / a0,
	}
}

func (q *biquad) process(x float64) float64 {
	y := q.b0*x + q.z1
	q.z1 = q.b1*x - q.a1*y + q.z2
	q.z2 = q.b2*x - q.a2*y
	return y
}

func (q *biquad) reset() { q.z1, q.z2 = 0, 0 }

// settle zeroes a state that has decayed to nothing. In a long stretch of
// digital silence the state would otherwise decay into subnormal numbers,
// which cost x86 CPUs a hundred cycles per operation.
func (q *biquad) settle() {
	const tiny = 1e-200
	if math.Abs(q.z1) < tiny && math.Abs(q.z2) < tiny {
		q.reset()
	}
}
