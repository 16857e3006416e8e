package aac

import (
	"math"
	"sync"
)

// Window shapes (§4.6.11.3.2): the sine window and the Kaiser-Bessel
// derived window, long (2048) and short (256), rising halves only: the
// falling half of a window is its rising half reversed.
type windows struct {
	long  [2][1024]float64 // [shape]
	short [2][128]float64
}

// sharedWindows are the windows every decoder reads, computed once.
var sharedWindows = sync.OnceValue(newWindows)

func newWindows() *windows {
	w := &windows{}
	sine(w.long[0][:])
	sine(w.short[0][:])
	kbd(w.long[1][:], 4)
	kbd(w.short[1][:], 6)
	return w
}

// sine fills the rising half of a sine window of 2·len(half) samples.
func sine(half []float64) {
	n := float64(2 * len(half))
	for i := range half {
		half[i] = math.Sin(math.Pi / n * (float64(i) + 0.5))
	}
}

// kbd fills the rising half of a Kaiser-Bessel derived window of
// 2·len(half) samples with parameter alpha.
func kbd(half []float64, alpha float64) {
	n := len(half) // N/2
	kernel := make([]float64, n+1)
	var total float64
	for j := 0; j <= n; j++ {
		r := (float64(j) - float64(n)/2) / (float64(n) / 2)
		kernel[j] = bessel0(math.Pi * alpha * math.Sqrt(1-r*r))
		total += kernel[j]
	}
	var sum float64
	for i := range half {
		sum += kernel[i]
		half[i] = math.Sqrt(sum / total)
	}
}

// bessel0 is the modified Bessel function of the first kind, order 0.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2 / float64(k)) * (x / 2 / float64(k))
		sum += term
		if term < 1e-12*sum {
			break
		}
	}
	return sum
}

// synthesise turns c.spec into 1024 output samples (§4.6.11): inverse MDCT,
// windowing by window sequence and shape, and overlap-add with the last
// frame's second half, which it then replaces.
func (d *Decoder) synthesise(c *channel, out []float64) {
	in := &c.info
	buf := d.frameBuf[:]
	prev, cur := c.prevShape, in.windowShape
	lw := &d.win.long
	sw := &d.win.short
	switch in.windowSequence {
	case eightShort:
		clear(buf)
		tmp := d.shortBuf[:]
		for w := range 8 {
			d.short.transform(c.spec[w*128:(w+1)*128], tmp)
			rise := &sw[cur]
			if w == 0 {
				rise = &sw[prev]
			}
			at := 448 + 128*w
			for i := range 128 {
				buf[at+i] += tmp[i] * rise[i]
				buf[at+128+i] += tmp[128+i] * sw[cur][127-i]
			}
		}
	default:
		d.long.transform(c.spec[:], buf)
		if in.windowSequence == longStop {
			clear(buf[:448])
			for i := range 128 {
				buf[448+i] *= sw[prev][i]
			}
		} else {
			for i := range 1024 {
				buf[i] *= lw[prev][i]
			}
		}
		if in.windowSequence == longStart {
			for i := range 128 {
				buf[1472+i] *= sw[cur][127-i]
			}
			clear(buf[1600:])
		} else {
			for i := range 1024 {
				buf[1024+i] *= lw[cur][1023-i]
			}
		}
	}
	for i := range 1024 {
		out[i] = buf[i] + c.overlap[i]
	}
	copy(c.overlap[:], buf[1024:])
	c.prevShape = cur
}
