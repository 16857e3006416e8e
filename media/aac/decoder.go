// Package aac decodes AAC-LC, the audio Safari's and WebKit's
// MediaRecorder write into MP4, in pure Go: raw_data_block syntax with
// single channel and channel pair elements (fill and data stream elements
// skipped), long and eight-short windows with sine and KBD shapes,
// scalefactors and all eleven spectral codebooks with escapes, pulse data,
// M/S and intensity stereo, perceptual noise substitution, temporal noise
// shaping, and an FFT-based inverse MDCT with overlap-add (ISO/IEC 14496-3
// §4). It does not implement what AAC-LC streams from browsers never hold:
// coupling channel elements, program config elements inside frames, more
// than two channels, 960-sample frames, or the HE-AAC extensions: a
// stream that signals SBR in its AudioSpecificConfig is refused, and SBR
// or PS payloads in fill elements are skipped (an implicitly signalled
// HE-AAC stream decodes as its AAC-LC core, without its high band).
package aac

import (
	"errors"
	"fmt"
	"math"

	"github.com/avatarweb/recorder/media"
)

// FrameSamples is the samples per channel of one AAC-LC frame.
const FrameSamples = 1024

// Syntactic element ids (Table 4.85).
const (
	idSCE = iota
	idCPE
	idCCE
	idLFE
	idDSE
	idPCE
	idFIL
	idEND
)

// Decoder decodes the frames of one AAC-LC stream, in order: each frame's
// output overlaps the last one's.
type Decoder struct {
	cfg Config
	b   bitReader
	ch  [2]channel
	ms  [8][64]bool

	long, short *imdct
	win         *windows
	frameBuf    [2048]float64
	shortBuf    [256]float64
	pcm         [2][1024]float64
	noise       uint32 // PNS random state
	used        usage
}

// usage counts the coding tools the frames decoded so far used, so tests
// can tell which a fixture exercises.
type usage struct {
	frames                    int
	windows                   [4]int // by window sequence
	kbd, tns, pulse, escape   int    // channel streams using each
	midSide, intensity, noise int    // bands using each
}

// NewDecoder returns a decoder for the stream cfg describes (from
// ParseConfig, or filled in by hand: the sample rate picks the band
// tables).
func NewDecoder(cfg Config) (*Decoder, error) {
	cfg.rateIndex = rateIndex(cfg.SampleRate)
	if cfg.ObjectType != ObjectTypeLC || cfg.Channels < 1 || cfg.Channels > 2 || cfg.rateIndex < 0 {
		return nil, media.Invalidf("aac: unsupported stream: object type %d, %d channels, %d Hz", cfg.ObjectType, cfg.Channels, cfg.SampleRate)
	}
	// The IMDCT of §4.6.11.3.1 scales by 2/N and yields 16-bit PCM
	// values; the output here is float in [-1, 1].
	return &Decoder{
		cfg:   cfg,
		long:  newIMDCT(2048, 2.0/2048/32768),
		short: newIMDCT(256, 2.0/256/32768),
		win:   sharedWindows(),
		// PNS noise is any noise of the band's energy; drawing it from
		// the same generator and seed as ffmpeg's decoder lets the tests
		// compare noise bands sample for sample too.
		noise: 0x1f2e3d4c,
	}, nil
}

// Config returns the stream's configuration.
func (d *Decoder) Config() Config { return d.cfg }

// ErrUnsupported reports a frame using a part of AAC this decoder does
// not implement.
var ErrUnsupported = errors.New("aac: unsupported stream feature")

// Decode decodes one raw AAC frame (an MP4 sample) into out, which must
// hold FrameSamples·Channels values: interleaved float samples in [-1, 1].
// It returns the samples per channel written. An empty frame decodes as
// silence. After an error out holds silence and the decoder carries on
// with the next frame.
func (d *Decoder) Decode(frame []byte, out []float32) (int, error) {
	n := d.cfg.Channels
	if len(out) < FrameSamples*n {
		return 0, fmt.Errorf("aac: output of %d values, want %d", len(out), FrameSamples*n)
	}
	err := d.frame(frame)
	if err != nil {
		clear(out[:FrameSamples*n])
		for i := range d.ch {
			d.ch[i].overlap = [1024]float64{}
		}
		return FrameSamples, err
	}
	for c := range n {
		p := &d.pcm[c]
		for i, v := range p {
			out[i*n+c] = float32(v)
		}
	}
	return FrameSamples, nil
}

// frame decodes a raw_data_block into d.pcm.
func (d *Decoder) frame(frame []byte) error {
	if len(frame) == 0 {
		d.pcm = [2][1024]float64{}
		return nil
	}
	b := &d.b
	b.reset(frame)
	got := 0 // channels decoded
	for {
		id := b.read(3)
		if b.overrun {
			return errOverrun
		}
		switch id {
		case idSCE, idLFE:
			b.read(4) // element_instance_tag
			if got >= d.cfg.Channels {
				return fmt.Errorf("aac: more channels than the configuration's %d", d.cfg.Channels)
			}
			c := &d.ch[got]
			if err := d.readICS(b, c, false); err != nil {
				return err
			}
			d.pns(c, pairNoise{})
			d.output(c, got)
			got++
		case idCPE:
			if got+2 > d.cfg.Channels {
				return fmt.Errorf("aac: a channel pair in a %d-channel stream", d.cfg.Channels)
			}
			if err := d.readCPE(b); err != nil {
				return err
			}
			got += 2
		case idDSE:
			b.read(4)
			align := b.bit()
			count := b.read(8)
			if count == 255 {
				count += b.read(8)
			}
			if align {
				b.byteAlign()
			}
			b.skip(8 * count)
		case idFIL:
			count := b.read(4)
			if count == 15 {
				count += b.read(8) - 1
			}
			b.skip(8 * count)
		case idEND:
			d.used.frames++
			if got != d.cfg.Channels {
				return fmt.Errorf("aac: frame of %d channels in a %d-channel stream", got, d.cfg.Channels)
			}
			return nil
		default:
			return fmt.Errorf("aac: element %d: %w", id, ErrUnsupported)
		}
		if b.overrun {
			return errOverrun
		}
	}
}

