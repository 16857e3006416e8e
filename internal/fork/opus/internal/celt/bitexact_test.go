// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pion/opus/internal/rangecoding"
)

// The tests of this file check patch 3 (PATCHES.md): each function it
// rewrote for speed must give, for the same input, the very float32 bits
// pion/opus v0.1.0's version (upstream_test.go) gives. The inputs are
// random signals with what real frames contain, and what a rewrite most
// easily gets wrong: silences of +0 and -0 (a cleared buffer, then x+0,
// turns -0 into +0), subnormals, loud and quiet runs.

// frameSampleCounts are CELT's four frame sizes: 2.5, 5, 10 and 20 ms.
var frameSampleCounts = [...]int{120, 240, 480, 960} //nolint:gochecknoglobals

// outputSampleRates are the Opus API rates; the recorder decodes at 48 kHz.
var outputSampleRates = [...]int{48000, 24000, 16000, 12000, 8000} //nolint:gochecknoglobals

// testSignal returns n samples, one random stretch after another, scaled
// by amplitude (about 32768 for PCM before de-emphasis, about 1 for a
// normalised spectrum).
func testSignal(rng *rand.Rand, n int, amplitude float32) []float32 {
	signal := make([]float32, n)
	for i := 0; i < n; {
		run := min(n-i, 1+rng.IntN(64))
		kind := rng.IntN(6)
		for j := i; j < i+run; j++ {
			switch kind {
			case 0:
				signal[j] = 0
			case 1:
				signal[j] = float32(math.Copysign(0, -1))
			case 2: // subnormals and their neighbours
				signal[j] = math.Float32frombits(rng.Uint32() & 0x80ffffff)
			case 3: // quiet
				signal[j] = amplitude * 1e-6 * float32(rng.NormFloat64())
			default:
				signal[j] = amplitude * float32(rng.NormFloat64())
			}
		}
		i += run
	}

	return signal
}

// testSpectrum is testSignal, or in one frame of three a silent one: zeros
// of both signs, as a frame without energy decodes to.
func testSpectrum(rng *rand.Rand, n int) []float32 {
	if rng.IntN(3) != 0 {
		return testSignal(rng, n, 1000)
	}
	spectrum := make([]float32, n)
	for i := range spectrum {
		if rng.IntN(2) == 0 {
			spectrum[i] = float32(math.Copysign(0, -1))
		}
	}

	return spectrum
}

// sameBits reports the first index where got and want differ in any bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d samples, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: sample %d is %g (%#08x), upstream %g (%#08x)",
				what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestDeemphasisAndInterleaveBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, frameSampleCount := range frameSampleCounts {
		for _, rate := range outputSampleRates {
			for _, channelCount := range []int{1, 2} {
				name := fmt.Sprintf("%d/%dHz/%dch", frameSampleCount, rate, channelCount)
				var patched, upstream Decoder
				outCount := frameSampleCount * rate / sampleRate * channelCount
				// Consecutive frames, so that the filter memory carried from
				// one to the next is checked too.
				for frame := range 20 {
					timeX := testSignal(rng, frameSampleCount, 32768)
					timeY := testSignal(rng, frameSampleCount, 32768)
					if channelCount == 1 {
						timeY = nil
					}
					got := make([]float32, outCount)
					want := make([]float32, outCount)
					patched.deemphasisAndInterleave(timeX, timeY, got, frameSampleCount, channelCount, rate)
					upstreamDeemphasisAndInterleave(&upstream, timeX, timeY, want, frameSampleCount, channelCount, rate)
					what := fmt.Sprintf("%s frame %d", name, frame)
					sameBits(t, what, got, want)
					sameBits(t, what+" filter memory", patched.preemphasisMem[:], upstream.preemphasisMem[:])
				}
			}
		}
	}
}

