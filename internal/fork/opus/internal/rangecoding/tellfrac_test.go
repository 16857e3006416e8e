// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package rangecoding

import (
	"math/rand/v2"
	"testing"
)

// TestTellFracMatchesUpstream gives TellFrac every 16-bit top of the range at
// every length from 24 to 32 bits (random bits below the top), shorter and
// empty ranges, and bit counts from none to past a frame, and wants
// upstream's count.
func TestTellFracMatchesUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(rangeSize uint32, nbitsTotal uint) {
		t.Helper()
		r := &Decoder{rangeSize: rangeSize, nbitsTotal: nbitsTotal}
		if got, want := r.TellFrac(), upstreamTellFrac(r); got != want {
			t.Fatalf("range %#x, %d bits: TellFrac %d, want %d", rangeSize, nbitsTotal, got, want)
		}
	}
	for top := uint32(1 << 15); top < 1<<16; top++ {
		for length := uint(24); length <= 32; length++ {
			low := rng.Uint32() & (1<<(length-16) - 1)
			check(top<<(length-16)|low, rng.UintN(10000))
		}
	}
	for range 10000 {
		check(rng.Uint32()>>rng.UintN(33), rng.UintN(64))
	}
	check(0, 17)
}
