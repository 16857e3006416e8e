// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

import "github.com/pion/opus/internal/rangecoding"

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

func upstreamInverseTransformChannel(d *Decoder, freq []float32, channel int, info *frameSideInfo) []float32 {
	channelScratch := &d.scratchBuffer().channels[channel]
	frameSampleCount := len(freq)
	accumulated := channelScratch.accumulated[:frameSampleCount+shortBlockSampleCount]
	clear(accumulated)
	blockCount := 1
	blockSampleCount := frameSampleCount
	stride := 1
	if info.transient {
		blockCount = 1 << info.lm
		blockSampleCount = shortBlockSampleCount
		stride = blockCount
	}
	// Transient spectra are interleaved short MDCTs; non-transient frames are
	// one long transform. Accumulate either form into a single time buffer.
	for block := range blockCount {
		blockFreq := channelScratch.blockFreq[:blockSampleCount]
		if info.transient {
			for i := range blockSampleCount {
				blockFreq[i] = freq[block+i*stride]
			}
		} else {
			copy(blockFreq, freq)
		}
		blockTime := upstreamInverseMDCTWithScratch(blockFreq, &channelScratch.mdct)
		for i := range blockSampleCount + shortBlockSampleCount {
			accumulated[block*blockSampleCount+i] += blockTime[i]
		}
	}

	time := channelScratch.time[:frameSampleCount]
	for i := range shortBlockSampleCount {
		time[i] = accumulated[i] + d.overlap[channel][i]
	}
	copy(time[shortBlockSampleCount:], accumulated[shortBlockSampleCount:frameSampleCount])
	copy(d.overlap[channel], accumulated[frameSampleCount:frameSampleCount+shortBlockSampleCount])

	return time
}

func upstreamInverseMDCTWithScratch(freq []float32, scratch *mdctScratch) []float32 {
	n2 := len(freq)
	plan := inverseTransformPlanForFrameSampleCount(n2)
	n4 := plan.n4
	preRotated := scratch.preRotated[:n4]
	// Pack the MDCT input into the complex half-size transform domain before
	// the inverse complex step, matching the reference mdct_backward staging.
	for i := range n4 {
		xp1 := freq[2*i]
		xp2 := freq[n2-1-2*i]
		cosine := plan.rotateCos[i]
		sineQuarter := plan.rotateSinQuarter[i]
		yr := -xp2*cosine + xp1*sineQuarter
		yi := -xp2*sineQuarter - xp1*cosine
		preRotated[i] = complex32{r: yr - yi*plan.sine, i: yi + yr*plan.sine}
	}

	fftOut := scratch.fftOut[:n4]
	upstreamInverseComplexDFTInto(preRotated, fftOut, scratch.fftWork[:n4], plan)
	deshuffled := scratch.deshuffled[:n2]
	// Rotate back out of the complex domain and restore the packed even/odd
	// ordering expected by the time-domain mirror step. Write directly into
	// that order to avoid an intermediate buffer and a second pass.
	for i, value := range fftOut {
		re := value.r
		im := value.i
		cosine := plan.rotateCos[i]
		sineQuarter := plan.rotateSinQuarter[i]
		yr := re*cosine - im*sineQuarter
		yi := im*cosine + re*sineQuarter
		deshuffled[2*i] = -(yr - yi*plan.sine)
		deshuffled[n2-1-2*i] = yi + yr*plan.sine
	}

	overlap := shortBlockSampleCount
	out := scratch.out[:n2+overlap]
	clear(out)
	leftPlain := n4 - overlap/2
	// Apply the low-overlap window from RFC 6716 Section 4.3.7. The middle
	// region is unwindowed; the edges are mirrored for TDAC overlap-add.
	for i := 0; i < leftPlain; i++ {
		out[n4+overlap/2-1-i] = float32(deshuffled[n4-1-i])
	}
	for i := leftPlain; i < n4; i++ {
		x1 := deshuffled[n4-1-i]
		windowIndex := i - leftPlain
		out[windowIndex] += -celtWindow(windowIndex) * x1
		out[n4+overlap/2-1-i] += celtWindow(overlap-1-windowIndex) * x1
	}

	for i := 0; i < leftPlain; i++ {
		out[n4+overlap/2+i] = deshuffled[n4+i]
	}
	for i := leftPlain; i < n4; i++ {
		x2 := deshuffled[n4+i]
		windowIndex := i - leftPlain
		out[n2+overlap-1-windowIndex] = celtWindow(windowIndex) * x2
		out[n4+overlap/2+i] = celtWindow(overlap-1-windowIndex) * x2
	}

	return out
}

