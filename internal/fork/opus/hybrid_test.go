// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package opus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pion/opus/internal/bitdepth"
	silkresample "github.com/pion/opus/internal/resample/silk"
)

// The tests of this file check patch 4's addHybridSilk (PATCHES.md), which
// leaves out upstream's requantisation of the hybrid layer's SILK samples
// to 16 bits as a no-op for what the resampler gives it.

// TestHybridSilkRequantisationIsIdentity: every sample the hybrid
// resampler can give (a 16-bit value over 32768) comes back from
// upstream's round trip through Float32ToSigned16 unchanged, bit for bit;
// and the resampler gives only such samples.
func TestHybridSilkRequantisationIsIdentity(t *testing.T) {
	for k := math.MinInt16; k <= math.MaxInt16; k++ {
		sample := float32(k) / 32768
		back := float32(bitdepth.Float32ToSigned16(sample)) / 32768
		if math.Float32bits(back) != math.Float32bits(sample) {
			t.Fatalf("%d/32768 requantises to %g", k, back)
		}
	}

	rng := rand.New(rand.NewPCG(21, 22))
	var resampler silkresample.Resampler
	if err := resampler.Init(16000, 48000); err != nil {
		t.Fatal(err)
	}
	in := make([]float32, 320)
	out := make([]float32, 960)
	for frame := range 50 {
		for i := range in {
			in[i] = float32(rng.NormFloat64()) * []float32{0, 1e-4, 0.1, 0.5, 2}[frame%5]
		}
		if err := resampler.Resample(in, out); err != nil {
			t.Fatal(err)
		}
		for i, sample := range out {
			k := sample * 32768
			if k != float32(int16(k)) {
				t.Fatalf("frame %d: resampled sample %d is %g, not a 16-bit value over 32768", frame, i, sample)
			}
		}
	}
}

// TestAddHybridSilkBitExact sums random SILK samples (16-bit values over
// 32768, as the resampler gives) into random CELT output, for every
// stream and output channel count, and wants upstream's sums.
func TestAddHybridSilkBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var patched, upstream Decoder
	for _, channels := range [][2]int{{1, 1}, {2, 2}, {1, 2}, {2, 1}} {
		stream, output := channels[0], channels[1]
		for trial := range 20 {
			samples := []int{120, 240, 480, 960}[trial%4]
			silk := make([]float32, samples*stream)
			for i := range silk {
				silk[i] = float32(int16(rng.Uint32())) / 32768
			}
			got := make([]float32, samples*output)
			for i := range got {
				got[i] = float32(rng.NormFloat64())
			}
			want := append([]float32(nil), got...)
			upstreamSilk := append([]float32(nil), silk...)
			patched.addHybridSilk(got, silk, stream, output, samples)
			upstream.upstreamAddHybridSilk(want, upstreamSilk, stream, output, samples)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: sample %d is %g, upstream %g",
						fmt.Sprintf("%d to %d channels, trial %d", stream, output, trial), i, got[i], want[i])
				}
			}
		}
	}
}
