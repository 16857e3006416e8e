package media_test

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// ftSpeechFile is espeak-ng reading "The quick brown fox jumps over the lazy
// dog. Recording a short voice take, with a pause... and then a few more
// words to check that frames follow the speech." at 22050 Hz mono, 10.67 s.
const ftSpeechFile = "testdata/speech-22050-mono.wav"

// ftSpan is a time range of the fixture in seconds, [from, to).
type ftSpan struct{ from, to float64 }

// ftPauses are the pauses of the fixture, read off its own envelope: the
// runs of at least 200 ms in which no sample exceeds 2 LSB (digital
// silence; espeak-ng writes exact zeros between phrases). The first is the
// clear pause between the two sentences ("…lazy dog. | Recording…"); then
// "take, | with", "pause... | and" and the end of the take. Inside words the
// longest such run is 55 ms (stop closures). TestFeaturesSpeech checks that
// these spans are still silent, so the numbers keep their meaning.
// (In samples: 67239–75818, 116371–121618, 138009–144711, 226593–235170;
// the spans below are rounded inwards to the millisecond.)
var ftPauses = []ftSpan{{3.050, 3.438}, {5.278, 5.515}, {6.259, 6.562}, {10.277, 10.665}}

// ftWords are the stretches of speech between the pauses.
var ftWords = []ftSpan{{0, 3.049}, {3.439, 5.277}, {5.516, 6.258}, {6.563, 10.276}}