func upstreamInverseComplexDFTInto(in []complex32, out []complex32, work []complex32, plan *inverseTransformPlan) {
	if len(in) == 0 {
		return
	}

	for i, value := range in {
		out[plan.fftBitrev[i]] = value
	}
	for stage := len(plan.fftFactors) - 1; stage >= 0; stage-- {
		factor := plan.fftFactors[stage]
		fstride := plan.n4 / (factor.radix * factor.size)
		switch factor.radix {
		case 2:
			upstreamInverseFFTButterfly2(out, factor.size, fstride, plan)
		case 3:
			upstreamInverseFFTButterfly3(out, factor.size, fstride, plan)
		case 4:
			upstreamInverseFFTButterfly4(out, factor.size, fstride, plan)
		case 5:
			upstreamInverseFFTButterfly5(out, factor.size, fstride, plan)
		default:
			inverseFFTButterflyGeneric(out, work, factor.radix, factor.size, fstride, plan)
		}
	}
}

func upstreamInverseFFTButterfly2(out []complex32, subtransformLength, fstride int, plan *inverseTransformPlan) {
	groupSize := 2 * subtransformLength
	for group := 0; group < fstride; group++ {
		base := group * groupSize
		for frequencyIndex := 0; frequencyIndex < subtransformLength; frequencyIndex++ {
			out0 := out[base+frequencyIndex]
			out1 := out[base+subtransformLength+frequencyIndex]
			twiddle := plan.fftTwiddles[frequencyIndex*fstride]
			out1 = multiplyComplex32(out1, twiddle)
			out[base+frequencyIndex] = addComplex32(out0, out1)
			out[base+subtransformLength+frequencyIndex] = subtractComplex32(out0, out1)
		}
	}
}

func upstreamInverseFFTButterfly3(out []complex32, subtransformLength, fstride int, plan *inverseTransformPlan) {
	groupSize := 3 * subtransformLength
	epi3 := plan.fftTwiddles[fstride*subtransformLength]
	for group := 0; group < fstride; group++ {
		base := group * groupSize
		for frequencyIndex := 0; frequencyIndex < subtransformLength; frequencyIndex++ {
			out0 := out[base+frequencyIndex]
			out1 := multiplyComplex32(out[base+subtransformLength+frequencyIndex], plan.fftTwiddles[frequencyIndex*fstride])
			out2 := multiplyComplex32(out[base+2*subtransformLength+frequencyIndex], plan.fftTwiddles[2*frequencyIndex*fstride])
			sum := addComplex32(out1, out2)
			diff := multiplyComplex32ByFloat32(subtractComplex32(out1, out2), epi3.i)
			mid := subtractComplex32(out0, multiplyComplex32ByFloat32(sum, 0.5))
			out[base+frequencyIndex] = addComplex32(out0, sum)
			out[base+subtransformLength+frequencyIndex] = complex32{r: mid.r - diff.i, i: mid.i + diff.r}
			out[base+2*subtransformLength+frequencyIndex] = complex32{r: mid.r + diff.i, i: mid.i - diff.r}
		}
	}
}

func upstreamInverseFFTButterfly4(out []complex32, subtransformLength, fstride int, plan *inverseTransformPlan) {
	groupSize := 4 * subtransformLength
	for group := 0; group < fstride; group++ {
		base := group * groupSize
		for frequencyIndex := 0; frequencyIndex < subtransformLength; frequencyIndex++ {
			out0 := out[base+frequencyIndex]
			out1 := multiplyComplex32(out[base+subtransformLength+frequencyIndex], plan.fftTwiddles[frequencyIndex*fstride])
			out2 := multiplyComplex32(out[base+2*subtransformLength+frequencyIndex], plan.fftTwiddles[2*frequencyIndex*fstride])
			out3 := multiplyComplex32(out[base+3*subtransformLength+frequencyIndex], plan.fftTwiddles[3*frequencyIndex*fstride])
			evenDifference := subtractComplex32(out0, out2)
			evenSum := addComplex32(out0, out2)
			oddSum := addComplex32(out1, out3)
			oddDifference := subtractComplex32(out1, out3)
			out[base+frequencyIndex] = addComplex32(evenSum, oddSum)
			out[base+2*subtransformLength+frequencyIndex] = subtractComplex32(evenSum, oddSum)
			out[base+subtransformLength+frequencyIndex] = complex32{r: evenDifference.r - oddDifference.i, i: evenDifference.i + oddDifference.r}
			out[base+3*subtransformLength+frequencyIndex] = complex32{r: evenDifference.r + oddDifference.i, i: evenDifference.i - oddDifference.r}
		}
	}
}

