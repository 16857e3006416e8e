// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package silkresample

func (r *Resampler) resamplerPrivateIIRFIR(out, in []int16) {
	if cap(r.iirFIRBuf) < (2*r.batchSize)+orderFIR12 {
		r.iirFIRBuf = make([]int16, (2*r.batchSize)+orderFIR12)
	}
	buf := r.iirFIRBuf[:(2*r.batchSize)+orderFIR12]
	clear(buf)
	copy(buf, r.sFIRIIR[:])

	outIndex := 0
	for len(in) > 0 {
		nSamplesIn := min(len(in), r.batchSize)

		r.resamplerPrivateUp2HQ(buf[orderFIR12:], in[:nSamplesIn])

		maxIndexQ16 := int32(nSamplesIn) << 17 // #nosec G115
		outIndex += resamplerPrivateIIRFIRInterpolate(out[outIndex:], buf, maxIndexQ16, r.invRatioQ16)
		in = in[nSamplesIn:]

		if len(in) > 0 {
			copy(buf[:orderFIR12], buf[nSamplesIn*2:])
		} else {
			copy(r.sFIRIIR[:], buf[nSamplesIn*2:])
		}
	}
}

// resamplerPrivateIIRFIRInterpolate computes each output sample as upstream
// does, with less work per sample (patch 4, see PATCHES.md): the phase's
// table row is found with one multiplication (upstream's silkSMULWB of a
// fraction below 1<<16 by 12, always 0 to 11), the eight taps are one
// slice of known length and the two table rows are fetched once, so that
// the compiler drops the bounds checks of the inner products. The integer
// sum is upstream's: int32 additions wrap the same in any order.
func resamplerPrivateIIRFIRInterpolate(out, buf []int16, maxIndexQ16, indexIncrementQ16 int32) int {
	outIndex := 0
	for indexQ16 := int32(0); indexQ16 < maxIndexQ16; indexQ16 += indexIncrementQ16 {
		phase := (uint32(indexQ16) & 0xffff) * 12 >> 16
		taps := buf[indexQ16>>16:][:orderFIR12]
		rising := &resamplerFracFIR12[phase]
		falling := &resamplerFracFIR12[11-phase]

		resQ15 := int32(taps[0])*int32(rising[0]) +
			int32(taps[1])*int32(rising[1]) +
			int32(taps[2])*int32(rising[2]) +
			int32(taps[3])*int32(rising[3]) +
			int32(taps[4])*int32(falling[3]) +
			int32(taps[5])*int32(falling[2]) +
			int32(taps[6])*int32(falling[1]) +
			int32(taps[7])*int32(falling[0])

		out[outIndex] = silkSAT16(silkRShiftRound(resQ15, 15))
		outIndex++
	}

	return outIndex
}
