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

// resamplerFracFIR12Taps holds, for each of the 12 phases, the eight
// coefficients resamplerPrivateIIRFIRInterpolate multiplies the taps by, in
// tap order: the phase's row of resamplerFracFIR12, then the mirror
// phase's row backwards (patch 4).
var resamplerFracFIR12Taps = func() (taps [12 * orderFIR12]int32) { //nolint:gochecknoglobals
	for phase := range 12 {
		row := taps[phase*orderFIR12:][:orderFIR12]
		for k := range orderFIR12 / 2 {
			row[k] = int32(resamplerFracFIR12[phase][k])
			row[orderFIR12-1-k] = int32(resamplerFracFIR12[11-phase][k])
		}
	}

	return taps
}()

// resamplerPrivateIIRFIRInterpolate computes each output sample as upstream
// does, with less work per sample (patch 4, see PATCHES.md): the phase is
// found with one multiplication (upstream's silkSMULWB of a fraction below
// 1<<16 by 12, always 0 to 11), and the eight taps and their coefficients
// are read from two slices of known length, the coefficients from one row
// of a table of int32 (Go computes the address of an element of a table of
// arrays in two or three instructions, of a slice at a constant offset in
// one). The integer sum is upstream's: int32 additions wrap the same in any
// order.
func resamplerPrivateIIRFIRInterpolate(out, buf []int16, maxIndexQ16, indexIncrementQ16 int32) int {
	outIndex := 0
	for indexQ16 := int32(0); indexQ16 < maxIndexQ16; indexQ16 += indexIncrementQ16 {
		phase := (uint32(indexQ16) & 0xffff) * 12 >> 16
		taps := buf[indexQ16>>16:][:orderFIR12]
		coefficients := resamplerFracFIR12Taps[phase*orderFIR12:][:orderFIR12]

		resQ15 := int32(taps[0])*coefficients[0] +
			int32(taps[1])*coefficients[1] +
			int32(taps[2])*coefficients[2] +
			int32(taps[3])*coefficients[3] +
			int32(taps[4])*coefficients[4] +
			int32(taps[5])*coefficients[5] +
			int32(taps[6])*coefficients[6] +
			int32(taps[7])*coefficients[7]

		out[outIndex] = silkSAT16(silkRShiftRound(resQ15, 15))
		outIndex++
	}

	return outIndex
}
