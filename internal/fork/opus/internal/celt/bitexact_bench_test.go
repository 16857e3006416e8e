// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

import (
	"math/rand/v2"
	"testing"
)

// The benchmarks of this file time each function patch 3 rewrote beside
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
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			inverseComplexDFTInto(in, out, work, plan)
		}
	})
}
