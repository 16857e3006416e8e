// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

import (
	"math"

	"github.com/pion/opus/internal/rangecoding"
)

// This file keeps pion/opus v0.1.0's own versions of the functions patches 3,
// 4 and 5 rewrote for speed (see PATCHES.md), copied verbatim but for their names
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
			upstreamInverseFFTButterflyGeneric(out, work, factor.radix, factor.size, fstride, plan)
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

// combFilter applies the RFC 6716 Section 4.3.7.1 pitch post-filter taps,
// cross-fading from the previous filter state over the overlap window.
func upstreamCombFilter(buf []float32, start int, period0 int, period1 int, n int, gain0 float32, gain1 float32, tapset0 int, tapset1 int) {
	gains := [3][3]float32{
		{0.3066406250, 0.2170410156, 0.1296386719},
		{0.4638671875, 0.2680664062, 0},
		{0.7998046875, 0.1000976562, 0},
	}
	g00 := gain0 * gains[tapset0][0]
	g01 := gain0 * gains[tapset0][1]
	g02 := gain0 * gains[tapset0][2]
	g10 := gain1 * gains[tapset1][0]
	g11 := gain1 * gains[tapset1][1]
	g12 := gain1 * gains[tapset1][2]
	overlap := min(shortBlockSampleCount, n)
	output := buf[start : start+n]
	previous0 := buf[start-period0 : start-period0+overlap]
	previous0Minus1 := buf[start-period0-1 : start-period0-1+overlap]
	previous0Plus1 := buf[start-period0+1 : start-period0+1+overlap]
	previous0Minus2 := buf[start-period0-2 : start-period0-2+overlap]
	previous0Plus2 := buf[start-period0+2 : start-period0+2+overlap]
	previous1 := buf[start-period1 : start-period1+n]
	previous1Minus1 := buf[start-period1-1 : start-period1-1+n]
	previous1Plus1 := buf[start-period1+1 : start-period1+1+n]
	previous1Minus2 := buf[start-period1-2 : start-period1-2+n]
	previous1Plus2 := buf[start-period1+2 : start-period1+2+n]
	for i := 0; i < overlap; i++ {
		window := celtWindow(i)
		fade := window * window
		output[i] = output[i] +
			(1-fade)*g00*previous0[i] +
			(1-fade)*g01*previous0Minus1[i] +
			(1-fade)*g01*previous0Plus1[i] +
			(1-fade)*g02*previous0Minus2[i] +
			(1-fade)*g02*previous0Plus2[i] +
			fade*g10*previous1[i] +
			fade*g11*previous1Minus1[i] +
			fade*g11*previous1Plus1[i] +
			fade*g12*previous1Minus2[i] +
			fade*g12*previous1Plus2[i]
	}
	for i := overlap; i < n; i++ {
		output[i] = output[i] +
			g10*previous1[i] +
			g11*previous1Minus1[i] +
			g11*previous1Plus1[i] +
			g12*previous1Minus2[i] +
			g12*previous1Plus2[i]
	}
}

func upstreamExpRotation1(x []float32, length int, stride int, c float32, s float32) {
	if length <= stride {
		return
	}

	lower := x[:length-stride]
	upper := x[stride:length]
	for i := range lower {
		x1 := lower[i]
		x2 := upper[i]
		upper[i] = c*x2 + s*x1
		lower[i] = c*x1 - s*x2
	}

	backwardLength := len(lower) - stride
	if backwardLength <= 0 {
		return
	}
	backwardLower := lower[:backwardLength]
	backwardUpper := upper[:backwardLength]
	// slices.Backward adds iterator overhead in this hot loop.
	//nolint:modernize
	for i := backwardLength - 1; i >= 0; i-- {
		x1 := backwardLower[i]
		x2 := backwardUpper[i]
		backwardUpper[i] = c*x2 + s*x1
		backwardLower[i] = c*x1 - s*x2
	}
}
func upstreamInverseFFTButterflyGeneric(
	out []complex32,
	work []complex32,
	radix int,
	subtransformLength int,
	fstride int,
	plan *inverseTransformPlan,
) {
	groupSize := radix * subtransformLength
	for group := 0; group < fstride; group++ {
		base := group * groupSize
		for frequencyIndex := 0; frequencyIndex < subtransformLength; frequencyIndex++ {
			for frequencyGroup := 0; frequencyGroup < radix; frequencyGroup++ {
				sum := complex32{}
				for subtransform := 0; subtransform < radix; subtransform++ {
					value := out[base+subtransform*subtransformLength+frequencyIndex]
					twiddle := plan.fftTwiddles[subtransform*(frequencyIndex+frequencyGroup*subtransformLength)*fstride%plan.n4]
					sum.r += value.r*twiddle.r - value.i*twiddle.i
					sum.i += value.r*twiddle.i + value.i*twiddle.r
				}
				work[frequencyGroup] = sum
			}
			for frequencyGroup := 0; frequencyGroup < radix; frequencyGroup++ {
				out[base+frequencyGroup*subtransformLength+frequencyIndex] = work[frequencyGroup]
			}
		}
	}
}

