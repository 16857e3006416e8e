package media

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// bandLevels runs samples through band in frames of rate/30 (so the
// decimation's steps fall differently in every frame) and returns each
// frame's band level in dBFS.
func bandLevels(band speechBand, samples []float32, rate int) []float64 {
	var levels []float64
	frame := rate / 30
	for off := 0; off+frame <= len(samples); off += frame {
		_, ms, _ := band.mono(samples[off : off+frame])
		levels = append(levels, 10*math.Log10(max(ms, 1e-20)))
	}
	return levels
}

// bandTone is a tone at -20 dBFS peak.
func bandTone(freq float64, rate int, seconds float64) []float32 {
	out := make([]float32, int(seconds*float64(rate)))
	for i := range out {
		out[i] = float32(0.1 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// bandSpeech is the speech fixture of the features tests resampled to rate.
func bandSpeech(t *testing.T, rate int) []float32 {
	t.Helper()
	f, err := os.Open("testdata/speech-22050-mono.wav")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	info, err := ReadWAVHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, info.DataBytes)
	if _, err := io.ReadFull(r, data); err != nil {
		t.Fatal(err)
	}
	rs, err := NewResampler(info.SampleRate, rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	out := rs.Process(nil, S16LEToFloat(nil, data))
	return rs.Flush(out)
}

// mean returns the mean of levels past the first half second (the
// filters' onset).
func settledMean(levels []float64) float64 {
	var sum float64
	for _, l := range levels[15:] {
		sum += l
	}
	return sum / float64(len(levels)-15)
}

// TestBandDecimation compares the band level of the decimated filters (at
// 48 and 44.1 kHz) with that of the filters run at the full rate, which is
// what the features used before. In the band (300–3000 Hz tones, white
// noise) it moves by at most 1 dB, and on the speech fixture by 0.25 dB on
// average and 1 dB at most per frame: the tracker's thresholds are 6 dB and
// more apart, so voice and mouth keep their meaning. Hum below the band
// reads within 1 dB of the full rate too. Above the band the level may read
// up to 5 dB higher (10–12 kHz: the decimated low-pass has no zeros), and
// tones folded onto the band by the decimation (at 48 kHz 12.6–19.4 kHz
// fold onto 0–3.4 kHz) stay 20 dB or more under an in-band tone of the same
// level.
func TestBandDecimation(t *testing.T) {
	for _, rate := range []int{48000, 44100} {
		full := newSpeechBand(featBandLowHz, featBandHighHz, float64(rate), 1)
		factor := bandDecimation(float64(rate), featBandHighHz)
		if factor != 3 {
			t.Fatalf("%d Hz: decimation factor %d, want 3", rate, factor)
		}
		dec := newSpeechBand(featBandLowHz, featBandHighHz, float64(rate), factor)
		// Each signal starts both filters afresh (bandLevels takes a copy).
		levels := func(samples []float32) (atFull, decimated []float64) {
			return bandLevels(full, samples, rate), bandLevels(dec, samples, rate)
		}
		inBand := settledMean(bandLevels(full, bandTone(1000, rate, 2), rate))
		t.Run(fmt.Sprintf("%d/tones", rate), func(t *testing.T) {
			for _, freq := range []float64{300, 500, 1000, 2000, 3000} {
				f, d := levels(bandTone(freq, rate, 2))
				if diff := settledMean(d) - settledMean(f); math.Abs(diff) > 1 {
					t.Errorf("%g Hz: decimated band level %.2f dB off the full rate's %.2f dBFS, want ≤ 1 dB", freq, diff, settledMean(f))
				}
			}
			for _, freq := range []float64{50, 100, 150} {
				f, d := levels(bandTone(freq, rate, 2))
				if diff := settledMean(d) - settledMean(f); math.Abs(diff) > 1 {
					t.Errorf("%g Hz hum: decimated band level %.2f dB off the full rate's, want ≤ 1 dB", freq, diff)
				}
			}
			for _, freq := range []float64{5000, 7000, 7900, 10000, 11500, 12000, 12600, 13000, 14000, 15000, 16500, 18000, 19400, 21000} {
				f, d := levels(bandTone(freq, rate, 2))
				fm, dm := settledMean(f), settledMean(d)
				t.Logf("%g Hz: %.1f dB under a 1 kHz tone at the full rate, %.1f dB decimated", freq, inBand-fm, inBand-dm)
				folds := freq > float64(rate)/3-featBandHighHz
				switch {
				case folds && dm > inBand-20:
					t.Errorf("%g Hz folds onto the band %.1f dB under an in-band tone, want 20 dB or more", freq, inBand-dm)
				case !folds && dm > fm+5:
					t.Errorf("%g Hz above the band: decimated %.1f dB over the full rate's %.1f dBFS, want ≤ 5 dB", freq, dm-fm, fm)
				}
			}
		})
		t.Run(fmt.Sprintf("%d/noise", rate), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			noise := make([]float32, 2*rate)
			for i := range noise {
				noise[i] = float32(0.17 * (2*rng.Float64() - 1))
			}
			f, d := levels(noise)
			if diff := settledMean(d) - settledMean(f); math.Abs(diff) > 1 {
				t.Errorf("white noise: decimated band level %.2f dB off the full rate's, want ≤ 1 dB", diff)
			}
		})
		t.Run(fmt.Sprintf("%d/speech", rate), func(t *testing.T) {
			f, d := levels(bandSpeech(t, rate))
			var worst, sum float64
			n := 0
			for i := range f {
				if f[i] < featMinSpeechDB { // pauses: only their noise
					continue
				}
				diff := math.Abs(d[i] - f[i])
				worst = max(worst, diff)
				sum += diff
				n++
			}
			t.Logf("%d speech frames: band level off by %.2f dB on average, %.2f dB at most", n, sum/float64(n), worst)
			if n < 200 || worst > 1 || sum/float64(n) > 0.25 {
				t.Errorf("%d speech frames: decimated band level off by %.2f dB on average and %.2f dB at most, want ≤ 0.25 and ≤ 1 dB",
					n, sum/float64(n), worst)
			}
		})
	}
}

// TestFeaturesDecimated runs the speech fixture at 48 kHz, clean and under
// noise, through the tracker as it is and through one whose filters run at
// the full rate, as they did before the decimation: the features a model
// gets must barely move. Voice may differ in 2 % of frames at most (a frame
// at the edge of the threshold, where either answer is right), the mouth by
// 0.02 on average and 0.1 in any frame, and RMS and peak not at all.
func TestFeaturesDecimated(t *testing.T) {
	speech := bandSpeech(t, 48000)
	rng := rand.New(rand.NewPCG(7, 7))
	noisy := make([]float32, len(speech))
	for i, v := range speech {
		noisy[i] = v + float32(0.03*(2*rng.Float64()-1))
	}
	for name, samples := range map[string][]float32{"clean": speech, "noise": noisy} {
		t.Run(name, func(t *testing.T) {
			dec, full := NewFeatureTracker(48000), NewFeatureTracker(48000)
			full.band = newSpeechBand(featBandLowHz, featBandHighHz, 48000, 1)
			var frames, voice int
			var mouthSum, mouthWorst float64
			for off := 0; off+1600 <= len(samples); off += 1600 {
				d, f := dec.Analyze(samples[off:off+1600], 1), full.Analyze(samples[off:off+1600], 1)
				frames++
				if d.Voice != f.Voice {
					voice++
				}
				diff := math.Abs(float64(d.Mouth - f.Mouth))
				mouthSum += diff
				mouthWorst = max(mouthWorst, diff)
				if d.RMS != f.RMS || d.Peak != f.Peak {
					t.Fatalf("frame at %d: RMS %v peak %v, at the full rate %v and %v", off, d.RMS, d.Peak, f.RMS, f.Peak)
				}
			}
			t.Logf("%d frames: voice differs in %d, mouth by %.3f on average, %.3f at most", frames, voice, mouthSum/float64(frames), mouthWorst)
			if voice*50 > frames || mouthSum/float64(frames) > 0.02 || mouthWorst > 0.1 {
				t.Errorf("%d frames: voice differs in %d, mouth by %.3f on average and %.3f at most; want ≤ 2 %%, ≤ 0.02 and ≤ 0.1",
					frames, voice, mouthSum/float64(frames), mouthWorst)
			}
		})
	}
}

// TestBandDecimationStreams: at 48 kHz the decimation's steps carry over
// from call to call, so a signal cut into frames of any length (1 and 2
// samples, odd lengths, longer than a chunk) leaves the filters in exactly
// the state one call over the whole leaves them in; and stereo with the
// same signal in both channels goes through the general loop to the same
// state as mono through its own.
func TestBandDecimationStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	signal := bandTone(1000, 48000, 1)
	for i := range signal {
		signal[i] += float32(0.05 * (2*rng.Float64() - 1))
	}
	newBand := func() speechBand { return newSpeechBand(featBandLowHz, featBandHighHz, 48000, 3) }
	whole := newBand()
	whole.mono(signal)

	cut := newBand()
	for rest := signal; len(rest) > 0; {
		n := min(len(rest), []int{1, 2, 3, 5, 700, 1600, 1601, 3 * bandChunk * 4}[rng.IntN(8)])
		cut.mono(rest[:n])
		rest = rest[n:]
	}
	if cut != whole {
		t.Errorf("cut into frames, the filters end in %+v; in one call, %+v", cut, whole)
	}

	stereo := make([]float32, 0, 2*len(signal))
	for _, v := range signal {
		stereo = append(stereo, v, v)
	}
	both := newBand()
	both.interleaved(stereo, 2)
	if both != whole {
		t.Errorf("stereo ends in %+v; mono in %+v", both, whole)
	}
}

// BenchmarkSpeechBand filters 1/30 s frames of noise through the
// speech-band filter alone; ns/op is per frame (1600 samples at 48 kHz).
// It is the measure for reformulations of speechBand (see its comment):
// the feature tracker's benchmark adds little else but varies more. The
// full-rate runs are the filter as it was before the decimation, side by
// side.
func BenchmarkSpeechBand(b *testing.B) {
	for _, rate := range []int{48000} {
		rng := rand.New(rand.NewPCG(1, 1))
		frame := make([]float32, rate/30)
		for i := range frame {
			frame[i] = float32(0.17 * (2*rng.Float64() - 1))
		}
		for _, factor := range []int{1, bandDecimation(float64(rate), featBandHighHz)} {
			b.Run(fmt.Sprintf("%d/decimated-by-%d", rate, factor), func(b *testing.B) {
				band := newSpeechBand(featBandLowHz, featBandHighHz, float64(rate), factor)
				defer reportCPU(b)()
				for b.Loop() {
					band.mono(frame)
				}
			})
		}
	}
}