// garbageScratch returns a decoder scratch filled with NaNs, so that a
// rewrite which reads a buffer before writing it (upstream cleared more)
// shows in its output.
func garbageScratch() *decoderScratch {
	scratch := new(decoderScratch)
	nan := float32(math.NaN())
	for channel := range scratch.channels {
		c := &scratch.channels[channel]
		for _, buf := range [][]float32{c.freq[:], c.accumulated[:], c.blockFreq[:], c.time[:], c.mdct.fft[:], c.mdct.deshuffled[:], c.mdct.out[:]} {
			for i := range buf {
				buf[i] = nan
			}
		}
		for _, buf := range [][]complex32{c.mdct.preRotated[:], c.mdct.fftOut[:], c.mdct.fftWork[:]} {
			for i := range buf {
				buf[i] = complex32{r: nan, i: nan}
			}
		}
	}

	return scratch
}

func TestInverseMDCTBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range frameSampleCounts {
		for trial := range 50 {
			freq := testSpectrum(rng, n)
			want := upstreamInverseMDCTWithScratch(freq, new(mdctScratch))
			got := inverseMDCTWithScratch(freq, &garbageScratch().channels[0].mdct)
			sameBits(t, fmt.Sprintf("%d bins, trial %d", n, trial), got, want)
		}
	}
}

func TestInverseTransformChannelBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for lm, frameSampleCount := range frameSampleCounts {
		patched, upstream := NewDecoder(), NewDecoder()
		// Long and transient frames in turn, so that the overlap one kind
		// leaves is carried into the other.
		for frame := range 40 {
			info := &frameSideInfo{lm: lm, transient: rng.IntN(3) == 0}
			freq := testSpectrum(rng, frameSampleCount)
			what := fmt.Sprintf("lm %d frame %d (transient %v)", lm, frame, info.transient)
			for channel := range 2 {
				patched.scratch = garbageScratch()
				got := patched.inverseTransformChannel(freq, channel, info)
				want := upstreamInverseTransformChannel(&upstream, freq, channel, info)
				sameBits(t, what, got, want)
				sameBits(t, what+" overlap", patched.overlap[channel], upstream.overlap[channel])
			}
		}
	}
}

func TestInverseComplexDFTBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, frameSampleCount := range frameSampleCounts {
		plan := inverseTransformPlanForFrameSampleCount(frameSampleCount)
		for trial := range 50 {
			values := testSpectrum(rng, 2*plan.n4)
			in := make([]complex32, plan.n4)
			for i := range in {
				in[i] = complex32{r: values[2*i], i: values[2*i+1]}
			}
			got := make([]complex32, plan.n4)
			want := make([]complex32, plan.n4)
			data := testSignal(rng, 2*plan.n4, 1) // garbage the transform must overwrite
			inverseComplexDFTInto(in, got, data, plan)
			upstreamInverseComplexDFTInto(in, want, make([]complex32, plan.n4), plan)
			what := fmt.Sprintf("%d points, trial %d", plan.n4, trial)
			for i := range want {
				sameBits(t, what, []float32{got[i].r, got[i].i}, []float32{want[i].r, want[i].i})
			}
		}
	}
}

// TestDecodePulsesBitExact decodes a PVQ vector of every dimension and pulse
// count the table covers, from random range coder data, and checks that it
// is upstream's vector, read with as many bits.
func TestDecodePulsesBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 1; n <= cwrsMaxDimension; n++ {
		for k := 1; k <= cwrsMaxPulseCount; k++ {
			for trial := range 3 {
				data := make([]byte, 64)
				for i := range data {
					data[i] = byte(rng.Uint32())
				}
				var patched, upstream rangecoding.Decoder
				patched.Init(data)
				upstream.Init(data)
				got := make([]int, n)
				want := make([]int, n)
				decodePulses(got, n, k, &patched, nil)
				upstreamDecodePulses(want, n, k, &upstream, map[cwrsRowKey][]uint32{})
				if !slices.Equal(got, want) || patched.FinalRange() != upstream.FinalRange() || patched.Tell() != upstream.Tell() {
					t.Fatalf("n %d k %d trial %d: pulses %v, upstream %v", n, k, trial, got, want)
				}
			}
		}
	}
}

