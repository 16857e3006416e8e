package aac

import (
	"fmt"
	"math"
)

// Window sequences (ISO/IEC 14496-3 Table 4.112).
const (
	onlyLong = iota
	longStart
	eightShort
	longStop
)

// Special codebooks (§4.6.3.1 and §4.6.13): zero, perceptual noise
// substitution and intensity stereo (out of phase, in phase).
const (
	zeroHCB       = 0
	escHCB        = 11
	noiseHCB      = 13
	intensityHCB2 = 14
	intensityHCB  = 15
)

// icsInfo is an ics_info: the window layout of a channel's frame.
type icsInfo struct {
	windowSequence int
	windowShape    int // 0 sine, 1 Kaiser-Bessel derived
	maxSfb         int
	numWindows     int
	numGroups      int
	groupLen       [8]int
	swb            []int // band boundaries of one window
}

// tnsFilter is one TNS filter of a window.
type tnsFilter struct {
	length, order int
	down          bool        // direction: filter from high to low lines
	lpc           [13]float64 // a[0..order], a[0] = 1
}

// channel is one individual_channel_stream and what the decoder keeps of
// the channel between frames.
type channel struct {
	info   icsInfo
	cb     [8][64]uint8 // codebook per group and band
	sf     [8][64]int   // scalefactor, intensity position or noise energy
	q      [1024]int32  // quantised lines, window by window
	spec   [1024]float64
	tns    [8][]tnsFilter
	tnsOn  bool
	tnsBuf [8][3]tnsFilter
	spans  [8][2]int // scratch of bands

	// Kept across frames for the overlap-add.
	overlap   [1024]float64
	prevShape int
}

// readICSInfo reads an ics_info (§4.4.2.1).
func (d *Decoder) readICSInfo(b *bitReader, in *icsInfo) error {
	if b.bit() {
		return fmt.Errorf("aac: ics_reserved_bit set")
	}
	in.windowSequence = b.read(2)
	in.windowShape = b.read(1)
	if in.windowSequence == eightShort {
		in.maxSfb = b.read(4)
		grouping := b.read(7)
		in.numWindows, in.numGroups, in.groupLen[0] = 8, 1, 1
		for i := 6; i >= 0; i-- {
			if grouping>>i&1 == 1 {
				in.groupLen[in.numGroups-1]++
			} else {
				in.numGroups++
				in.groupLen[in.numGroups-1] = 1
			}
		}
		in.swb = swbShort[d.cfg.rateIndex]
	} else {
		in.maxSfb = b.read(6)
		in.numWindows, in.numGroups, in.groupLen[0] = 1, 1, 1
		if b.bit() {
			return fmt.Errorf("aac: predictor data in an AAC-LC stream")
		}
		in.swb = swbLong[d.cfg.rateIndex]
	}
	if in.maxSfb > len(in.swb)-1 {
		return fmt.Errorf("aac: max_sfb %d past the %d bands", in.maxSfb, len(in.swb)-1)
	}
	return nil
}

// readICS reads an individual_channel_stream (§4.4.2.7) into c and
// dequantises it. With commonWindow, c.info was read by the CPE.
func (d *Decoder) readICS(b *bitReader, c *channel, commonWindow bool) error {
	globalGain := b.read(8)
	if !commonWindow {
		if err := d.readICSInfo(b, &c.info); err != nil {
			return err
		}
	}
	if err := c.readSections(b); err != nil {
		return err
	}
	if err := c.readScalefactors(b, globalGain); err != nil {
		return err
	}
	pulse := b.bit()
	var pulseStart int
	var pulseOff, pulseAmp [4]int
	var pulses int
	if pulse {
		if c.info.windowSequence == eightShort {
			return fmt.Errorf("aac: pulse data in a short window")
		}
		pulses = b.read(2) + 1
		pulseStart = b.read(6)
		for i := range pulses {
			pulseOff[i], pulseAmp[i] = b.read(5), b.read(4)
		}
	}
	c.tnsOn = b.bit()
	if c.tnsOn {
		if err := c.readTNS(b); err != nil {
			return err
		}
	}
	if b.bit() {
		return fmt.Errorf("aac: gain control data in an AAC-LC stream")
	}
	escapes, err := c.readSpectrum(b)
	if err != nil {
		return err
	}
	if escapes {
		d.used.escape++
	}
	if pulse {
		d.used.pulse++
		if pulseStart >= len(c.info.swb)-1 {
			return fmt.Errorf("aac: pulse_start_sfb %d out of range", pulseStart)
		}
		k := c.info.swb[pulseStart]
		for i := range pulses {
			k += pulseOff[i]
			if k >= 1024 {
				return fmt.Errorf("aac: pulse past the last line")
			}
			if c.q[k] > 0 {
				c.q[k] += int32(pulseAmp[i])
			} else {
				c.q[k] -= int32(pulseAmp[i])
			}
		}
	}
	c.dequantise()
	if b.overrun {
		return errOverrun
	}
	return nil
}

