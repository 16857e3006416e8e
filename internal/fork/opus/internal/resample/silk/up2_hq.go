// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package silkresample

// resamplerPrivateUp2HQ upsamples by two with two three-section allpass
// chains, one per output phase. It is upstream's arithmetic, step for step,
// with the six filter states in locals (registers) for the length of the
// call rather than loaded from and stored to the Resampler at every sample,
// and each output pair written through one slice of known length (patch 4,
// see PATCHES.md).
func (r *Resampler) resamplerPrivateUp2HQ(out, in []int16) {
	out = out[:2*len(in)]
	s0, s1, s2 := r.sIIR[0], r.sIIR[1], r.sIIR[2]
	s3, s4, s5 := r.sIIR[3], r.sIIR[4], r.sIIR[5]
	for sampleIndex, sample := range in {
		in32 := int32(sample) << 10
		pair := out[2*sampleIndex : 2*sampleIndex+2]

		// The even output: sections 0, 1 and 2.
		delta := silkSMULWB(in32-s0, int32(resamplerUp2HQ0[0]))
		out32 := s0 + delta
		s0 = in32 + delta

		stageIn := out32
		delta = silkSMULWB(stageIn-s1, int32(resamplerUp2HQ0[1]))
		out32 = s1 + delta
		s1 = stageIn + delta

		stageIn = out32
		diff := stageIn - s2
		delta = silkSMLAWB(diff, diff, int32(resamplerUp2HQ0[2]))
		out32 = s2 + delta
		s2 = stageIn + delta

		pair[0] = silkSAT16(silkRShiftRound(out32, 10))

		// The odd output: sections 3, 4 and 5.
		delta = silkSMULWB(in32-s3, int32(resamplerUp2HQ1[0]))
		out32 = s3 + delta
		s3 = in32 + delta

		stageIn = out32
		delta = silkSMULWB(stageIn-s4, int32(resamplerUp2HQ1[1]))
		out32 = s4 + delta
		s4 = stageIn + delta

		stageIn = out32
		diff = stageIn - s5
		delta = silkSMLAWB(diff, diff, int32(resamplerUp2HQ1[2]))
		out32 = s5 + delta
		s5 = stageIn + delta

		pair[1] = silkSAT16(silkRShiftRound(out32, 10))
	}
	r.sIIR[0], r.sIIR[1], r.sIIR[2] = s0, s1, s2
	r.sIIR[3], r.sIIR[4], r.sIIR[5] = s3, s4, s5
}
