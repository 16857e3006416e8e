// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package silk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLTPSynthesisBitExact runs ltpSynthesis (patch 4, PATCHES.md) and
// upstream's (upstream_test.go) over the subframes of random voiced frames
// of every bandwidth and length: pitch lags from the shortest to the
// longest (reaching back into the previous frame's output and residual),
// every LSF interpolation factor (which moves the rewhitening's end), LPC
// sums that clamp, and wants the same residual, bit for bit.
func TestLTPSynthesisBitExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	random := func(n int, amplitude float64) []float32 {
		values := make([]float32, n)
		for i := range values {
			values[i] = float32(amplitude * rng.NormFloat64())
		}

		return values
	}
	for _, n := range []int{40, 60, 80} {
		kHz := n / 5
		lagMin, lagMax := 2*kHz, 18*kHz
		dLPC := 10
		if n == 80 {
			dLPC = 16
		}
		for _, subframes := range []int{2, 4} {
			for trial := range 100 {
				var patched, upstream Decoder
				patched.finalOutValues = random(306, 0.5)
				upstream.finalOutValues = slices.Clone(patched.finalOutValues)
				out := random(n*subframes, 0.5)
				res := random(n*subframes, 0.01)
				resLag := random(lagMax+2, 0.01)
				upstreamRes, upstreamResLag := slices.Clone(res), slices.Clone(resLag)
				bQ7 := make([][]int8, subframes)
				pitchLags := make([]int, subframes)
				gainQ16 := make([]float32, subframes)
				for s := range subframes {
					bQ7[s] = make([]int8, 5)
					for k := range bQ7[s] {
						bQ7[s][k] = int8(rng.IntN(256) - 128)
					}
					pitchLags[s] = lagMin + rng.IntN(lagMax-lagMin+1)
					if trial%4 == 0 {
						pitchLags[s] = []int{lagMin, lagMax}[s%2]
					}
					gainQ16[s] = float32(1000 + rng.IntN(1<<20))
				}
				aQ12 := random(dLPC, 4096*float64(1+trial%3))
				ltpScaleQ14 := []float32{15565, 12288, 8192}[trial%3]
				wQ2 := int16(rng.IntN(5))
				for s := range subframes {
					j := n * s
					patched.ltpSynthesis(out, bQ7, pitchLags, n, j, s, dLPC, ltpScaleQ14, wQ2, aQ12, gainQ16, res, resLag)
					upstream.upstreamLTPSynthesis(out, bQ7, pitchLags, n, j, s, dLPC, ltpScaleQ14, wQ2, aQ12, gainQ16,
						upstreamRes, upstreamResLag)
					what := fmt.Sprintf("n %d, %d subframes, trial %d, subframe %d (lag %d, w_Q2 %d)",
						n, subframes, trial, s, pitchLags[s], wQ2)
					sameFloat32Bits(t, what+" res", res, upstreamRes)
					sameFloat32Bits(t, what+" resLag", resLag, upstreamResLag)
				}
			}
		}
	}
}

func sameFloat32Bits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %g, upstream %g", what, i, got[i], want[i])
		}
	}
}
