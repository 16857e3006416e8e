// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package silkresample

// pion/opus v0.1.0's versions of the functions patch 4 (PATCHES.md)
// rewrote, verbatim but for their names, for the tests that compare them.

func upstreamResamplerPrivateIIRFIRInterpolate(out, buf []int16, maxIndexQ16, indexIncrementQ16 int32) int {
	outIndex := 0
	for indexQ16 := int32(0); indexQ16 < maxIndexQ16; indexQ16 += indexIncrementQ16 {
		tableIndex := silkSMULWB(int32(uint32(indexQ16)&0xffff), 12)
		bufIndex := int(indexQ16 >> 16)
		bufPtr := buf[bufIndex:]

		resQ15 := silkSMULBB(int32(bufPtr[0]), int32(resamplerFracFIR12[tableIndex][0]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[1]), int32(resamplerFracFIR12[tableIndex][1]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[2]), int32(resamplerFracFIR12[tableIndex][2]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[3]), int32(resamplerFracFIR12[tableIndex][3]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[4]), int32(resamplerFracFIR12[11-tableIndex][3]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[5]), int32(resamplerFracFIR12[11-tableIndex][2]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[6]), int32(resamplerFracFIR12[11-tableIndex][1]))
		resQ15 = silkSMLABB(resQ15, int32(bufPtr[7]), int32(resamplerFracFIR12[11-tableIndex][0]))

		out[outIndex] = silkSAT16(silkRShiftRound(resQ15, 15))
		outIndex++
	}

	return outIndex
}

func (r *Resampler) upstreamResamplerPrivateUp2HQ(out, in []int16) {
	for sampleIndex := range in {
		in32 := int32(in[sampleIndex]) << 10

		diff := in32 - r.sIIR[0]
		delta := silkSMULWB(diff, int32(resamplerUp2HQ0[0]))
		out32 := r.sIIR[0] + delta
		r.sIIR[0] = in32 + delta

		out32_1 := out32
		diff = out32_1 - r.sIIR[1]
		delta = silkSMULWB(diff, int32(resamplerUp2HQ0[1]))
		out32 = r.sIIR[1] + delta
		r.sIIR[1] = out32_1 + delta

		out32_2 := out32
		diff = out32_2 - r.sIIR[2]
		delta = silkSMLAWB(diff, diff, int32(resamplerUp2HQ0[2]))
		out32 = r.sIIR[2] + delta
		r.sIIR[2] = out32_2 + delta

		out[2*sampleIndex] = silkSAT16(silkRShiftRound(out32, 10))

		diff = in32 - r.sIIR[3]
		delta = silkSMULWB(diff, int32(resamplerUp2HQ1[0]))
		out32 = r.sIIR[3] + delta
		r.sIIR[3] = in32 + delta

		out32_1 = out32
		diff = out32_1 - r.sIIR[4]
		delta = silkSMULWB(diff, int32(resamplerUp2HQ1[1]))
		out32 = r.sIIR[4] + delta
		r.sIIR[4] = out32_1 + delta

		out32_2 = out32
		diff = out32_2 - r.sIIR[5]
		delta = silkSMLAWB(diff, diff, int32(resamplerUp2HQ1[2]))
		out32 = r.sIIR[5] + delta
		r.sIIR[5] = out32_2 + delta

		out[(2*sampleIndex)+1] = silkSAT16(silkRShiftRound(out32, 10))
	}
}
