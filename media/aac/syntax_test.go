package aac

import (
	"math"
	"testing"
)

// bitWriter builds frames by hand, most significant bit first.
type bitWriter struct {
	buf []byte
	n   int // bits written
}

func (w *bitWriter) put(v, bits int) {
	for i := bits - 1; i >= 0; i-- {
		if w.n%8 == 0 {
			w.buf = append(w.buf, 0)
		}
		w.buf[len(w.buf)-1] |= byte(v>>i&1) << (7 - w.n%8)
		w.n++
	}
}

// code writes the codeword of index i of a codebook (0: scalefactors).
func (w *bitWriter) code(book, i int) {
	c := scalefactorCodes[i]
	if book > 0 {
		c = spectralCodes[book][i]
	}
	w.put(int(c&0xFFFFFF), int(c>>24))
}

// TestPulseAndLongTNS decodes a frame written by hand from the syntax of
// §4.4.2: a long window carrying pulse data and a TNS filter, two tools
// no fixture's encoder writes. One band of four lines, codebook 5, all
// zero but for one pulse of amplitude 3 at line 2; a TNS filter of order
// 1 with a 4-bit coefficient of 1.
func TestPulseAndLongTNS(t *testing.T) {
	var w bitWriter
	w.put(idSCE, 3)
	w.put(0, 4)   // element_instance_tag
	w.put(100, 8) // global_gain
	w.put(0, 1)   // ics_reserved_bit
	w.put(0, 2)   // ONLY_LONG_SEQUENCE
	w.put(0, 1)   // sine window
	w.put(1, 6)   // max_sfb
	w.put(0, 1)   // predictor_data_present
	w.put(5, 4)   // sect_cb
	w.put(1, 5)   // sect_len
	w.code(0, 60) // scalefactor difference 0: sf = global_gain
	w.put(1, 1)   // pulse_data_present
	w.put(0, 2)   // number_pulse: one
	w.put(0, 6)   // pulse_start_sfb
	w.put(2, 5)   // pulse_offset
	w.put(3, 4)   // pulse_amp
	w.put(1, 1)   // tns_data_present
	w.put(1, 2)   // n_filt
	w.put(1, 1)   // coef_res: 4 bits
	w.put(1, 6)   // length
	w.put(1, 5)   // order
	w.put(0, 1)   // direction
	w.put(0, 1)   // coef_compress
	w.put(1, 4)   // coef
	w.put(0, 1)   // gain_control_data_present
	w.code(5, 40) // lines 0, 1: (0, 0)
	w.code(5, 40) // lines 2, 3: (0, 0)
	w.put(idEND, 3)

	d, err := NewDecoder(Config{ObjectType: ObjectTypeLC, SampleRate: 48000, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, FrameSamples)
	if _, err := d.Decode(w.buf, out); err != nil {
		t.Fatal(err)
	}
	c := &d.ch[0]
	if c.q[2] != -3 || c.q[0] != 0 || c.q[1] != 0 || c.q[3] != 0 {
		t.Errorf("quantised lines %v, want a pulse of -3 at line 2 (a zero line takes the pulse negative)", c.q[:4])
	}
	// sf = 100: a gain of 1, so the line is -3^(4/3).
	if want := -math.Pow(3, 4.0/3); math.Abs(c.spec[2]-want) > 1e-9 {
		t.Errorf("line 2 dequantised to %v, want %v", c.spec[2], want)
	}
	// The TNS coefficient: 1 of 4 bits, sin(1 / ((2^3 - 1/2) / (π/2))).
	f := c.tns[0]
	if len(f) != 1 || f[0].order != 1 || f[0].length != 1 {
		t.Fatalf("TNS filters %+v, want one of order 1 and length 1", f)
	}
	if want := math.Sin(1 / (7.5 / (math.Pi / 2))); math.Abs(f[0].lpc[1]-want) > 1e-12 {
		t.Errorf("TNS LPC coefficient %v, want %v", f[0].lpc[1], want)
	}
	if d.used.pulse != 1 || d.used.tns != 1 {
		t.Errorf("tools used %+v, want one pulse and one TNS", d.used)
	}
	// A filter of order 13 is refused (AAC-LC allows 12 on long windows).
	var bad bitWriter
	bad.put(idSCE, 3)
	bad.put(0, 4)
	bad.put(100, 8)
	bad.put(0, 1)
	bad.put(0, 2)
	bad.put(0, 1)
	bad.put(0, 6) // max_sfb 0: no sections, no scalefactors
	bad.put(0, 1)
	bad.put(0, 1) // no pulse
	bad.put(1, 1) // TNS
	bad.put(1, 2)
	bad.put(0, 1)
	bad.put(10, 6)
	bad.put(13, 5) // order 13
	bad.put(0, 16)
	if _, err := d.Decode(bad.buf, out); err == nil {
		t.Error("a TNS filter of order 13 decoded")
	}
}