// upstreamSpreadingRotation is upstream's angle computation from expRotation.
func upstreamSpreadingRotation(length, pulses, spread int) (c, s float32) {
	factors := [...]int{15, 10, 5}
	factor := factors[spread-1]
	gain := float64(length) / float64(length+factor*pulses)
	theta := 0.5 * gain * gain
	c = float32(math.Cos(0.5 * math.Pi * theta))
	s = float32(math.Sin(0.5 * math.Pi * theta))

	return c, s
}

// upstreamNoiseFill is upstream's noise fill of a band given no pulses, from
// quantBand, the two loops as they are there.
func upstreamNoiseFill(x []float32, lowband []float32, n int, state *bandDecodeState) {
	if lowband == nil {
		for i := range n {
			state.seed = lcgRand(state.seed)
			x[i] = float32(int32(state.seed) >> 20) //nolint:gosec // G115: as upstream.
		}
	} else {
		for i := range n {
			state.seed = lcgRand(state.seed)
			noise := float32(1.0 / 256)
			if state.seed&0x8000 == 0 {
				noise = -noise
			}
			x[i] = lowband[i] + noise
		}
	}
}

// upstreamNormaliseResidual is upstream's normaliseResidual.
func upstreamNormaliseResidual(iy []int, x []float32, n int, energy int, gain float32) {
	if energy <= 0 {
		for i := range n {
			x[i] = 0
		}

		return
	}

	scale := gain / float32(math.Sqrt(float64(energy)))
	for i := range n {
		x[i] = float32(iy[i]) * scale
	}
}

// upstreamScaleLowbandOut is upstream's scaling of a band's output for the
// bands above it to fold, from quantBand.
func upstreamScaleLowbandOut(lowbandOut []float32, x []float32, originalN int) {
	scale := float32(math.Sqrt(float64(originalN)))
	for i := range originalN {
		lowbandOut[i] = scale * x[i]
	}
}

// upstreamAllocationInterpolationPoint is upstream's interpolation search,
// from interpolateBitsToPulses.
func upstreamAllocationInterpolationPoint(start, end int, bits1, bits2, threshold, caps []int, allocationFloor, total int) int {
	lo := 0
	hi := 1 << allocationSteps
	for range allocationSteps {
		mid := (lo + hi) >> 1
		psum := 0
		done := false
		for band := end - 1; band >= start; band-- {
			tmp := bits1[band] + (mid * bits2[band] >> allocationSteps)
			if tmp >= threshold[band] || done {
				done = true
				psum += min(tmp, caps[band])
			} else if tmp >= allocationFloor {
				psum += allocationFloor
			}
		}
		if psum > total {
			hi = mid
		} else {
			lo = mid
		}
	}

	return lo
}

// upstreamRenormaliseVector is upstream's renormaliseVector.
func upstreamRenormaliseVector(x []float32, n int, gain float32) {
	energy := float32(1e-27)
	for i := range n {
		energy += x[i] * x[i]
	}

	scale := gain / float32(math.Sqrt(float64(energy)))
	for i := range n {
		x[i] *= scale
	}
}

// upstreamPulseEnergy is the one-block branch of upstream's
// pulseEnergyAndCollapseMask.
func upstreamPulseEnergy(iy []int, n int) int {
	energy := 0
	for i := range n {
		energy += iy[i] * iy[i]
	}

	return energy
}

// upstreamAllocationCaps is upstream's allocationCaps.
func upstreamAllocationCaps(lm, channelCount int) [maxBands]int {
	caps := [maxBands]int{}
	indexBase := maxBands * (2*lm + channelCount - 1)
	for band := range maxBands {
		width := int(bandEdges[band+1]-bandEdges[band]) << lm
		caps[band] = (int(bandCaps[indexBase+band]) + 64) * channelCount * width >> 2
	}

	return caps
}

// upstreamStaticAllocationBits is a band's static allocation as upstream's
// computeAllocation computes it at each step of its search.
func upstreamStaticAllocationBits(row, band, channelCount, lm int) int {
	bandWidth := int(bandEdges[band+1] - bandEdges[band])

	return channelCount * bandWidth * int(bandAllocation[row][band]) << lm >> 2
}

// upstreamDenormaliseBands is upstream's denormaliseBands.
func upstreamDenormaliseBands(info *frameSideInfo, x []float32, freq []float32, bandEnergy [maxBands]float32) {
	scale := 1 << info.lm
	for band := info.startBand; band < info.endBand; band++ {
		start := scale * int(bandEdges[band])
		end := scale * int(bandEdges[band+1])
		for i := start; i < end; i++ {
			freq[i] = x[i] * bandEnergy[band]
		}
	}
}
