// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package celt

// The inverse FFT of the IMDCT (RFC 6716 Section 4.3.7), upstream's
// mixed-radix transform computed on complex values held as real and
// imaginary parts in turn in a []float32 (patch 4, see PATCHES.md).
// Upstream's []complex32 costs more than its arithmetic: Go computes the
// address of each part of each element in two or three instructions, where
// a float32 at a constant offset from an index is one. Every butterfly does
// upstream's float32 operations, operation for operation in the same
// order, so the results are the same bits (bitexact_test.go compares them).

// inverseComplexDFT is the complex inverse transform used by the current IMDCT
// implementation. It is kept separate so a later FFT implementation can replace
// this step without changing the surrounding RFC 6716 Section 4.3.7 mapping.
func inverseComplexDFT(in []complex32) []complex32 {
	out := make([]complex32, len(in))
	if len(in) == 0 {
		return out
	}

	inverseComplexDFTInto(in, out, make([]float32, 2*len(in)), inverseTransformPlanForFrameSampleCount(len(in)*2))

	return out
}

// inverseComplexDFTInto is the inverse FFT of in into out, through data
// (2*len(in) float32s), as the IMDCT does it in its own buffer.
func inverseComplexDFTInto(in []complex32, out []complex32, data []float32, plan *inverseTransformPlan) {
	if len(in) == 0 {
		return
	}

	data = data[:2*len(in)]
	bitrev := plan.fftBitrev[:len(in)]
	for i, value := range in {
		data[2*bitrev[i]] = value.r
		data[2*bitrev[i]+1] = value.i
	}
	inverseFFTStages(data, plan)
	for i := range out[:len(in)] {
		out[i] = complex32{r: data[2*i], i: data[2*i+1]}
	}
}

// inverseFFTStages runs the radix passes of the inverse FFT on data (n4
// complex values, already in digit-reversed order).
func inverseFFTStages(data []float32, plan *inverseTransformPlan) {
	for i := range plan.fftStages {
		stage := &plan.fftStages[i]
		switch stage.radix {
		case 2:
			inverseFFTButterfly2(data, stage)
		case 3:
			inverseFFTButterfly3(data, stage, plan.fftTwiddles[stage.fstride*stage.m])
		case 4:
			inverseFFTButterfly4(data, stage)
		case 5:
			ya := plan.fftTwiddles[stage.fstride*stage.m]
			yb := plan.fftTwiddles[2*stage.fstride*stage.m]
			if stage.m == 1 {
				inverseFFTFirstButterfly5(data, stage, ya, yb)
			} else {
				inverseFFTButterfly5(data, stage, ya, yb)
			}
		default:
			inverseFFTButterflyGeneric(data, stage, plan)
		}
	}
}

// multiplyComplex is multiplyComplex32 on real and imaginary parts.
func multiplyComplex(ar, ai, br, bi float32) (float32, float32) {
	return ar*br - ai*bi, ar*bi + ai*br
}

// The butterflies reach each group's sub-transforms through slices of one
// known length (s0, s1, ...: the group's first, second, ... sub-transform)
// and the twiddles through rows of that length, so that the compiler drops
// their bounds checks; j steps over the real parts.

func inverseFFTButterfly2(data []float32, stage *fftStage) {
	m2 := 2 * stage.m
	w1 := stage.twiddles[0][:m2]
	for group := range stage.fstride {
		base := group * 2 * m2
		s0 := data[base:][:m2]
		s1 := data[base+m2:][:m2]
		for j := 0; j < len(s0)-1; j += 2 {
			out0r, out0i := s0[j], s0[j+1]
			out1r, out1i := multiplyComplex(s1[j], s1[j+1], w1[j], w1[j+1])
			s0[j], s0[j+1] = out0r+out1r, out0i+out1i
			s1[j], s1[j+1] = out0r-out1r, out0i-out1i
		}
	}
}

func inverseFFTButterfly3(data []float32, stage *fftStage, epi3 complex32) {
	m2 := 2 * stage.m
	w1 := stage.twiddles[0][:m2]
	w2 := stage.twiddles[1][:m2]
	for group := range stage.fstride {
		base := group * 3 * m2
		s0 := data[base:][:m2]
		s1 := data[base+m2:][:m2]
		s2 := data[base+2*m2:][:m2]
		for j := 0; j < len(s0)-1; j += 2 {
			out0r, out0i := s0[j], s0[j+1]
			out1r, out1i := multiplyComplex(s1[j], s1[j+1], w1[j], w1[j+1])
			out2r, out2i := multiplyComplex(s2[j], s2[j+1], w2[j], w2[j+1])
			sumR, sumI := out1r+out2r, out1i+out2i
			diffR, diffI := (out1r-out2r)*epi3.i, (out1i-out2i)*epi3.i
			midR, midI := out0r-sumR*0.5, out0i-sumI*0.5
			s0[j], s0[j+1] = out0r+sumR, out0i+sumI
			s1[j], s1[j+1] = midR-diffI, midI+diffR
			s2[j], s2[j+1] = midR+diffI, midI-diffR
		}
	}
}