func upstreamInverseFFTButterfly5(out []complex32, subtransformLength, fstride int, plan *inverseTransformPlan) {
	groupSize := 5 * subtransformLength
	ya := plan.fftTwiddles[fstride*subtransformLength]
	yb := plan.fftTwiddles[2*fstride*subtransformLength]
	for group := 0; group < fstride; group++ {
		base := group * groupSize
		for frequencyIndex := 0; frequencyIndex < subtransformLength; frequencyIndex++ {
			out0 := out[base+frequencyIndex]
			out1 := multiplyComplex32(out[base+subtransformLength+frequencyIndex], plan.fftTwiddles[frequencyIndex*fstride])
			out2 := multiplyComplex32(out[base+2*subtransformLength+frequencyIndex], plan.fftTwiddles[2*frequencyIndex*fstride])
			out3 := multiplyComplex32(out[base+3*subtransformLength+frequencyIndex], plan.fftTwiddles[3*frequencyIndex*fstride])
			out4 := multiplyComplex32(out[base+4*subtransformLength+frequencyIndex], plan.fftTwiddles[4*frequencyIndex*fstride])
			sum14 := addComplex32(out1, out4)
			diff14 := subtractComplex32(out1, out4)
			sum23 := addComplex32(out2, out3)
			diff23 := subtractComplex32(out2, out3)
			out[base+frequencyIndex] = addComplex32(out0, addComplex32(sum14, sum23))

			base14 := addComplex32(
				out0,
				addComplex32(
					multiplyComplex32ByFloat32(sum14, ya.r),
					multiplyComplex32ByFloat32(sum23, yb.r),
				),
			)
			rotate14 := complex32{
				r: -diff14.i*ya.i - diff23.i*yb.i,
				i: diff14.r*ya.i + diff23.r*yb.i,
			}
			out[base+subtransformLength+frequencyIndex] = addComplex32(base14, rotate14)
			out[base+4*subtransformLength+frequencyIndex] = subtractComplex32(base14, rotate14)

			base23 := addComplex32(
				out0,
				addComplex32(
					multiplyComplex32ByFloat32(sum14, yb.r),
					multiplyComplex32ByFloat32(sum23, ya.r),
				),
			)
			rotate23 := complex32{
				r: -diff14.i*yb.i + diff23.i*ya.i,
				i: diff14.r*yb.i - diff23.r*ya.i,
			}
			out[base+2*subtransformLength+frequencyIndex] = addComplex32(base23, rotate23)
			out[base+3*subtransformLength+frequencyIndex] = subtractComplex32(base23, rotate23)
		}
	}
}

func upstreamDecodePulses(
	y []int,
	n,
	k int,
	rangeDecoder *rangecoding.Decoder,
	cwrsRows map[cwrsRowKey][]uint32,
) {
	if k <= 0 {
		clear(y[:n])

		return
	}

	switch n {
	case 2:
		index, _ := rangeDecoder.DecodeUniform(cwrsCodewordCount2(k))
		cwrsDecode2(y, k, index)

		return
	case 3:
		index, _ := rangeDecoder.DecodeUniform(cwrsCodewordCount3(k))
		cwrsDecode3(y, k, index)

		return
	case 4:
		index, _ := rangeDecoder.DecodeUniform(cwrsCodewordCount4(k))
		cwrsDecode4(y, k, index)

		return
	}

	var row [cwrsMaxPulseCount + 2]uint32
	var u []uint32
	if k > cwrsMaxPulseCount {
		u = make([]uint32, k+2)
	} else {
		u = row[:k+2]
	}
	if cwrsRows == nil {
		cwrsUrowInto(u, n)
	} else {
		copy(u, cachedCWRSRow(cwrsRows, n, k))
	}
	total := u[k] + u[k+1]
	index, _ := rangeDecoder.DecodeUniform(total)
	cwrsDecode(y, n, k, index, u)
}
