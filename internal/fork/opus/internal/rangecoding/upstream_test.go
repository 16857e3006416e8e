// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package rangecoding

import "math/bits"

// pion/opus v0.1.0's raw-bit reader, which patch 3 rewrote (PATCHES.md),
// and its TellFrac, which patch 5 rewrote,
// copied verbatim but for its names (an "upstream" prefix, methods made
// functions of r), for rawbits_test.go to compare against.

func upstreamGetRawBit(r *Decoder) uint32 {
	index := r.rawBitsRead / 8
	offset := r.rawBitsRead % 8
	r.rawBitsRead++
	r.nbitsTotal++
	if index >= uint(len(r.data)) {
		return 0
	}

	byteIndex := len(r.data) - 1 - int(index) //nolint:gosec // G115: index is bounded by len(r.data) above.

	return uint32((r.data[byteIndex] >> offset) & 1)
}

func upstreamGetRawBits(r *Decoder, n uint) uint32 {
	var bits uint32

	for i := uint(0); i < n && i < 32; i++ {
		bits |= upstreamGetRawBit(r) << i
	}
	for i := uint(32); i < n; i++ {
		_ = upstreamGetRawBit(r)
	}

	return bits
}

// upstreamTellFrac is pion/opus v0.1.0's TellFrac, which patch 5 rewrote.
func upstreamTellFrac(r *Decoder) uint {
	lg := uint(bits.Len32(r.rangeSize)) //nolint:gosec // G115: bits.Len32 returns 0..32.
	if lg == 0 {
		return r.nbitsTotal * 8
	}
	if lg < 24 {
		return r.Tell() * 8
	}

	rQ15 := uint64(r.rangeSize >> (lg - 16))
	for range 3 {
		rQ15 = (rQ15 * rQ15) >> 15
		bit := rQ15 >> 16
		lg = 2*lg + uint(bit)
		if bit != 0 {
			rQ15 >>= 1
		}
	}

	total := r.nbitsTotal * 8
	if total <= lg {
		return 0
	}

	return total - lg
}
