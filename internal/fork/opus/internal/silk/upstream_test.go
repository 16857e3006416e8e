// SPDX-FileCopyrightText: 2026 The Pion community <https://pion.ly>
// SPDX-License-Identifier: MIT

package silk

// pion/opus v0.1.0's version of the function patch 4 (PATCHES.md)
// rewrote, verbatim but for its name, for ltp_test.go to compare.

func (d *Decoder) upstreamLTPSynthesis(
	out []float32,
	bQ7 [][]int8,
	pitchLags []int,
	n, j, s, dLPC int, //nolint:varnamelen
	ltpScaleQ14 float32,
	wQ2 int16,
	aQ12, gainQ16, res, resLag []float32,
) {
	// If this is the third or fourth subframe of a 20 ms SILK frame and the LSF
	// interpolation factor, w_Q2 (see Section 4.2.7.5.5), is less than 4,
	// then let out_end be set to (j - (s-2)*n) and let LTP_scale_Q14 be set
	// to 16384.  Otherwise, set out_end to (j - s*n) and set LTP_scale_Q14
	// to the Q14 LTP scaling value from Section 4.2.7.6.3.
	var outEnd int
	if s < 2 || wQ2 == 4 {
		outEnd = -s * n
	} else {
		outEnd = -(s - 2) * n
		ltpScaleQ14 = 16384.0
	}

	// out[i] and lpc[i] are initially cleared to all zeros. Then, for i
	// such that (j - pitch_lags[s] - 2) <= i < out_end, out[i] is
	// rewhitened into an LPC residual, res[i], via
	//
	//              4.0*LTP_scale_Q14
	//     res[i] = ----------------- * clamp(-1.0,
	//                 gain_Q16[s]
	//                                        d_LPC-1
	//                                          __              a_Q12[k]
	//                                 out[i] - \  out[i-k-1] * --------, 1.0)
	//                                          /_               4096.0
	//                                          k=0
	for i := (-pitchLags[s]) - 2; i < outEnd; i++ {
		index := i + j

		var (
			resVal     float32
			resIndex   int
			writeToLag bool
		)

		switch {
		case index >= len(res):
			continue
		case index >= 0:
			resVal = out[index]
			resIndex = index
		default:
			resIndex = len(resLag) + index
			resVal = d.finalOutValues[len(d.finalOutValues)+index]
			writeToLag = true
		}

		for k := range dLPC {
			var outVal float32
			if outIndex := index - k - 1; outIndex >= 0 {
				outVal = out[outIndex]
			} else {
				outVal = d.finalOutValues[len(d.finalOutValues)+outIndex]
			}

			resVal -= outVal * (aQ12[k] / 4096.0)
		}

		resVal = clampNegativeOneToOne(resVal)
		resVal *= (4.0 * ltpScaleQ14) / gainQ16[s]

		if !writeToLag {
			res[resIndex] = resVal
		} else {
			resLag[resIndex] = resVal
		}
	}

	// Then, for i such that
	// out_end <= i < j, lpc[i] is rewhitened into an LPC residual, res[i],
	// via
	//
	//                                      d_LPC-1
	//                  65536.0               __              a_Q12[k]
	//       res[i] = ----------- * (lpc[i] - \  lpc[i-k-1] * --------)
	//                gain_Q16[s]             /_               4096.0
	//                                        k=0
	//
	// This requires storage to buffer up to 256 values of lpc[i] from
	// previous subframes (240 from the current SILK frame and 16 from the
	// previous SILK frame).  This corresponds to WB with up to three
	// previous subframes in the current SILK frame, plus 16 samples for
	// d_LPC.

	// The astute reader will notice that, given the definition of
	// lpc[i] in Section 4.2.7.9.2, the output of this latter equation is
	// merely a scaled version of the values of res[i] from previous
	// subframes.
	if s > 0 {
		scaledGain := gainQ16[s-1] / gainQ16[s]
		for i := outEnd; i < 0; i++ {
			index := j + i
			if index < 0 {
				resLag[len(resLag)+index] *= scaledGain
			} else {
				res[index] *= scaledGain
			}
		}
	}

	// Let e_Q23[i] for j <= i < (j + n) be the excitation for the current
	// subframe, and b_Q7[k] for 0 <= k < 5 be the coefficients of the LTP
	// filter taken from the codebook entry in one of Tables 39 through 41
	// corresponding to the index decoded for the current subframe in
	// Section 4.2.7.6.2.  Then for i such that j <= i < (j + n), the LPC
	// residual is

	//                          4
	//              e_Q23[i]   __                                  b_Q7[k]
	//    res[i] = --------- + \  res[i - pitch_lags[s] + 2 - k] * -------
	//              2.0**23    /_                                   128.0
	//                         k=0

	var resSum, resVal float32
	for i := j; i < (j + n); i++ {
		resSum = res[i]
		for k := 0; k <= 4; k++ {
			if resIndex := i - pitchLags[s] + 2 - k; resIndex < 0 {
				resVal = resLag[len(resLag)+resIndex]
			} else {
				resVal = res[resIndex]
			}

			resSum += resVal * (float32(bQ7[s][k]) / 128.0)
		}

		res[i] = resSum
	}
}
