// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The benchmarks of this file time each function patches 3 and 4 rewrote beside
// upstream's version (upstream_test.go), on a 20 ms frame: compare the
// two sub-benchmarks of one run.

// benchSignal is n samples of Gaussian noise, without the subnormals of
// testSignal: real frames rarely have them, and they take the processor
// a hundred times longer.
func benchSignal(n int, amplitude float32) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	signal := make([]float32, n)
	for i := range signal {
		signal[i] = amplitude * float32(rng.NormFloat64())
	}

	return signal
}

func BenchmarkDeemphasisAndInterleave(b *testing.B) {
	timeX := benchSignal(960, 32768)
	out := make([]float32, 960)
	var d Decoder
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			upstreamDeemphasisAndInterleave(&d, timeX, nil, out, 960, 1, sampleRate)
		}
	})
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			d.deemphasisAndInterleave(timeX, nil, out, 960, 1, sampleRate)
		}
	})
}

func BenchmarkInverseTransformChannel(b *testing.B) {
	freq := benchSignal(960, 1000)
	info := &frameSideInfo{lm: maxLM}
	d := NewDecoder()
	d.scratch = new(decoderScratch)
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			upstreamInverseTransformChannel(&d, freq, 0, info)
		}
	})
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			d.inverseTransformChannel(freq, 0, info)
		}
	})
}

func BenchmarkInverseComplexDFT(b *testing.B) {
	plan := inverseTransformPlanForFrameSampleCount(960)
	values := benchSignal(2*plan.n4, 1000)
	in := make([]complex32, plan.n4)
	for i := range in {
		in[i] = complex32{r: values[2*i], i: values[2*i+1]}
	}
	out := make([]complex32, plan.n4)
	work := make([]complex32, plan.n4)
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			upstreamInverseComplexDFTInto(in, out, work, plan)
		}
	})
	data := make([]float32, 2*plan.n4)
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			inverseComplexDFTInto(in, out, data, plan)
		}
	})
}

// BenchmarkCombFilter filters a 20 ms frame as applyPostfilter does (the
// overlap, then the rest), with Chromium's 440 Hz tone's filter (period
// 109, gain 0.65625), from a fresh copy of the frame each time.
func BenchmarkCombFilter(b *testing.B) {
	signal := benchSignal(postfilterHistorySampleCount+960, 32768)
	buf := make([]float32, len(signal))
	for _, variant := range []struct {
		name   string
		filter func([]float32, int, int, int, int, float32, float32, int, int)
	}{{"upstream", upstreamCombFilter}, {"patched", combFilter}} {
		b.Run(variant.name, func(b *testing.B) {
			for b.Loop() {
				copy(buf, signal)
				variant.filter(buf, postfilterHistorySampleCount, 109, 109, 120, 0.65625, 0.65625, 1, 1)
				variant.filter(buf, postfilterHistorySampleCount+120, 109, 109, 840, 0.65625, 0.65625, 1, 1)
			}
		})
	}
}

// BenchmarkExpRotation1 rotates a band of 96 coefficients with a stride
// of 1, as spreading does.
func BenchmarkExpRotation1(b *testing.B) {
	x := benchSignal(96, 1)
	c, s := float32(math.Cos(0.3)), float32(math.Sin(0.3))
	for _, variant := range []struct {
		name   string
		rotate func([]float32, int, int, float32, float32)
	}{{"upstream", upstreamExpRotation1}, {"patched", expRotation1}} {
		b.Run(variant.name, func(b *testing.B) {
			for b.Loop() {
				// Rotating forth and back keeps x in range.
				variant.rotate(x, len(x), 1, c, s)
				variant.rotate(x, len(x), 1, c, -s)
			}
		})
	}
}

// BenchmarkPostfilterAndDeemphasisMono times a 20 ms mono frame's
// post-filter (Chromium's tone's) and de-emphasis, fused and in steps.
func BenchmarkPostfilterAndDeemphasisMono(b *testing.B) {
	time := benchSignal(960, 32768)
	work := make([]float32, len(time))
	out := make([]float32, len(time))
	info := &frameSideInfo{lm: maxLM, postFilter: postFilter{enabled: true, period: 109, gain: 0.65625, tapset: 1}}
	d := NewDecoder()
	d.scratch = new(decoderScratch)
	b.Run("steps", func(b *testing.B) {
		for b.Loop() {
			copy(work, time)
			d.applyPostfilter(info, work, 0)
			d.updatePostfilterState(info)
			d.deemphasisAndInterleave(work, nil, out, len(work), 1, sampleRate)
		}
	})
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			copy(work, time)
			d.postfilterAndDeemphasisMono(info, work, out)
		}
	})
}
