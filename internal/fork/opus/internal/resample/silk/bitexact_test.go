// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package silkresample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The tests of this file check patch 4 (PATCHES.md): each resampler
// function it rewrote must give, for the same input and state, the very
// samples and state pion/opus v0.1.0's version (upstream_test.go) gives.

// testPCM returns n samples, one random stretch after another: silence,
// full-scale extremes (which saturate the filters), loud and quiet noise.
func testPCM(rng *rand.Rand, n int) []int16 {
	pcm := make([]int16, n)
	for i := 0; i < n; {
		run := min(n-i, 1+rng.IntN(64))
		kind := rng.IntN(5)
		for j := i; j < i+run; j++ {
			switch kind {
			case 0:
				pcm[j] = 0
			case 1:
				pcm[j] = []int16{32767, -32768}[rng.IntN(2)]
			case 2:
				pcm[j] = int16(rng.IntN(64) - 32)
			default:
				pcm[j] = int16(rng.Uint32())
			}
		}
		i += run
	}

	return pcm
}

func TestUp2HQBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var patched, upstream Resampler
	// Consecutive calls of every length up to a 10 ms batch at 16 kHz, so
	// that the state carried from one to the next is checked too.
	for call := range 400 {
		in := testPCM(rng, rng.IntN(161))
		got := make([]int16, 2*len(in))
		want := make([]int16, 2*len(in))
		patched.resamplerPrivateUp2HQ(got, in)
		upstream.upstreamResamplerPrivateUp2HQ(want, in)
		if !slices.Equal(got, want) || patched.sIIR != upstream.sIIR {
			t.Fatalf("call %d (%d samples): output or state differs from upstream's", call, len(in))
		}
	}
}

func TestIIRFIRInterpolateBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	// The steps Init gives for upsampling from 8, 12 and 16 kHz, and
	// random ones, over every batch length.
	steps := []int32{}
	for _, rates := range [][2]int{{8000, 12000}, {8000, 24000}, {8000, 48000}, {12000, 16000}, {12000, 48000}, {16000, 24000}, {16000, 48000}} {
		var r Resampler
		if err := r.Init(rates[0], rates[1]); err != nil {
			t.Fatal(err)
		}
		if r.resamplerFunction == resamplerIIRFIR {
			steps = append(steps, r.invRatioQ16)
		}
	}
	if len(steps) == 0 {
		t.Fatal("no rate pair uses the IIR-FIR resampler")
	}
	for range 20 {
		steps = append(steps, int32(1<<12+rng.IntN(1<<17)))
	}
	for _, step := range steps {
		for samples := 1; samples <= 160; samples++ {
			buf := testPCM(rng, 2*samples+orderFIR12)
			maxIndexQ16 := int32(samples) << 17
			outCount := int((maxIndexQ16+step-1)/step) + 1
			got := make([]int16, outCount)
			want := make([]int16, outCount)
			gotCount := resamplerPrivateIIRFIRInterpolate(got, buf, maxIndexQ16, step)
			wantCount := upstreamResamplerPrivateIIRFIRInterpolate(want, buf, maxIndexQ16, step)
			if gotCount != wantCount || !slices.Equal(got, want) {
				t.Fatalf("%s: %d samples, upstream %d, or their values differ",
					fmt.Sprintf("step %d, %d samples in", step, samples), gotCount, wantCount)
			}
		}
	}
}

// BenchmarkUpsample16To48 times the two functions of the hybrid layer's
// resampler (16 to 48 kHz) on a 20 ms frame, beside upstream's.
func BenchmarkUpsample16To48(b *testing.B) {
	var r Resampler
	if err := r.Init(16000, 48000); err != nil {
		b.Fatal(err)
	}
	in := make([]int16, 320) // a 440 Hz tone at half scale
	for i := range in {
		in[i] = int16(16384 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	buf := make([]int16, 2*len(in)+orderFIR12)
	out := make([]int16, 3*len(in)+1)
	b.Run("upstream", func(b *testing.B) {
		for b.Loop() {
			r.upstreamResamplerPrivateUp2HQ(buf[orderFIR12:], in)
			upstreamResamplerPrivateIIRFIRInterpolate(out, buf, int32(len(in))<<17, r.invRatioQ16)
		}
	})
	b.Run("patched", func(b *testing.B) {
		for b.Loop() {
			r.resamplerPrivateUp2HQ(buf[orderFIR12:], in)
			resamplerPrivateIIRFIRInterpolate(out, buf, int32(len(in))<<17, r.invRatioQ16)
		}
	})
}