// TestCombFilterBitExact runs the pitch post-filter (patch 4) over random
// histories and frames, with every tapset, periods from the shortest to
// the longest (short ones read samples the same call filtered), gains of
// zero and the largest, for each length applyPostfilter gives it.
func TestCombFilterBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	gains := []float32{0, postFilterGainStep, 0.65625, 8 * postFilterGainStep}
	for _, n := range []int{1, 2, 119, 120, 121, 360, 840} {
		for trial := range 200 {
			buf := testSignal(rng, postfilterHistorySampleCount+n, 32768)
			want := slices.Clone(buf)
			periods := [2]int{}
			for i := range periods {
				if rng.IntN(2) == 0 {
					periods[i] = combFilterMinPeriod + rng.IntN(8)
				} else {
					periods[i] = combFilterMinPeriod + rng.IntN(combFilterMaxPeriod-2-combFilterMinPeriod+1)
				}
			}
			gain0, gain1 := gains[rng.IntN(len(gains))], gains[rng.IntN(len(gains))]
			tapset0, tapset1 := rng.IntN(3), rng.IntN(3)
			combFilter(buf, postfilterHistorySampleCount, periods[0], periods[1], n, gain0, gain1, tapset0, tapset1)
			upstreamCombFilter(want, postfilterHistorySampleCount, periods[0], periods[1], n, gain0, gain1, tapset0, tapset1)
			sameBits(t, fmt.Sprintf("n %d trial %d (periods %v, gains %g %g, tapsets %d %d)",
				n, trial, periods, gain0, gain1, tapset0, tapset1), buf, want)
		}
	}
}

// TestExpRotation1BitExact rotates random bands of every length up to the
// widest (176) with strides 1 to 12 and the angles expRotation computes.
func TestExpRotation1BitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for length := 1; length <= 176; length++ {
		for stride := 1; stride <= 12; stride++ {
			for trial := range 4 {
				theta := 0.5 * math.Pi * rng.Float64()
				c, s := float32(math.Cos(theta)), float32(math.Sin(theta))
				if trial%2 == 1 {
					s = -s
				}
				got := testSignal(rng, length, 1)
				want := slices.Clone(got)
				expRotation1(got, length, stride, c, s)
				upstreamExpRotation1(want, length, stride, c, s)
				sameBits(t, fmt.Sprintf("length %d stride %d trial %d", length, stride, trial), got, want)
			}
		}
	}
}

// TestSpreadingRotationBitExact computes the spreading rotation's cosine
// and sine (patch 5) for every band length up to twice the widest band, every
// pulse count that rotates and every spread, and wants upstream's float32s.
func TestSpreadingRotationBitExact(t *testing.T) {
	for length := 1; length <= 2*176; length++ {
		for pulses := 0; 2*pulses < length; pulses++ {
			for spread := spreadLight; spread <= spreadAggressive; spread++ {
				c, s := spreadingRotation(length, pulses, spread)
				wantC, wantS := upstreamSpreadingRotation(length, pulses, spread)
				if math.Float32bits(c) != math.Float32bits(wantC) || math.Float32bits(s) != math.Float32bits(wantS) {
					t.Fatalf("length %d pulses %d spread %d: got (%g, %g), want (%g, %g)",
						length, pulses, spread, c, s, wantC, wantS)
				}
			}
		}
	}
}

// TestNoiseFillBitExact fills and folds bands of every length with noise
// (patch 5), the seed carried from band to band, and wants upstream's
// coefficients and seeds.
func TestNoiseFillBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	seed := rng.Uint32()
	wantState := bandDecodeState{seed: seed}
	for length := 1; length <= 176; length++ {
		for _, fold := range []bool{false, true} {
			var lowband []float32
			if fold {
				lowband = testSignal(rng, length, 1)
			}
			got := make([]float32, length)
			want := make([]float32, length)
			if fold {
				seed = foldWithNoise(got, lowband, seed)
			} else {
				seed = fillWithNoise(got, seed)
			}
			upstreamNoiseFill(want, lowband, length, &wantState)
			what := fmt.Sprintf("length %d fold %v", length, fold)
			sameBits(t, what, got, want)
			if seed != wantState.seed {
				t.Fatalf("%s: seed %#x, want %#x", what, seed, wantState.seed)
			}
		}
	}
}