func inverseFFTButterfly4(data []float32, stage *fftStage) {
	m2 := 2 * stage.m
	w1 := stage.twiddles[0][:m2]
	w2 := stage.twiddles[1][:m2]
	w3 := stage.twiddles[2][:m2]
	for group := range stage.fstride {
		base := group * 4 * m2
		s0 := data[base:][:m2]
		s1 := data[base+m2:][:m2]
		s2 := data[base+2*m2:][:m2]
		s3 := data[base+3*m2:][:m2]
		for j := 0; j < len(s0)-1; j += 2 {
			out0r, out0i := s0[j], s0[j+1]
			out1r, out1i := multiplyComplex(s1[j], s1[j+1], w1[j], w1[j+1])
			out2r, out2i := multiplyComplex(s2[j], s2[j+1], w2[j], w2[j+1])
			out3r, out3i := multiplyComplex(s3[j], s3[j+1], w3[j], w3[j+1])
			evenDifferenceR, evenDifferenceI := out0r-out2r, out0i-out2i
			evenSumR, evenSumI := out0r+out2r, out0i+out2i
			oddSumR, oddSumI := out1r+out3r, out1i+out3i
			oddDifferenceR, oddDifferenceI := out1r-out3r, out1i-out3i
			s0[j], s0[j+1] = evenSumR+oddSumR, evenSumI+oddSumI
			s2[j], s2[j+1] = evenSumR-oddSumR, evenSumI-oddSumI
			s1[j], s1[j+1] = evenDifferenceR-oddDifferenceI, evenDifferenceI+oddDifferenceR
			s3[j], s3[j+1] = evenDifferenceR+oddDifferenceI, evenDifferenceI-oddDifferenceR
		}
	}
}

func inverseFFTButterfly5(data []float32, stage *fftStage, ya, yb complex32) {
	m2 := 2 * stage.m
	w1 := stage.twiddles[0][:m2]
	w2 := stage.twiddles[1][:m2]
	w3 := stage.twiddles[2][:m2]
	w4 := stage.twiddles[3][:m2]
	for group := range stage.fstride {
		base := group * 5 * m2
		s0 := data[base:][:m2]
		s1 := data[base+m2:][:m2]
		s2 := data[base+2*m2:][:m2]
		s3 := data[base+3*m2:][:m2]
		s4 := data[base+4*m2:][:m2]
		for j := 0; j < len(s0)-1; j += 2 {
			out1r, out1i := multiplyComplex(s1[j], s1[j+1], w1[j], w1[j+1])
			out2r, out2i := multiplyComplex(s2[j], s2[j+1], w2[j], w2[j+1])
			out3r, out3i := multiplyComplex(s3[j], s3[j+1], w3[j], w3[j+1])
			out4r, out4i := multiplyComplex(s4[j], s4[j+1], w4[j], w4[j+1])
			s0[j], s0[j+1], s1[j], s1[j+1], s2[j], s2[j+1], s3[j], s3[j+1], s4[j], s4[j+1] = radix5(
				s0[j], s0[j+1], out1r, out1i, out2r, out2i, out3r, out3i, out4r, out4i, ya, yb)
		}
	}
}

