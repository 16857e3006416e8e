// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package rangecoding

// pion/opus v0.1.0's raw-bit reader, which patch 3 rewrote (PATCHES.md),
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