// TestBandScalingBitExact sums the energy of PVQ pulse vectors of every
// length, scales them to unit energy times a gain, renormalises folded bands
// and scales bands for folding by the square root of their length (patch 5),
// and wants upstream's sums and float32s, beyond the length untouched.
func TestBandScalingBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for length := 1; length <= 176; length++ {
		for trial := range 4 {
			iy := make([]int, length+3)
			energy := 0
			for i := range length {
				iy[i] = rng.IntN(2*trial+1) - trial
				energy += iy[i] * iy[i]
			}
			gain := rng.Float32() * 2
			got := testSignal(rng, length+3, 1)
			want := slices.Clone(got)
			if e, mask := pulseEnergyAndCollapseMask(iy, length, 1); e != upstreamPulseEnergy(iy, length) || mask != 1 {
				t.Fatalf("length %d trial %d: pulse energy %d mask %d, want %d and 1", length, trial, e, mask, upstreamPulseEnergy(iy, length))
			}
			normaliseResidual(iy, got, length, energy, gain)
			upstreamNormaliseResidual(iy, want, length, energy, gain)
			what := fmt.Sprintf("length %d trial %d", length, trial)
			sameBits(t, "normaliseResidual "+what, got, want)

			x := testSignal(rng, length+3, 1)
			got = testSignal(rng, length+3, 1)
			want = slices.Clone(got)
			scaleInto(got[:length], x, float32(math.Sqrt(float64(length))))
			upstreamScaleLowbandOut(want, x, length)
			sameBits(t, "scaleInto "+what, got, want)

			got = testSignal(rng, length+3, 1)
			want = slices.Clone(got)
			renormaliseVector(got, length, gain)
			upstreamRenormaliseVector(want, length, gain)
			sameBits(t, "renormaliseVector "+what, got, want)
		}
	}
}

// TestAllocationInterpolationPointMatchesUpstream searches the allocation's
// interpolation point (patch 5) for random static rows, thresholds, caps and
// budgets, over every range of coded bands, empty ones too, and wants
// upstream's point.
func TestAllocationInterpolationPointMatchesUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	row := func(limit int) []int {
		r := make([]int, maxBands)
		for i := range r {
			r[i] = rng.IntN(limit)
		}

		return r
	}
	for trial := range 200 {
		bits1, bits2, threshold, caps := row(400), row(800), row(200), row(1200)
		floor := (1 + trial%2) << bitResolution
		for start := 0; start <= maxBands; start++ {
			for end := max(start-1, 0); end <= maxBands; end++ {
				total := rng.IntN(8000) - 100
				got := allocationInterpolationPoint(bits1[start:max(end, start)], bits2[start:max(end, start)],
					threshold[start:max(end, start)], caps[start:max(end, start)], floor, total)
				want := upstreamAllocationInterpolationPoint(start, end, bits1, bits2, threshold, caps, floor, total)
				if got != want {
					t.Fatalf("trial %d bands %d to %d total %d: point %d, want %d", trial, start, end, total, got, want)
				}
			}
		}
	}
}

// TestAllocationCapsMatchUpstream wants the caps of the table (patch 5) to
// be upstream's for every frame size and channel count.
func TestAllocationCapsMatchUpstream(t *testing.T) {
	for lm := 0; lm <= maxLM; lm++ {
		for channels := 1; channels <= 2; channels++ {
			if got, want := allocationCaps(lm, channels), upstreamAllocationCaps(lm, channels); got != want {
				t.Errorf("LM %d, %d channels: caps %v, want %v", lm, channels, got, want)
			}
		}
	}
}

