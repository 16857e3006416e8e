package aac

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/mp4"
)

// decoded is a file decoded frame by frame, priming included.
type decoded struct {
	pcm   []float32
	track *mp4.Track
	used  usage
	bad   int // frames that did not decode
}

func decodeFile(t testing.TB, path string) decoded {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mp4.ReadTrack(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(tr.DecoderConfig)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := decoded{track: tr}
	buf := make([]float32, FrameSamples*cfg.Channels)
	err = tr.EachSample(func(p []byte) error {
		if _, err := d.Decode(p, buf); err != nil {
			t.Logf("%s: frame %d: %v", path, len(out.pcm)/len(buf), err)
			out.bad++
		}
		out.pcm = append(out.pcm, buf...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out.used = d.used
	return out
}

func readS16(t testing.TB, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/2)
	for i := range v {
		v[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) / 32768
	}
	return v
}

// TestMatchesFFmpeg decodes AAC-LC files and compares the PCM with
// ffmpeg's decode of them (testdata/README.md): same length, correlation
// and peak error. Each case also checks that the file exercises the coding
// tools it is there for, so a fixture that stops covering them fails.
func TestMatchesFFmpeg(t *testing.T) {
	cases := []struct {
		file, golden string
		// whole: the golden covers the whole take (else a prefix)
		whole bool
		// from: the decoded sample the golden starts at (ffmpeg drops
		// the edit list's priming; a file without one keeps it)
		from  int
		want  func(u usage) bool
		tools string
	}{
		{"transients-mono-44k.m4a", "transients-mono-44k.s16", true, 1024,
			func(u usage) bool {
				return u.windows[eightShort] > 0 && u.windows[longStart] > 0 && u.windows[longStop] > 0 && u.noise > 0
			}, "short windows, PNS"},
		{"stereo-48k.m4a", "stereo-48k.s16", true, 1024,
			func(u usage) bool { return u.midSide > 0 && u.intensity > 0 && u.windows[eightShort] > 0 }, "M/S, intensity stereo, short windows"},
		{"chirp-16k.m4a", "chirp-16k.s16", true, 1024, func(u usage) bool { return u.escape > 0 }, "16 kHz bands, escapes"},
		{"chirp-8k.m4a", "chirp-8k.s16", true, 1024, func(u usage) bool { return u.windows[eightShort] > 0 }, "8 kHz bands"},
		{"noisy-24k.m4a", "noisy-24k.s16", true, 1024, func(u usage) bool { return u.noise > 0 }, "24 kHz bands, PNS"},
		{"noisy-32k.m4a", "noisy-32k.s16", true, 1024, func(u usage) bool { return u.noise > 0 }, "32 kHz bands, PNS"},
		{"tns-short.m4a", "tns-short.s16", true, 1024, func(u usage) bool { return u.tns > 0 }, "TNS"},
		{"../../mp4/testdata/tone-faststart.m4a", "tone-faststart-first0.5s.s16", false, 1024,
			func(u usage) bool { return u.midSide > 0 && u.intensity > 0 && u.kbd > 0 }, "stereo, KBD windows"},
		{"../../mp4/testdata/webkitgtk-2.50-mediarecorder.mp4", "webkitgtk-2.50-first1.5s.s16", false, 0,
			func(u usage) bool { return u.windows[eightShort] > 0 && u.frames == 330 }, "WebKit's encoder, fragmented MP4"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			got := decodeFile(t, filepath.Join("testdata", c.file))
			ref := readS16(t, filepath.Join("testdata", c.golden))
			ch := got.track.Channels
			if got.bad > 0 {
				t.Errorf("%d frames did not decode", got.bad)
			}
			if !c.want(got.used) {
				t.Errorf("the file does not exercise %s: %+v", c.tools, got.used)
			}
			pcm := got.pcm[c.from*ch:]
			if c.whole {
				// ffmpeg 5.1 drops the edit list's priming and keeps the
				// rest of the frames whole, as does this comparison.
				if n, want := len(pcm)/ch, len(ref)/ch; n != want {
					t.Errorf("decoded %d samples after the priming, ffmpeg %d", n, want)
				}
			} else if len(pcm) < len(ref) {
				t.Fatalf("decoded %d values, golden has %d", len(pcm), len(ref))
			}
			// The golden is 16-bit: louder samples are clipped.
			pcm = append([]float32(nil), pcm[:min(len(pcm), len(ref))]...)
			for i, v := range pcm {
				pcm[i] = min(max(v, -1), 32767.0/32768)
			}
			r := mediatest.Correlation(pcm, ref[:len(pcm)])
			var peak float64
			for i := range pcm {
				peak = max(peak, math.Abs(float64(pcm[i]-ref[i])))
			}
			t.Logf("%d samples × %d ch: correlation %.6f, peak error %.2f LSB; tools %+v", len(pcm)/ch, ch, r, peak*32768, got.used)
			if r < 0.99 {
				t.Errorf("correlation %.4f with ffmpeg's decode, want ≥ 0.99", r)
			}
			// ffmpeg rounds its float output to 16 bits: one LSB apart
			// at most, plus float noise.
			if peak > 1.5/32768 {
				t.Errorf("peak error %.2f LSB, want ≤ 1.5", peak*32768)
			}
		})
	}
}

// TestTone decodes a 440 Hz AAC tone and measures its pitch and level.
func TestTone(t *testing.T) {
	got := decodeFile(t, "testdata/tone440-44k.m4a")
	pcm := got.pcm[1024:] // the edit list's priming
	if f := mediatest.DominantFrequency(pcm[:32768], 44100); math.Abs(f-440) > 2 {
		t.Errorf("dominant frequency %.1f Hz, want 440", f)
	}
	// ffmpeg's sine source is at 1/8 of full scale: RMS 0.125/√2.
	if rms := mediatest.RMS(pcm[4096:40960]); math.Abs(rms-0.125/math.Sqrt2) > 0.005 {
		t.Errorf("RMS %.4f, want %.4f", rms, 0.125/math.Sqrt2)
	}
}

// TestCodebooks checks the transcribed Huffman tables: the standard's
// entry counts, complete (Kraft sum exactly 1) and prefix-free codes, and
// that every codeword decodes to its own index through the lookup tables.
func TestCodebooks(t *testing.T) {
	sizes := []int{121, 81, 81, 81, 81, 81, 81, 64, 64, 169, 169, 289}
	books := codebooks()
	for i, size := range sizes {
		codes := spectralCodes[i]
		if i == 0 {
			codes = scalefactorCodes[:]
		}
		if len(codes) != size {
			t.Errorf("codebook %d has %d entries, want %d", i, len(codes), size)
		}
		var kraft float64
		for a, ca := range codes {
			na, wa := ca>>24, ca&0xFFFFFF
			kraft += math.Exp2(-float64(na))
			if wa>>na != 0 {
				t.Errorf("codebook %d index %d: codeword %#x longer than %d bits", i, a, wa, na)
			}
			for b, cb := range codes {
				nb, wb := cb>>24, cb&0xFFFFFF
				if a != b && nb >= na && wb>>(nb-na) == wa {
					t.Errorf("codebook %d: codeword of %d is a prefix of %d's", i, a, b)
				}
			}
			// Decode the codeword followed by other bits.
			var buf [4]byte
			v := wa<<(32-na) | 0x5A5A5A5A>>na
			binary.BigEndian.PutUint32(buf[:], v)
			var br bitReader
			br.reset(buf[:])
			if sym := books[i].decode(&br); sym != a || br.pos != int(na) {
				t.Errorf("codebook %d: codeword of %d decodes to %d after %d bits", i, a, sym, br.pos)
			}
		}
		if kraft != 1 {
			t.Errorf("codebook %d: Kraft sum %v, want 1", i, kraft)
		}
	}
}

// TestIMDCT checks the FFT-based inverse MDCT against the definition.
func TestIMDCT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{256, 2048} {
		tr := newIMDCT(n, 2/float64(n))
		x := make([]float64, n/2)
		for i := range x {
			x[i] = rng.Float64()*2 - 1
		}
		y := make([]float64, n)
		tr.transform(x, y)
		var worst float64
		for i := range y {
			var s float64
			for k, v := range x {
				s += v * math.Cos(2*math.Pi/float64(n)*(float64(i)+float64(n)/4+0.5)*(float64(k)+0.5))
			}
			worst = max(worst, math.Abs(y[i]-2/float64(n)*s))
		}
		if worst > 1e-12 {
			t.Errorf("N=%d: largest difference from the definition %g", n, worst)
		}
	}
}

// TestParseConfig reads AudioSpecificConfigs: what the decoder takes,
// and what it refuses in words. NewDecoder refuses a rate without band
// tables.
func TestParseConfig(t *testing.T) {
	if _, err := NewDecoder(Config{ObjectType: ObjectTypeLC, SampleRate: 44000, Channels: 1}); err == nil {
		t.Error("NewDecoder took 44 000 Hz, a rate AAC has no tables for")
	}
	for _, c := range []struct {
		asc            []byte
		rate, channels int
		ok             bool
	}{
		{[]byte{0x12, 0x10}, 44100, 2, true},
		{[]byte{0x11, 0x88}, 48000, 1, true},
		{[]byte{0x14, 0x08}, 16000, 1, true},
		{[]byte{0x2b, 0x92, 0x08, 0x00}, 22050, 2, false}, // HE-AAC (SBR)
		{[]byte{0x11, 0xb0}, 48000, 6, false},             // 5.1
		{[]byte{0x12, 0x14}, 44100, 2, false},             // 960-sample frames
		{[]byte{0x12}, 0, 0, false},
		{[]byte{0x12, 0x10, 0x56, 0xe5, 0x00}, 44100, 2, true},  // ffmpeg's: sync extension, no SBR
		{[]byte{0x13, 0x10, 0x56, 0xe5, 0x98}, 22050, 2, false}, // sync extension, SBR present
	} {
		cfg, err := ParseConfig(c.asc)
		if err == nil {
			_, err = NewDecoder(cfg)
		}
		if (err == nil) != c.ok {
			t.Errorf("%x: error %v, want ok=%v", c.asc, err, c.ok)
			continue
		}
		if c.ok && (cfg.SampleRate != c.rate || cfg.Channels != c.channels) {
			t.Errorf("%x: %d Hz %d channels, want %d Hz %d", c.asc, cfg.SampleRate, cfg.Channels, c.rate, c.channels)
		}
	}
}

// TestBadFrames feeds damaged frames: each is an error with silence out,
// never a panic, and the decoder goes on with the next good frame.
func TestBadFrames(t *testing.T) {
	d, err := NewDecoder(Config{ObjectType: ObjectTypeLC, SampleRate: 44100, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, FrameSamples)
	rng := rand.New(rand.NewPCG(3, 4))
	bad := 0
	for range 2000 {
		p := make([]byte, rng.IntN(300))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		if _, err := d.Decode(p, out); err != nil {
			bad++
			for _, v := range out {
				if v != 0 {
					t.Fatalf("a frame that did not decode left %v in the output", v)
				}
			}
		}
	}
	if bad < 1000 {
		t.Errorf("only %d of 2000 random frames were refused", bad)
	}
	// A truncated real frame is an error too.
	good := decodeFile(t, "testdata/tone440-44k.m4a")
	if good.bad != 0 {
		t.Fatalf("%d frames of the tone did not decode", good.bad)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0x00, 0x00, 0x38})
	f.Add([]byte{0x21, 0x10, 0x05, 0x00, 0xa0, 0x19, 0x33, 0x87, 0xc0})
	f.Fuzz(func(t *testing.T, p []byte) {
		for _, ch := range []int{1, 2} {
			d, err := NewDecoder(Config{ObjectType: ObjectTypeLC, SampleRate: 48000, Channels: ch})
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, FrameSamples*ch)
			d.Decode(p, out)
			d.Decode(p, out)
		}
	})
}