func ftSpeech(t testing.TB) ([]float32, int) {
	t.Helper()
	f, err := os.Open(ftSpeechFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	info, err := media.ReadWAVHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	if info.Channels != 1 {
		t.Fatalf("%s: %d channels, want mono", ftSpeechFile, info.Channels)
	}
	data := make([]byte, info.DataBytes)
	if _, err := io.ReadFull(r, data); err != nil {
		t.Fatal(err)
	}
	return media.S16LEToFloat(nil, data), info.SampleRate
}

// ftFrames cuts samples into frames at fps with a fresh Framer, in 20 ms
// blocks, and flushes.
func ftFrames(t testing.TB, samples []float32, rate, channels, fps int) []media.Frame {
	t.Helper()
	fr, err := media.NewFramer(rate, channels, fps)
	if err != nil {
		t.Fatal(err)
	}
	var frames []media.Frame
	emit := func(f media.Frame) error { frames = append(frames, f.Clone()); return nil }
	block := rate / 50 * channels
	for off := 0; off < len(samples); off += block {
		p := media.PCM{Samples: samples[off:min(off+block, len(samples))], SampleRate: rate, Channels: channels}
		if err := fr.Push(p, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := fr.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return frames
}

// ftNoise returns n samples of uniform white noise with RMS at db dBFS.
func ftNoise(rng *rand.Rand, n int, db float64) []float32 {
	a := math.Pow(10, db/20) * math.Sqrt(3)
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(a * (2*rng.Float64() - 1))
	}
	return out
}

// ftMix adds b into a (up to the shorter length) and returns a.
func ftMix(a, b []float32) []float32 {
	for i := range min(len(a), len(b)) {
		a[i] += b[i]
	}
	return a
}

func ftDB(v float64) float64 { return 20 * math.Log10(v) }

// ftPearson is the correlation coefficient of x and y.
func ftPearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	return sxy / math.Sqrt(sxx*syy)
}

// ftShare returns the percentage of frames with voice, and how many frames.
func ftShare(frames []media.Frame) (float64, int) {
	if len(frames) == 0 {
		return 0, 0
	}
	n := 0
	for _, f := range frames {
		if f.Features.Voice {
			n++
		}
	}
	return 100 * float64(n) / float64(len(frames)), len(frames)
}

// ftWithin returns the frames lying wholly inside one of spans, after
// trimming skip seconds off the front of each span.
func ftWithin(frames []media.Frame, spans []ftSpan, skip float64) []media.Frame {
	var out []media.Frame
	for _, f := range frames {
		rate := float64(f.SampleRate)
		from, to := float64(f.Start)/rate, float64(f.Start+int64(f.Len()))/rate
		for _, s := range spans {
			if from >= s.from+skip && to <= s.to {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

func TestFeaturesLevels(t *testing.T) {
	stereo := func(left, right []float32) []float32 {
		out := make([]float32, 0, 2*len(left))
		for i := range left {
			out = append(out, left[i], right[i])
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		rate, ch  int
		samples   []float32
		rms, peak float64
		tol       float64
	}{
		{"silence/mono", 48000, 1, make([]float32, 96000), 0, 0, 0},
		{"silence/stereo", 16000, 2, make([]float32, 64000), 0, 0, 0},
		{"tone-6dB/48000", 48000, 1, mediatest.Tone(440, 48000, 1, 2, 0.5), 0.5 / math.Sqrt2, 0.5, 0.004},
		{"tone-6dB/16000", 16000, 1, mediatest.Tone(440, 16000, 1, 2, 0.5), 0.5 / math.Sqrt2, 0.5, 0.004},
		{"tone-6dB/stereo", 44100, 2, mediatest.Tone(440, 44100, 2, 2, 0.5), 0.5 / math.Sqrt2, 0.5, 0.004},
		// RMS is over all channels: one silent channel halves the power.
		{"tone-6dB/left-only", 48000, 2, stereo(mediatest.Tone(440, 48000, 1, 2, 0.5), make([]float32, 96000)), 0.25, 0.5, 0.004},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames := ftFrames(t, tc.samples, tc.rate, tc.ch, 30)
			if len(frames) != 60 {
				t.Fatalf("%d frames, want 60", len(frames))
			}
			for _, f := range frames {
				ft := f.Features
				if math.Abs(float64(ft.RMS)-tc.rms) > tc.tol || math.Abs(float64(ft.Peak)-tc.peak) > tc.tol {
					t.Fatalf("frame %d: RMS %.4f peak %.4f, want %.4f and %.4f", f.Index, ft.RMS, ft.Peak, tc.rms, tc.peak)
				}
				if tc.rms == 0 && (ft.Voice || ft.Mouth != 0) {
					t.Fatalf("frame %d of silence: %+v", f.Index, ft)
				}
			}
		})
	}
}

// TestFeaturesSpeech runs the speech fixture through a 30 fps framer, clean
// and with background that an energy VAD must not take for speech, at its
// own rate and resampled to 48 kHz, where the speech band is filtered on
// every third sample (see speechBand).
func TestFeaturesSpeech(t *testing.T) {
	fixture, fixtureRate := ftSpeech(t)
	for _, p := range ftPauses {
		if r := mediatest.RMS(fixture[int(p.from*float64(fixtureRate)):int(p.to*float64(fixtureRate))]); ftDB(r) > -70 {
			t.Fatalf("fixture pause %.3f–%.3f s has RMS %.1f dBFS: not a pause any more", p.from, p.to, ftDB(r))
		}
	}
	for _, rate := range []int{fixtureRate, 48000} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) { testFeaturesSpeech(t, ftResample(t, fixture, fixtureRate, rate), rate) })
	}
}

// ftResample returns mono samples at rate Hz resampled to want Hz.
func ftResample(t *testing.T, samples []float32, rate, want int) []float32 {
	t.Helper()
	if rate == want {
		return samples
	}
	rs, err := media.NewResampler(rate, want, 1)
	if err != nil {
		t.Fatal(err)
	}
	return rs.Flush(rs.Process(nil, samples))
}

func testFeaturesSpeech(t *testing.T, clean []float32, rate int) {
	const hangover = 0.200
	for _, tc := range []struct {
		name       string
		background func() []float32
	}{
		{"clean", func() []float32 { return nil }},
		// White noise 20 dB under the loud syllables: above the absolute
		// −50 dBFS limit, so only the adaptive floor keeps pauses quiet.
		{"noise-35dB", func() []float32 { return ftNoise(rand.New(rand.NewPCG(1, 2)), len(clean), -35) }},
		// Mains hum as loud as the quiet syllables: without the speech band
		// filter it would sit in the floor and hide them.
		{"hum-50Hz-20dB", func() []float32 { return mediatest.Tone(50, rate, 1, 11, 0.1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			samples := ftMix(append([]float32(nil), clean...), tc.background())
			frames := ftFrames(t, samples, rate, 1, 30)

			clear, _ := ftShare(ftWithin(frames, ftPauses[:1], 0))
			// The hangover runs from the end of the last speech frame, which
			// may reach one frame into the pause.
			const skip = hangover + 1.0/30
			clearAfter, nClear := ftShare(ftWithin(frames, ftPauses[:1], skip))
			pauses, _ := ftShare(ftWithin(frames, ftPauses, 0))
			pausesAfter, nPauses := ftShare(ftWithin(frames, ftPauses, skip))
			words, nWords := ftShare(ftWithin(frames, ftWords, 0))
			t.Logf("voice: clear pause %.0f%% (%.0f%% of its %d frames past the %.0f ms hangover); all pauses %.0f%% (%.0f%% of %d past the hangover); words %.1f%% of %d frames",
				clear, clearAfter, nClear, hangover*1000, pauses, pausesAfter, nPauses, words, nWords)
			if clearAfter > 20 || pausesAfter > 20 {
				t.Errorf("voice in %.0f%% of the clear pause and %.0f%% of all pauses past the hangover, want ≤ 20%%", clearAfter, pausesAfter)
			}
			if words < 80 {
				t.Errorf("voice in %.1f%% of word frames, want ≥ 80%%", words)
			}

			var rms, mouth []float64
			for _, f := range ftWithin(frames, ftWords, 0) {
				rms = append(rms, float64(f.Features.RMS))
				mouth = append(mouth, float64(f.Features.Mouth))
			}
			r := ftPearson(rms, mouth)
			t.Logf("mouth vs frame RMS in words: Pearson r = %.2f", r)
			if r <= 0.5 {
				t.Errorf("mouth vs frame RMS: r = %.2f, want > 0.5", r)
			}
			for _, f := range frames {
				if m := f.Features.Mouth; !(m >= 0 && m <= 1) || (!f.Features.Voice && m != 0) {
					t.Fatalf("frame %d: mouth %v with voice %v", f.Index, m, f.Features.Voice)
				}
			}
		})
	}
}

// TestVoiceBand plays tones after a second of faint room noise: hum below
// the speech band must not count as voice however loud; the same level in
// the band must (which shows the test can tell).
func TestVoiceBand(t *testing.T) {
	for _, tc := range []struct {
		freq      float64
		rate      int
		wantVoice bool
	}{
		{50, 48000, false},
		{50, 16000, false},
		{60, 44100, false},
		{100, 48000, false},
		{1000, 48000, true},
		{1000, 8000, true},
	} {
		t.Run(fmt.Sprintf("%gHz/%d", tc.freq, tc.rate), func(t *testing.T) {
			noise := ftNoise(rand.New(rand.NewPCG(5, 6)), 3*tc.rate, -70)
			tone := mediatest.Tone(tc.freq, tc.rate, 1, 2, 0.1) // −20 dBFS
			frames := ftFrames(t, ftMix(noise, append(make([]float32, tc.rate), tone...)), tc.rate, 1, 30)
			var lead, hum []media.Frame
			for _, f := range frames {
				if f.Start+int64(f.Len()) <= int64(tc.rate) {
					lead = append(lead, f)
				} else if f.Start >= int64(tc.rate) {
					hum = append(hum, f)
				}
			}
			leadShare, _ := ftShare(lead)
			share, n := ftShare(hum)
			t.Logf("voice in %.0f%% of %d tone frames", share, n)
			if leadShare != 0 {
				t.Errorf("voice in %.0f%% of the −70 dBFS noise", leadShare)
			}
			if tc.wantVoice && share < 90 {
				t.Errorf("%g Hz at −20 dBFS: voice in %.0f%% of frames, want ≥ 90%%", tc.freq, share)
			}
			if !tc.wantVoice && share != 0 {
				t.Errorf("%g Hz hum at −20 dBFS: voice in %.0f%% of frames, want none", tc.freq, share)
			}
		})
	}
}

// TestVoiceHangover checks that a short gap between bursts is bridged and
// that after a long one voice activity covers the frames starting within
// 200 ms of the end of the burst's last frame, at several rates.
func TestVoiceHangover(t *testing.T) {
	for _, tc := range []struct{ rate, fps int }{{48000, 30}, {16000, 60}, {22050, 29}, {44100, 24}, {8000, 25}} {
		t.Run(fmt.Sprintf("%d/%dfps", tc.rate, tc.fps), func(t *testing.T) {
			rate := tc.rate
			sec := func(s float64) int { return int(s * float64(rate)) }
			// noise 1 s | burst 0.5 s | gap 0.1 s | burst 0.5 s | gap 1 s | burst 0.5 s
			samples := ftNoise(rand.New(rand.NewPCG(7, 8)), sec(3.6), -70)
			for _, b := range []ftSpan{{1, 1.5}, {1.6, 2.1}, {3.1, 3.6}} {
				ftMix(samples[sec(b.from):], mediatest.Tone(700, rate, 1, b.to-b.from, 0.1))
			}
			d := 1 / float64(tc.fps) // frame duration, give or take a sample
			const eps = 1e-3
			checked := 0
			for _, f := range ftFrames(t, samples, rate, 1, tc.fps) {
				from := float64(f.Start) / float64(rate)
				to := from + float64(f.Len())/float64(rate)
				var want bool
				switch {
				case to <= 1+eps: // room noise
					want = false
				case from >= 1-eps && to <= 2.1+0.2-d+eps: // bursts, the 100 ms gap, the hangover
					want = true
				case from >= 2.1+d+0.2-eps && to <= 3.1+eps: // the rest of the 1 s gap
					want = false
				case from >= 3.1-eps:
					want = true
				default: // straddles an edge: either answer is right
					continue
				}
				checked++
				if f.Features.Voice != want {
					t.Errorf("frame %d (%.3f–%.3f s): voice %v, want %v", f.Index, from, to, f.Features.Voice, want)
				}
			}
			if want := int(3.6*float64(tc.fps)) - 6; checked < want {
				t.Errorf("checked %d frames, want at least %d", checked, want)
			}
		})
	}
}

// TestMouth checks the mouth follows level with fast attack, slower
// release, stays in 0..1 and rises with loudness.
func TestMouth(t *testing.T) {
	const rate = 48000
	t.Run("Level", func(t *testing.T) {
		prev := float32(-1)
		for _, db := range []float64{-45, -35, -25, -15, -6, 0} {
			// A fresh tracker per level: 0.5 s of tone after 1 s of room noise.
			samples := ftMix(ftNoise(rand.New(rand.NewPCG(9, 10)), 3*rate/2, -70),
				append(make([]float32, rate), mediatest.Tone(1000, rate, 1, 0.5, math.Pow(10, db/20))...))
			frames := ftFrames(t, samples, rate, 1, 30)
			m := frames[len(frames)-2].Features.Mouth
			t.Logf("1 kHz at %3.0f dBFS: mouth %.2f", db, m)
			if m < prev || m < 0 || m > 1 || (db >= -6 && m != 1) {
				t.Errorf("1 kHz at %.0f dBFS: mouth %.3f after %.3f at the level below", db, m, prev)
			}
			prev = m
		}
	})
	t.Run("AttackRelease", func(t *testing.T) {
		// 1 s of noise, 1 s of loud tone, 1 s of noise, at 30 fps.
		samples := ftNoise(rand.New(rand.NewPCG(11, 12)), 3*rate, -70)
		ftMix(samples[rate:], mediatest.Tone(1000, rate, 1, 1, 0.35))
		frames := ftFrames(t, samples, rate, 1, 30)
		on, off := frames[30:], frames[60:]
		if on[0].Features.Mouth < 0.6 || on[1].Features.Mouth < 0.9 {
			t.Errorf("onset: mouth %.2f, %.2f; want ≥ 0.6 then ≥ 0.9 (20 ms attack)", on[0].Features.Mouth, on[1].Features.Mouth)
		}
		// Release: 80 ms is 2.4 frames, so a frame keeps about 2/3. (The
		// first frame after the tone is skipped: the band filters ring on
		// the abrupt stop, so it still counts as speech.)
		if m0, m1 := off[1].Features.Mouth, off[2].Features.Mouth; m1 < 0.5*m0 || m1 > 0.85*m0 || m0 < 0.3 {
			t.Errorf("release: mouth %.2f → %.2f, want it to keep 50–85%% per frame", m0, m1)
		}
		for i := 1; i < 30; i++ {
			if a, b := off[i-1].Features, off[i].Features; b.Mouth > a.Mouth || (!b.Voice && b.Mouth != 0) {
				t.Errorf("after the tone, frame %d: mouth %.3f → %.3f (voice %v)", off[i].Index, a.Mouth, b.Mouth, b.Voice)
			}
		}
		if off[7].Features.Voice || off[7].Features.Mouth != 0 {
			t.Errorf("230 ms after the tone: %+v, want no voice and a closed mouth", off[7].Features)
		}
	})
	t.Run("Clipped", func(t *testing.T) {
		square := make([]float32, rate)
		for i := range square {
			square[i] = float32(1 - 2*((i/24)%2)) // 1 kHz full-scale square
		}
		samples := append(ftNoise(rand.New(rand.NewPCG(13, 14)), rate, -70), square...)
		for _, f := range ftFrames(t, samples, rate, 1, 60) {
			if ft := f.Features; ft.Mouth < 0 || ft.Mouth > 1 || ft.Peak > 1 || ft.RMS > 1 {
				t.Fatalf("frame %d: %+v", f.Index, ft)
			}
		}
	})
	t.Run("NaN", func(t *testing.T) {
		tr := media.NewFeatureTracker(rate)
		bad := mediatest.Tone(1000, rate, 1, 0.02, 0.3)
		bad[5] = float32(math.NaN())
		if ft := tr.Analyze(bad, 1); ft != (media.Features{Voice: ft.Voice}) {
			t.Errorf("frame with NaN: %+v, want zero levels", ft)
		}
		good := mediatest.Tone(1000, rate, 1, 0.02, 0.3)
		if ft := tr.Analyze(good, 1); math.IsNaN(float64(ft.RMS)) || math.IsNaN(float64(ft.Mouth)) || ft.RMS < 0.2 {
			t.Errorf("frame after the NaN: %+v", ft)
		}
	})
}

// BenchmarkFeatureTracker analyses 30 fps frames of 48 kHz mono speech-like
// noise; ns/op is per frame.
func BenchmarkFeatureTracker(b *testing.B) {
	frame := ftNoise(rand.New(rand.NewPCG(1, 1)), 1600, -20)
	tr := media.NewFeatureTracker(48000)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		tr.Analyze(frame, 1)
	}
}
