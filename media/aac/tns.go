package aac

// applyTNS runs each TNS filter of c over its range of lines (§4.6.9.3):
// an all-pole filter along frequency, upward or downward.
func (d *Decoder) applyTNS(c *channel) {
	in := &c.info
	short := in.windowSequence == eightShort
	maxBands, maxOrder, lines := tnsMaxBandsLong[d.cfg.rateIndex], 12, 1024
	if short {
		maxBands, maxOrder, lines = tnsMaxBandsShort[d.cfg.rateIndex], 7, 128
	}
	numSwb := len(in.swb) - 1
	for w := range in.numWindows {
		spec := c.spec[w*lines : (w+1)*lines]
		bottom := numSwb
		for f := range c.tns[w] {
			t := &c.tns[w][f]
			top := bottom
			bottom = max(top-t.length, 0)
			order := min(t.order, maxOrder)
			if order == 0 {
				continue
			}
			start := in.swb[min(bottom, maxBands, in.maxSfb)]
			end := in.swb[min(top, maxBands, in.maxSfb)]
			size := end - start
			if size <= 0 {
				continue
			}
			at, inc := start, 1
			if t.down {
				at, inc = end-1, -1
			}
			var state [12]float64 // previous outputs, newest first
			for range size {
				y := spec[at]
				for i := range order {
					y -= t.lpc[i+1] * state[i]
				}
				copy(state[1:order], state[:order-1])
				state[0] = y
				spec[at] = y
				at += inc
			}
		}
	}
}