// readCPE reads a channel_pair_element and applies its stereo tools.
func (d *Decoder) readCPE(b *bitReader) error {
	b.read(4)
	common := b.bit()
	l, r := &d.ch[0], &d.ch[1]
	msMask := 0
	if common {
		if err := d.readICSInfo(b, &l.info); err != nil {
			return err
		}
		r.info = l.info
		msMask = b.read(2)
		switch msMask {
		case 1:
			for g := range l.info.numGroups {
				for k := range l.info.maxSfb {
					d.ms[g][k] = b.bit()
				}
			}
		case 2:
			for g := range l.info.numGroups {
				for k := range l.info.maxSfb {
					d.ms[g][k] = true
				}
			}
		case 3:
			return fmt.Errorf("aac: reserved ms_mask_present 3")
		}
	}
	if err := d.readICS(b, l, common); err != nil {
		return err
	}
	if err := d.readICS(b, r, common); err != nil {
		return err
	}
	var ms *[8][64]bool
	if msMask != 0 {
		ms = &d.ms
	}
	d.pns(l, pairNoise{})
	d.pns(r, pairNoise{left: l, ms: ms})
	if ms != nil {
		d.midSide(l, r)
	}
	d.intensity(l, r, ms)
	d.output(l, 0)
	d.output(r, 1)
	return nil
}

// output applies TNS and the filterbank to c, channel n of the frame.
func (d *Decoder) output(c *channel, n int) {
	d.used.windows[c.info.windowSequence]++
	d.used.kbd += c.info.windowShape
	if c.tnsOn {
		d.used.tns++
		d.applyTNS(c)
	}
	d.synthesise(c, d.pcm[n][:])
}

// bands calls fn for each (group, band) of c below max_sfb with the
// lines of that band in each window of the group.
func (c *channel) bands(fn func(g, k int, lines [][2]int)) {
	in := &c.info
	spans := &c.spans // a field, so passing it to fn does not allocate
	win := 0
	for g := range in.numGroups {
		for k := range in.maxSfb {
			n := 0
			for w := win; w < win+in.groupLen[g]; w++ {
				spans[n] = [2]int{w*128 + in.swb[k], w*128 + in.swb[k+1]}
				n++
			}
			fn(g, k, spans[:n])
		}
		win += in.groupLen[g]
	}
}

// midSide turns mid/side bands back into left/right (§4.6.8.1).
func (d *Decoder) midSide(l, r *channel) {
	l.bands(func(g, k int, lines [][2]int) {
		if !d.ms[g][k] || l.cb[g][k] >= noiseHCB || r.cb[g][k] >= noiseHCB {
			return
		}
		d.used.midSide++
		for _, s := range lines {
			for i := s[0]; i < s[1]; i++ {
				m, side := l.spec[i], r.spec[i]
				l.spec[i], r.spec[i] = m+side, m-side
			}
		}
	})
}

// intensity fills the right channel's intensity bands from the left
// channel (§4.6.8.2.3).
func (d *Decoder) intensity(l, r *channel, ms *[8][64]bool) {
	r.bands(func(g, k int, lines [][2]int) {
		cb := r.cb[g][k]
		if cb != intensityHCB && cb != intensityHCB2 {
			return
		}
		d.used.intensity++
		scale := math.Exp2(-0.25 * float64(r.sf[g][k]))
		if cb == intensityHCB2 {
			scale = -scale
		}
		if ms != nil && ms[g][k] {
			scale = -scale
		}
		for _, s := range lines {
			for i := s[0]; i < s[1]; i++ {
				r.spec[i] = l.spec[i] * scale
			}
		}
	})
}

// pairNoise is what PNS of a pair's right channel needs from the left:
// where both use noise in a band with M/S set, the same noise is used.
type pairNoise struct {
	left *channel
	ms   *[8][64]bool
}

// pns fills noise bands with random values of the band's energy
// (§4.6.13), window by window.
func (d *Decoder) pns(c *channel, p pairNoise) {
	c.bands(func(g, k int, lines [][2]int) {
		if c.cb[g][k] != noiseHCB {
			return
		}
		d.used.noise++
		gain := math.Exp2(0.25 * float64(c.sf[g][k]))
		shared := p.left != nil && p.ms != nil && p.ms[g][k] && p.left.cb[g][k] == noiseHCB
		for _, s := range lines {
			band := c.spec[s[0]:s[1]]
			if shared {
				copy(band, p.left.spec[s[0]:s[1]])
			} else {
				for i := range band {
					d.noise = d.noise*1664525 + 1013904223
					band[i] = float64(int32(d.noise))
				}
			}
			var energy float64
			for _, v := range band {
				energy += v * v
			}
			if energy == 0 {
				continue
			}
			scale := gain / math.Sqrt(energy)
			for i := range band {
				band[i] *= scale
			}
		}
	})
}