// inverseFFTFirstButterfly5 is inverseFFTButterfly5 for sub-transforms of
// length 1, the first stage of every CELT transform: one butterfly per
// group of five values, all with the same twiddles.
func inverseFFTFirstButterfly5(data []float32, stage *fftStage, ya, yb complex32) {
	w1r, w1i := stage.twiddles[0][0], stage.twiddles[0][1]
	w2r, w2i := stage.twiddles[1][0], stage.twiddles[1][1]
	w3r, w3i := stage.twiddles[2][0], stage.twiddles[2][1]
	w4r, w4i := stage.twiddles[3][0], stage.twiddles[3][1]
	for base := 0; base+10 <= len(data); base += 10 {
		group := data[base : base+10 : base+10]
		out0r, out0i := group[0], group[1]
		out1r, out1i := multiplyComplex(group[2], group[3], w1r, w1i)
		out2r, out2i := multiplyComplex(group[4], group[5], w2r, w2i)
		out3r, out3i := multiplyComplex(group[6], group[7], w3r, w3i)
		out4r, out4i := multiplyComplex(group[8], group[9], w4r, w4i)

		// radix5's body, written out: as a call it costs more than it
		// computes, and it is too large for the compiler to inline.
		sum14R, sum14I := out1r+out4r, out1i+out4i
		diff14R, diff14I := out1r-out4r, out1i-out4i
		sum23R, sum23I := out2r+out3r, out2i+out3i
		diff23R, diff23I := out2r-out3r, out2i-out3i
		group[0], group[1] = out0r+(sum14R+sum23R), out0i+(sum14I+sum23I)

		base14R, base14I := out0r+(sum14R*ya.r+sum23R*yb.r), out0i+(sum14I*ya.r+sum23I*yb.r)
		rotate14R := -diff14I*ya.i - diff23I*yb.i
		rotate14I := diff14R*ya.i + diff23R*yb.i
		group[2], group[3] = base14R+rotate14R, base14I+rotate14I
		group[8], group[9] = base14R-rotate14R, base14I-rotate14I

		base23R, base23I := out0r+(sum14R*yb.r+sum23R*ya.r), out0i+(sum14I*yb.r+sum23I*ya.r)
		rotate23R := -diff14I*yb.i + diff23I*ya.i
		rotate23I := diff14R*yb.i - diff23R*ya.i
		group[4], group[5] = base23R+rotate23R, base23I+rotate23I
		group[6], group[7] = base23R-rotate23R, base23I-rotate23I
	}
}

// radix5 is upstream's five-point butterfly on the twiddled inputs: it
// returns the five outputs' real and imaginary parts.
func radix5(
	out0r, out0i, out1r, out1i, out2r, out2i, out3r, out3i, out4r, out4i float32, ya, yb complex32,
) (y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, y4r, y4i float32) {
	sum14R, sum14I := out1r+out4r, out1i+out4i
	diff14R, diff14I := out1r-out4r, out1i-out4i
	sum23R, sum23I := out2r+out3r, out2i+out3i
	diff23R, diff23I := out2r-out3r, out2i-out3i
	y0r, y0i = out0r+(sum14R+sum23R), out0i+(sum14I+sum23I)

	base14R, base14I := out0r+(sum14R*ya.r+sum23R*yb.r), out0i+(sum14I*ya.r+sum23I*yb.r)
	rotate14R := -diff14I*ya.i - diff23I*yb.i
	rotate14I := diff14R*ya.i + diff23R*yb.i
	y1r, y1i = base14R+rotate14R, base14I+rotate14I
	y4r, y4i = base14R-rotate14R, base14I-rotate14I

	base23R, base23I := out0r+(sum14R*yb.r+sum23R*ya.r), out0i+(sum14I*yb.r+sum23I*ya.r)
	rotate23R := -diff14I*yb.i + diff23I*ya.i
	rotate23I := diff14R*yb.i - diff23R*ya.i
	y2r, y2i = base23R+rotate23R, base23I+rotate23I
	y3r, y3i = base23R-rotate23R, base23I-rotate23I

	return y0r, y0i, y1r, y1i, y2r, y2i, y3r, y3i, y4r, y4i
}

// inverseFFTButterflyGeneric is upstream's butterfly for any other radix
// (none of CELT's transform sizes has one), on the same layout.
func inverseFFTButterflyGeneric(data []float32, stage *fftStage, plan *inverseTransformPlan) {
	radix, m, fstride := stage.radix, stage.m, stage.fstride
	work := make([]complex32, radix)
	for group := range fstride {
		base := group * radix * m
		for frequencyIndex := range m {
			for frequencyGroup := range radix {
				sum := complex32{}
				for subtransform := range radix {
					index := 2 * (base + subtransform*m + frequencyIndex)
					valueR, valueI := data[index], data[index+1]
					twiddle := plan.fftTwiddles[subtransform*(frequencyIndex+frequencyGroup*m)*fstride%plan.n4]
					sum.r += valueR*twiddle.r - valueI*twiddle.i
					sum.i += valueR*twiddle.i + valueI*twiddle.r
				}
				work[frequencyGroup] = sum
			}
			for frequencyGroup, sum := range work {
				index := 2 * (base + frequencyGroup*m + frequencyIndex)
				data[index], data[index+1] = sum.r, sum.i
			}
		}
	}
}
