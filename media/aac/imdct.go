package aac

import (
	"math"
	"math/cmplx"
)

// imdct is an inverse MDCT of n/2 coefficients to n samples,
//
//	y[i] = scale · Σ_k X[k] cos(2π/n (i + n/4 + 1/2)(k + 1/2)),
//
// computed through a DCT-IV of size m = n/2, itself a complex FFT of
// size m/2 between two twiddles: O(n log n) instead of the O(n²) sum.
type imdct struct {
	m         int
	pre, post []complex128 // twiddles, scale folded into post
	fft       *fft
	buf       []complex128
	u         []float64 // DCT-IV output
}

func newIMDCT(n int, scale float64) *imdct {
	m := n / 2
	t := &imdct{m: m, fft: newFFT(m / 2), buf: make([]complex128, m/2), u: make([]float64, m)}
	t.pre = make([]complex128, m/2)
	t.post = make([]complex128, m/2)
	for k := range m / 2 {
		t.pre[k] = cmplx.Exp(complex(0, -math.Pi*float64(k)/float64(m)))
		t.post[k] = cmplx.Exp(complex(0, -math.Pi*(float64(k)+0.25)/float64(m))) * complex(scale, 0)
	}
	return t
}

// transform writes the n = 2·len(x) samples of x's inverse MDCT to y.
func (t *imdct) transform(x, y []float64) {
	m, h := t.m, t.m/2
	// DCT-IV: u[2j] = Re w[j], u[m-1-2j] = −Im w[j], where w is the FFT
	// of (x[2k] + i·x[m−1−2k])·pre[k], times post.
	for k := range h {
		t.buf[k] = complex(x[2*k], x[m-1-2*k]) * t.pre[k]
	}
	t.fft.transform(t.buf)
	u := t.u
	for j := range h {
		w := t.buf[j] * t.post[j]
		u[2*j] = real(w)
		u[m-1-2*j] = -imag(w)
	}
	// Unfold the DCT-IV's m outputs into the IMDCT's 2m, by the kernel's
	// symmetries: u[2m−1−i] = −u[i], u[i+2m] = −u[i].
	for i := range h {
		y[i] = u[i+h]
	}
	for i := h; i < 3*h; i++ {
		y[i] = -u[3*h-1-i]
	}
	for i := 3 * h; i < 2*m; i++ {
		y[i] = -u[i-3*h]
	}
}

// fft is an in-place radix-2 complex FFT, e^(−2πi·jk/n), of one size.
// Its twiddles are laid out stage by stage: those of the stage joining
// halves of h points are twiddle[h : 2h], read in order.
type fft struct {
	n       int
	twiddle []complex128
	rev     []int
}

func newFFT(n int) *fft {
	f := &fft{n: n, twiddle: make([]complex128, n), rev: make([]int, n)}
	for h := 1; h < n; h <<= 1 {
		for k := range h {
			f.twiddle[h+k] = cmplx.Exp(complex(0, -math.Pi*float64(k)/float64(h)))
		}
	}
	bits := 0
	for 1<<bits < n {
		bits++
	}
	for i := range n {
		r := 0
		for b := range bits {
			r |= (i >> b & 1) << (bits - 1 - b)
		}
		f.rev[i] = r
	}
	return f
}

func (f *fft) transform(a []complex128) {
	n := f.n
	a = a[:n]
	for i, r := range f.rev {
		if i < r {
			a[i], a[r] = a[r], a[i]
		}
	}
	// The first stage's twiddle is 1.
	for i := 0; i+1 < n; i += 2 {
		a[i], a[i+1] = a[i]+a[i+1], a[i]-a[i+1]
	}
	for h := 2; h < n; h <<= 1 {
		tw := f.twiddle[h : 2*h]
		for start := 0; start < n; start += 2 * h {
			lo, hi := a[start:start+h], a[start+h:start+2*h]
			for k, w := range tw {
				t := w * hi[k]
				hi[k] = lo[k] - t
				lo[k] += t
			}
		}
	}
}
