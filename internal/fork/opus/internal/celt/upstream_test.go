// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

// This file keeps pion/opus v0.1.0's own versions of the functions patch 3
// rewrote for speed (see PATCHES.md), copied verbatim but for their names
// (an "upstream" prefix, and methods made functions of d), so that
// bitexact_test.go can check the rewrites float32 bit for float32 bit.

func upstreamDeemphasisAndInterleave(
	d *Decoder,
	timeX []float32,
	timeY []float32,
	out []float32,
	frameSampleCount int,
	channelCount int,
	outputSampleRate int,
) {
	if outputSampleRate == 0 {
		outputSampleRate = sampleRate
	}
	downsample := sampleRate / outputSampleRate
	outputSample := 0
	for sample := range frameSampleCount {
		left := timeX[sample] + d.preemphasisMem[0]
		d.preemphasisMem[0] = 0.85000610 * left
		if sample%downsample != 0 {
			if channelCount == 2 {
				right := timeY[sample] + d.preemphasisMem[1]
				d.preemphasisMem[1] = 0.85000610 * right
			}

			continue
		}
		out[outputSample*channelCount] = left / 32768
		if channelCount == 2 {
			right := timeY[sample] + d.preemphasisMem[1]
			d.preemphasisMem[1] = 0.85000610 * right
			out[outputSample*channelCount+1] = right / 32768
		}
		outputSample++
	}
}