// readSections reads section_data (§4.4.2.7): the codebook of each band.
func (c *channel) readSections(b *bitReader) error {
	in := &c.info
	bits, esc := 5, 31
	if in.windowSequence == eightShort {
		bits, esc = 3, 7
	}
	for g := range in.numGroups {
		for k := 0; k < in.maxSfb; {
			if b.overrun {
				return errOverrun
			}
			cb := b.read(4)
			if cb == 12 {
				return fmt.Errorf("aac: reserved codebook 12")
			}
			n := 0
			for {
				inc := b.read(bits)
				n += inc
				if inc != esc {
					break
				}
				if b.overrun {
					return errOverrun
				}
			}
			if k+n > in.maxSfb {
				return fmt.Errorf("aac: section of %d bands from %d past max_sfb %d", n, k, in.maxSfb)
			}
			for ; n > 0; n-- {
				c.cb[g][k] = uint8(cb)
				k++
			}
		}
		for k := in.maxSfb; k < 64; k++ {
			c.cb[g][k] = zeroHCB
		}
	}
	return nil
}

// readScalefactors reads scale_factor_data (§4.4.2.7): differences coded
// with the scalefactor codebook, in three chains (scalefactors, intensity
// positions, noise energies).
func (c *channel) readScalefactors(b *bitReader, globalGain int) error {
	sfCodes := codebooks()[0]
	in := &c.info
	sf, isPos, noise := globalGain, 0, globalGain-90
	firstNoise := true
	for g := range in.numGroups {
		for k := range in.maxSfb {
			switch c.cb[g][k] {
			case zeroHCB:
				c.sf[g][k] = 0
			case intensityHCB, intensityHCB2:
				isPos += sfCodes.decode(b) - 60
				c.sf[g][k] = isPos
			case noiseHCB:
				if firstNoise {
					noise += b.read(9) - 256
					firstNoise = false
				} else {
					noise += sfCodes.decode(b) - 60
				}
				c.sf[g][k] = noise
			default:
				sf += sfCodes.decode(b) - 60
				if sf < 0 || sf > 255 {
					return fmt.Errorf("aac: scalefactor %d out of range", sf)
				}
				c.sf[g][k] = sf
			}
		}
	}
	return nil
}

// readTNS reads tns_data (§4.4.2.7) and turns each filter's quantised
// reflection coefficients into direct-form LPC coefficients (§4.6.9.3).
func (c *channel) readTNS(b *bitReader) error {
	short := c.info.windowSequence == eightShort
	nBits, lenBits, orderBits, maxOrder := 2, 6, 5, 12
	if short {
		nBits, lenBits, orderBits, maxOrder = 1, 4, 3, 7
	}
	for w := range c.info.numWindows {
		n := b.read(nBits)
		c.tns[w] = c.tnsBuf[w][:n]
		if n == 0 {
			continue
		}
		res := 3 + b.read(1) // coef_res: 3 or 4 bits
		for f := range n {
			t := &c.tns[w][f]
			t.length, t.order = b.read(lenBits), b.read(orderBits)
			if t.order > maxOrder {
				return fmt.Errorf("aac: TNS filter of order %d, AAC-LC allows %d", t.order, maxOrder)
			}
			if t.order == 0 {
				continue
			}
			t.down = b.bit()
			compress := b.read(1)
			width := res - compress
			var refl [12]float64
			for i := range t.order {
				v := b.read(width)
				if v >= 1<<(width-1) { // two's complement
					v -= 1 << width
				}
				iq := (float64(int(1)<<(res-1)) - 0.5) / (math.Pi / 2)
				if v < 0 {
					iq = (float64(int(1)<<(res-1)) + 0.5) / (math.Pi / 2)
				}
				refl[i] = math.Sin(float64(v) / iq)
			}
			// Step-up recursion from reflection to LPC coefficients.
			a := &t.lpc
			*a = [13]float64{0: 1}
			var tmp [13]float64
			for m := 1; m <= t.order; m++ {
				for i := 1; i < m; i++ {
					tmp[i] = a[i] + refl[m-1]*a[m-i]
				}
				for i := 1; i < m; i++ {
					a[i] = tmp[i]
				}
				a[m] = refl[m-1]
			}
		}
	}
	return nil
}

