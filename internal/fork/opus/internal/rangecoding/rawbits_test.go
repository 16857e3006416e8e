// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package rangecoding

import (
	"math/rand/v2"
	"testing"
)

// TestRawBitsMatchUpstream reads frames of every length up to 24 bytes as
// runs of raw reads of 0 to 40 bits, past their end too, and checks that
// each read returns upstream's bits and leaves upstream's cursor and count.
func TestRawBitsMatchUpstream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for length := range 25 {
		for trial := range 20 {
			data := make([]byte, length)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			var patched, upstream Decoder
			patched.Init(data)
			upstream.Init(data)
			for read := range 30 {
				n := uint(rng.IntN(41))
				got := patched.DecodeRawBits(n)
				want := upstreamGetRawBits(&upstream, n)
				if got != want || patched.rawBitsRead != upstream.rawBitsRead || patched.nbitsTotal != upstream.nbitsTotal {
					t.Fatalf("%d bytes, trial %d, read %d of %d bits: %#x, cursor %d, count %d; upstream %#x, %d, %d",
						length, trial, read, n, got, patched.rawBitsRead, patched.nbitsTotal,
						want, upstream.rawBitsRead, upstream.nbitsTotal)
				}
			}
		}
	}
}