// TestStaticAllocationBitsMatchUpstream wants the static allocations of the
// table (patch 5) to be upstream's for every frame size, channel count,
// allocation vector and band.
func TestStaticAllocationBitsMatchUpstream(t *testing.T) {
	for lm := 0; lm <= maxLM; lm++ {
		for channels := 1; channels <= 2; channels++ {
			for row := range bandAllocation {
				for band := range maxBands {
					got := int(staticAllocationBits[lm][channels-1][row][band])
					if want := upstreamStaticAllocationBits(row, band, channels, lm); got != want {
						t.Errorf("LM %d, %d channels, vector %d, band %d: %d, want %d", lm, channels, row, band, got, want)
					}
				}
			}
		}
	}
}

// TestDenormaliseBandsBitExact scales every band of random spectra by random
// energies (patch 5) for every frame size and every band range, and wants
// upstream's float32s, the bins outside the bands left alone.
func TestDenormaliseBandsBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for lm := 0; lm <= maxLM; lm++ {
		n := int(bandEdges[maxBands]) << lm
		for _, bands := range [][2]int{{0, maxBands}, {0, 13}, {0, 17}, {17, maxBands}, {3, 9}} {
			info := &frameSideInfo{lm: lm, startBand: bands[0], endBand: bands[1]}
			var energy [maxBands]float32
			for band := range energy {
				energy[band] = rng.Float32() * 1000
			}
			x := testSignal(rng, n, 1)
			got := testSignal(rng, n, 1)
			want := slices.Clone(got)
			denormaliseBands(info, x, got, energy)
			upstreamDenormaliseBands(info, x, want, energy)
			sameBits(t, fmt.Sprintf("LM %d bands %v", lm, bands), got, want)
		}
	}
}

// TestPostfilterAndDeemphasisMonoBitExact decodes runs of frames of every
// size through postfilterAndDeemphasisMono (patch 4) and through the three
// steps it fuses (applyPostfilter, updatePostfilterState and
// deemphasisAndInterleave, each checked against upstream's above), with
// the post-filter off, on, and changing period, gain and tapset from
// frame to frame, and wants the same output, memories and state.
func TestPostfilterAndDeemphasisMonoBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for lm, frameSampleCount := range frameSampleCounts {
		fused, steps := NewDecoder(), NewDecoder()
		fused.scratch, steps.scratch = garbageScratch(), garbageScratch()
		for frame := range 60 {
			info := &frameSideInfo{lm: lm, outputSampleRate: sampleRate, outputChannelCount: 1, channelCount: 1}
			if frame%7 == 6 {
				info.lm = 0 // not a frame CELT codes, but the steps take it: so must the fusion
			}
			if rng.IntN(4) != 0 {
				info.postFilter = postFilter{
					enabled: true,
					period:  combFilterMinPeriod + rng.IntN(combFilterMaxPeriod-2-combFilterMinPeriod+1),
					gain:    postFilterGainStep * float32(1+rng.IntN(8)),
					tapset:  rng.IntN(3),
				}
				if rng.IntN(2) == 0 { // a pitch like Chromium's tone's, and short ones
					info.postFilter.period = combFilterMinPeriod + rng.IntN(100)
				}
			}
			time := testSignal(rng, frameSampleCount, 32768)
			stepsTime := slices.Clone(time)
			got := make([]float32, frameSampleCount)
			want := make([]float32, frameSampleCount)
			fused.postfilterAndDeemphasisMono(info, time, got)
			steps.applyPostfilter(info, stepsTime, 0)
			steps.updatePostfilterState(info)
			steps.deemphasisAndInterleave(stepsTime, nil, want, frameSampleCount, 1, sampleRate)
			what := fmt.Sprintf("lm %d frame %d (%+v)", lm, frame, info.postFilter)
			sameBits(t, what, got, want)
			sameBits(t, what+" post-filter memory", fused.postfilterMem[0], steps.postfilterMem[0])
			sameBits(t, what+" de-emphasis memory", fused.preemphasisMem[:], steps.preemphasisMem[:])
			if fused.postfilter != steps.postfilter {
				t.Fatalf("%s: post-filter state %+v, want %+v", what, fused.postfilter, steps.postfilter)
			}
		}
	}
}