// unsignedCB says whether a spectral codebook codes magnitudes with
// separate sign bits; dims is its tuple size, mod its values per line and
// off the value its index 0 stands for.
var (
	unsignedCB = [12]bool{3: true, 4: true, 7: true, 8: true, 9: true, 10: true, 11: true}
	cbDims     = [12]int{1: 4, 2: 4, 3: 4, 4: 4, 5: 2, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 2}
	cbMod      = [12]int{1: 3, 2: 3, 3: 3, 4: 3, 5: 9, 6: 9, 7: 8, 8: 8, 9: 13, 10: 13, 11: 17}
	cbOff      = [12]int{1: 1, 2: 1, 5: 4, 6: 4}
)

// readSpectrum reads spectral_data (§4.4.2.7) into c.q: within a window
// group, band by band, the group's windows one after another.
func (c *channel) readSpectrum(b *bitReader) (escapes bool, err error) {
	books := codebooks()
	in := &c.info
	c.q = [1024]int32{}
	win := 0
	for g := range in.numGroups {
		for k := range in.maxSfb {
			cb := int(c.cb[g][k])
			if cb == zeroHCB || cb >= noiseHCB {
				continue
			}
			h := books[cb]
			dims, mod, off := cbDims[cb], cbMod[cb], cbOff[cb]
			for w := win; w < win+in.groupLen[g]; w++ {
				line := w*128 + in.swb[k]
				end := w*128 + in.swb[k+1]
				for ; line < end; line += dims {
					idx := h.decode(b)
					var v [4]int
					if dims == 4 {
						v[0], v[1], v[2], v[3] = idx/27-off, idx/9%3-off, idx/3%3-off, idx%3-off
					} else {
						v[0], v[1] = idx/mod-off, idx%mod-off
					}
					if unsignedCB[cb] {
						for i := range dims {
							if v[i] != 0 && b.bit() {
								v[i] = -v[i]
							}
						}
					}
					if cb == escHCB {
						for i := range 2 {
							if v[i] == 16 || v[i] == -16 {
								e, err := readEscape(b)
								if err != nil {
									return false, err
								}
								escapes = true
								if v[i] < 0 {
									e = -e
								}
								v[i] = e
							}
						}
					}
					for i := range dims {
						c.q[line+i] = int32(v[i])
					}
				}
			}
		}
		win += in.groupLen[g]
	}
	return escapes, nil
}

// readEscape reads an escape sequence: N ones, a zero, then N+4 bits.
func readEscape(b *bitReader) (int, error) {
	n := 4
	for b.bit() {
		n++
		if n > 12 {
			return 0, fmt.Errorf("aac: escape sequence too long")
		}
	}
	return 1<<n + b.read(n), nil
}

// pow43 is |q|^(4/3) for the quantised magnitudes 0 to 8191.
var pow43 = func() *[8192]float64 {
	var t [8192]float64
	for i := range t {
		t[i] = math.Pow(float64(i), 4.0/3)
	}
	return &t
}()

// dequantise fills c.spec from c.q: sign(q)·|q|^(4/3)·2^((sf−100)/4) in
// ordinary bands; noise and intensity bands are filled later by the
// channel pair or PNS, zero bands stay zero.
func (c *channel) dequantise() {
	in := &c.info
	c.spec = [1024]float64{}
	win := 0
	for g := range in.numGroups {
		for k := range in.maxSfb {
			cb := c.cb[g][k]
			if cb == zeroHCB || cb >= noiseHCB {
				continue
			}
			gain := math.Exp2(0.25 * float64(c.sf[g][k]-100))
			for w := win; w < win+in.groupLen[g]; w++ {
				for i := w*128 + in.swb[k]; i < w*128+in.swb[k+1]; i++ {
					q := c.q[i]
					switch {
					case q > 0:
						c.spec[i] = pow43[min(q, 8191)] * gain
					case q < 0:
						c.spec[i] = -pow43[min(-q, 8191)] * gain
					}
				}
			}
		}
		win += in.groupLen[g]
	}
}
