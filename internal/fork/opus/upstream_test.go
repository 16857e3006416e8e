// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package opus

import "github.com/pion/opus/internal/bitdepth"

// pion/opus v0.1.0's version of the function patch 4 (PATCHES.md)
// rewrote, verbatim but for its name, for hybrid_test.go to compare.

// addHybridSilk combines the decoded WB SILK contribution with the CELT layer
// after both are represented in the decoder's output-rate domain.
func (d *Decoder) upstreamAddHybridSilk(
	out []float32,
	silkPCM []float32,
	streamChannelCount int,
	outputChannelCount int,
	samplesPerChannel int,
) {
	for i := range silkPCM {
		silkPCM[i] = float32(bitdepth.Float32ToSigned16(silkPCM[i])) / 32768
	}
	for sample := range samplesPerChannel {
		silkIndex := sample * streamChannelCount
		outIndex := sample * outputChannelCount
		switch {
		case streamChannelCount == outputChannelCount:
			for channel := range outputChannelCount {
				out[outIndex+channel] += silkPCM[silkIndex+channel]
			}
		case streamChannelCount == 1 && outputChannelCount == 2:
			out[outIndex] += silkPCM[silkIndex]
			out[outIndex+1] += silkPCM[silkIndex]
		case streamChannelCount == 2 && outputChannelCount == 1:
			out[outIndex] += 0.5 * (silkPCM[silkIndex] + silkPCM[silkIndex+1])
		}
	}
}
