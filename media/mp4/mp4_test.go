package mp4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Fixtures made with ffmpeg 5.1.9 (see testdata/README.md).
const (
	// fragPath is 2 s of a 440 Hz tone, AAC-LC 48 kHz mono, fragmented
	// like Safari's recordings (empty moov, trex defaults, moof+mdat).
	fragPath = "testdata/tone-frag.m4a"
	// flatPath is 1.5 s of a 440 Hz tone, AAC-LC 44.1 kHz stereo, an
	// ordinary MP4 with the moov first (+faststart).
	flatPath = "testdata/tone-faststart.m4a"
	// webkitPath is a real take from WebKitGTK 2.50's MediaRecorder (its
	// mock microphone, AAC-LC 44.1 kHz mono, 500 ms timeslice): ftyp
	// twice, a moov, seven moof+mdat fragments of 43 frames, then the
	// last moof twice before its mdat of 29 frames.
	webkitPath = "testdata/webkitgtk-2.50-mediarecorder.mp4"
)

// aacFrame is the length of one AAC-LC frame in samples.
const aacFrame = 1024

// typeMfra is the movie fragment random access box, optional at the end.
const typeMfra = "mfra"

func fixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func probe(t testing.TB, b []byte) Info {
	t.Helper()
	info, err := Probe(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	return info
}

// samples converts a count of samples at rate to a Duration.
func samples(n, rate int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(rate)
}

// topBox is one top-level box of a file.
type topBox struct {
	typ      string
	off, end int
}

// topBoxes lists the top-level boxes of a well-formed file (32-bit sizes).
func topBoxes(t testing.TB, b []byte) []topBox {
	t.Helper()
	var out []topBox
	for off := 0; off < len(b); {
		n := int(binary.BigEndian.Uint32(b[off:]))
		if n < 8 || off+n > len(b) {
			t.Fatalf("bad top-level box at %d", off)
		}
		out = append(out, topBox{string(b[off+4 : off+8]), off, off + n})
		off += n
	}
	return out
}

func TestProbeFixtures(t *testing.T) {
	for _, tc := range []struct {
		name       string
		path       string
		rate       int
		channels   int
		fragmented bool
		frames     int
		// ffprobe is the stream's duration_ts from
		// `ffprobe -show_entries stream=duration_ts,duration`, in samples.
		ffprobe int
	}{
		// ffprobe: duration_ts=97024 duration=2.021333 (no edit list in
		// the empty moov, so the 1024 priming samples are included).
		{"Fragmented", fragPath, 48000, 1, true, 95, 97024},
		// ffprobe: duration_ts=66150 duration=1.500000, nb_frames=66. That
		// is after the edit list (elst media_time=1024) drops the encoder's
		// 1024 priming samples; Probe sums the sample table and does not
		// apply edit lists, so it is compared with 66150+1024.
		{"Faststart", flatPath, 44100, 2, false, 66, 66150 + 1024},
		// Counted from its boxes: 7 × 43 + 29 AAC frames, the repeated
		// moof once.
		{"WebKit", webkitPath, 44100, 1, true, 7*43 + 29, (7*43 + 29) * aacFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := probe(t, fixture(t, tc.path))
			if info.Codec != CodecAAC || info.SampleRate != tc.rate || info.Channels != tc.channels ||
				info.Fragmented != tc.fragmented || info.Samples != tc.frames || info.Timescale != tc.rate {
				t.Errorf("Probe = %+v, want mp4a %d Hz, %d ch, fragmented %v, %d samples",
					info, tc.rate, tc.channels, tc.fragmented, tc.frames)
			}
			want := samples(tc.ffprobe, tc.rate)
			if d := info.Duration - want; d < -samples(aacFrame, tc.rate) || d > samples(aacFrame, tc.rate) {
				t.Errorf("Duration = %v, ffprobe says %v: off by more than one AAC frame", info.Duration, want)
			}
			if want := map[string]int{fragPath: 4, webkitPath: 8}[tc.path]; tc.fragmented && info.Fragments != want {
				t.Errorf("Fragments = %d, want %d", info.Fragments, want)
			}
		})
	}
}

// TestBoxSizes rewrites the fragmented fixture with a 64-bit ftyp size and
// a last mdat whose size is 0 ("to the end of the file"); the trun data
// offsets are relative to their moof, so shifting everything is harmless.
func TestBoxSizes(t *testing.T) {
	in := fixture(t, fragPath)
	want := probe(t, in)
	boxes := topBoxes(t, in)

	var out []byte
	for i, b := range boxes {
		switch {
		case i == 0:
			out = binary.BigEndian.AppendUint32(out, 1)
			out = append(out, b.typ...)
			out = binary.BigEndian.AppendUint64(out, uint64(b.end-b.off+8))
			out = append(out, in[b.off+8:b.end]...)
		case b.typ == typeMfra:
			// dropped, so that the last mdat runs to the end
		default:
			out = append(out, in[b.off:b.end]...)
		}
	}
	last := boxes[len(boxes)-2]
	if last.typ != typeMdat {
		t.Fatalf("box before the last is %q, want mdat", last.typ)
	}
	binary.BigEndian.PutUint32(out[len(out)-(last.end-last.off):], 0)

	if got := probe(t, out); got != want {
		t.Errorf("Probe = %+v, want %+v", got, want)
	}
}

func TestBadInput(t *testing.T) {
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	wav := append(media.WAVHeader(48000, 1, 9600), make([]byte, 9600)...)
	webm := fixture(t, "../webm/testdata/chromium-440hz.webm")

	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"Empty", nil},
		{"Short", []byte{0, 0, 0, 16, 'f', 't'}},
		{"Random", random},
		{"WAV", wav},
		{"WebM", webm},
		{"Text", []byte("<html>not a recording</html>")},
		{"FtypTooSmall", append([]byte{0, 0, 0, 8, 'f', 't', 'y', 'p'}, random[:64]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Probe(bytes.NewReader(tc.b), int64(len(tc.b)))
			if !errors.Is(err, ErrNotMP4) {
				t.Errorf("Probe: %v, want ErrNotMP4", err)
			}
			if !errors.Is(err, media.ErrInvalid) {
				t.Errorf("Probe: %v does not unwrap to media.ErrInvalid", err)
			}
		})
	}
}

// patch returns a copy of b with v written big-endian at off bytes after
// the first occurrence of the fourcc typ.
func patch(t testing.TB, b []byte, typ string, off int, v uint32) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(typ))
	if i < 0 {
		t.Fatalf("no %q in the fixture", typ)
	}
	out := bytes.Clone(b)
	binary.BigEndian.PutUint32(out[i+off:], v)
	return out
}

// patchAll is patch at every occurrence of typ.
func patchAll(t testing.TB, b []byte, typ string, off int, v uint32) []byte {
	t.Helper()
	out := bytes.Clone(b)
	n := 0
	for i := 0; ; i++ {
		j := bytes.Index(out[i:], []byte(typ))
		if j < 0 {
			break
		}
		i += j
		binary.BigEndian.PutUint32(out[i+off:], v)
		n++
	}
	if n == 0 {
		t.Fatalf("no %q in the fixture", typ)
	}
	return out
}

func TestMalformed(t *testing.T) {
	frag := fixture(t, fragPath)
	flat := fixture(t, flatPath)
	soun := binary.BigEndian.Uint32([]byte("soun"))
	vide := binary.BigEndian.Uint32([]byte("vide"))
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		// hdlr: fourcc, version+flags, pre_defined, handler_type.
		{"NoAudioFragmented", patch(t, frag, "hdlr", 12, vide), ErrNoAudio},
		{"NoAudioFlat", patch(t, flat, "hdlr", 12, vide), ErrNoAudio},
		// A fragment of another track: no audio fragment at all.
		{"OtherTrackID", patchAll(t, frag, "tfhd", 8, 7), ErrTruncated},
		// trun: fourcc, version+flags, sample_count.
		{"HugeSampleCount", patch(t, frag, "trun", 8, 1<<32-1), ErrNotMP4},
		{"HugeStts", patch(t, flat, "stts", 8, 1<<32-1), ErrNotMP4},
		{"HugeStco", patch(t, flat, "stco", 8, 1<<32-1), ErrNotMP4},
		{"HugeStsz", patch(t, flat, "stsz", 12, 1<<32-1), ErrNotMP4},
		{"ChildPastParent", patch(t, frag, "trak", -4, 1<<30), ErrNotMP4},
		{"ChildTooSmall", patch(t, frag, "trak", -4, 3), ErrNotMP4},
		{"TopPastEnd", patch(t, frag, "moof", -4, 1<<30), ErrTruncated},
		{"DataPastEnd", patch(t, frag, "trun", 12, 1<<20), ErrTruncated},
		{"NoTimescale", patch(t, frag, "mdhd", 16, 0), ErrNotMP4},
		{"SoundStillSound", patch(t, frag, "hdlr", 12, soun), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Probe(bytes.NewReader(tc.b), int64(len(tc.b)))
			if tc.want == nil {
				if err != nil {
					t.Errorf("Probe: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, media.ErrInvalid) {
				t.Errorf("Probe: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestTruncated cuts the fixtures at every offset. A fragmented file cut
// right after a fragment's mdat is a shorter take; every other cut is
// ErrTruncated (or ErrNotMP4 when too little is left to tell).
func TestTruncated(t *testing.T) {
	for _, path := range []string{fragPath, flatPath, webkitPath} {
		t.Run(path, func(t *testing.T) {
			in := fixture(t, path)
			full := probe(t, in)
			boxes := topBoxes(t, in)
			valid := map[int]int{} // cut offsets that leave a take → its fragments
			fragments := 0
			for i, b := range boxes {
				if b.typ == typeMdat && i > 0 && boxes[i-1].typ == typeMoof {
					fragments++
					valid[b.end] = fragments
				}
			}
			if full.Fragmented && fragments != full.Fragments {
				t.Fatalf("%d moof+mdat pairs, Probe counted %d", fragments, full.Fragments)
			}
			whole := 0 // the last cut before n that leaves a take
			for n := range len(in) {
				if valid[n] > 0 {
					whole = n
				}
				// CompletePrefix finds that cut, in a fragmented file.
				if got, err := CompletePrefix(bytes.NewReader(in[:n]), int64(n)); full.Fragmented && whole > 0 {
					if err != nil || got != int64(whole) {
						t.Errorf("cut at %d: CompletePrefix = %d, %v; want %d", n, got, err, whole)
					}
				} else if err == nil && n > 0 && valid[n] == 0 {
					t.Errorf("cut at %d: CompletePrefix = %d, want an error", n, got)
				}
				info, err := Probe(bytes.NewReader(in[:n]), int64(n))
				switch {
				case valid[n] > 0:
					shorter := valid[n] < fragments
					if err != nil || info.Fragments != valid[n] || info.Duration <= 0 ||
						(info.Duration < full.Duration) != shorter || (info.Samples < full.Samples) != shorter {
						t.Errorf("cut at %d (after fragment %d): %+v, %v; want a take of %d fragments", n, valid[n], info, err, valid[n])
					}
				case n < 16:
					if !errors.Is(err, ErrNotMP4) {
						t.Errorf("cut at %d: %v, want ErrNotMP4", n, err)
					}
				default:
					if !errors.Is(err, ErrTruncated) {
						t.Errorf("cut at %d: %v, want ErrTruncated", n, err)
					}
					if info.Duration > full.Duration || info.Samples > full.Samples {
						t.Errorf("cut at %d: %+v holds more than the whole file", n, info)
					}
				}
			}
			// The mfra after the last mdat is optional.
			if full.Fragmented && boxes[len(boxes)-1].typ == typeMfra {
				last := boxes[len(boxes)-1]
				if got := probe(t, in[:last.off]); got != full {
					t.Errorf("without the mfra: %+v, want %+v", got, full)
				}
			}
		})
	}
}

// FuzzProbe checks that no input makes Probe panic, and that whatever it
// accepts has a sane duration and sample count.
func FuzzProbe(f *testing.F) {
	f.Add(fixture(f, fragPath))
	f.Add(fixture(f, flatPath))
	f.Add(fixture(f, webkitPath))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Probe(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, media.ErrInvalid) {
				t.Errorf("Probe: %v does not unwrap to media.ErrInvalid", err)
			}
			return
		}
		if info.Duration < 0 || info.Samples < 0 || info.Samples > len(b) {
			t.Errorf("Probe = %+v for %d bytes", info, len(b))
		}
	})
}

// TestWebKitRepeats: WebKit's duplicate ftyp and repeated moof are read
// once each, but only when they repeat byte for byte: a second ftyp or a
// moof that differs is what it was before.
func TestWebKitRepeats(t *testing.T) {
	in := fixture(t, webkitPath)
	boxes := topBoxes(t, in)
	if boxes[0].typ != typeFtyp || boxes[1].typ != typeFtyp {
		t.Fatalf("the fixture starts %s %s, want ftyp ftyp", boxes[0].typ, boxes[1].typ)
	}
	whole := probe(t, in)

	// A second ftyp that differs is not WebKit's repeat.
	other := bytes.Clone(in)
	other[boxes[1].off+8] ^= 1 // its major brand
	if _, err := Probe(bytes.NewReader(other), int64(len(other))); !errors.Is(err, ErrNotMP4) {
		t.Errorf("a second, different ftyp: %v, want ErrNotMP4", err)
	}

	// Without the repeated moof the take is the same.
	last := len(boxes) - 1
	if boxes[last].typ != typeMdat || boxes[last-1].typ != typeMoof || boxes[last-2].typ != typeMoof {
		t.Fatalf("the fixture ends %s %s %s, want moof moof mdat", boxes[last-2].typ, boxes[last-1].typ, boxes[last].typ)
	}
	once := append(bytes.Clone(in[:boxes[last-2].off]), in[boxes[last-1].off:]...)
	if got := probe(t, once); got != whole {
		t.Errorf("without the repeat: %+v, want %+v", got, whole)
	}
	// Nor is a single ftyp any different.
	single := bytes.Clone(in[boxes[1].off:])
	if got := probe(t, single); got != whole {
		t.Errorf("with one ftyp: %+v, want %+v", got, whole)
	}
}

// mdatPayloads concatenates the payloads of a file's top-level mdats.
func mdatPayloads(t testing.TB, b []byte) []byte {
	t.Helper()
	var out []byte
	for _, box := range topBoxes(t, b) {
		if box.typ == typeMdat {
			out = append(out, b[box.off+8:box.end]...)
		}
	}
	return out
}

// TestFix rewrites each fixture: a fragmented one becomes an ordinary MP4
// with the same audio (sample entry, samples byte for byte, durations),
// which Probe reads as not fragmented with the same length; an ordinary
// one is copied as it is; fixing again changes nothing.
func TestFix(t *testing.T) {
	for _, path := range []string{fragPath, flatPath, webkitPath} {
		t.Run(path, func(t *testing.T) {
			in := fixture(t, path)
			want := probe(t, in)
			var out bytes.Buffer
			info, err := Fix(&out, bytes.NewReader(in), int64(len(in)))
			if err != nil {
				t.Fatal(err)
			}
			fixed := out.Bytes()
			got := probe(t, fixed)
			if info != got {
				t.Errorf("Fix returned %+v, Probe of its output %+v", info, got)
			}
			if got.Fragmented || got.Codec != want.Codec || got.SampleRate != want.SampleRate || got.Channels != want.Channels ||
				got.Samples != want.Samples || got.Duration != want.Duration || got.Timescale != want.Timescale {
				t.Errorf("fixed: %+v; the input: %+v", got, want)
			}
			if !want.Fragmented && !bytes.Equal(fixed, in) {
				t.Error("an ordinary MP4 was not copied as it is")
			}
			if want.Fragmented {
				boxes := topBoxes(t, fixed)
				var types []string
				for _, b := range boxes {
					types = append(types, b.typ)
				}
				if fmt.Sprint(types) != "[ftyp moov mdat]" {
					t.Errorf("fixed file's boxes: %v, want ftyp moov mdat", types)
				}
				// WebKit's and ffmpeg's mdats hold nothing but the samples.
				if !bytes.Equal(mdatPayloads(t, fixed), mdatPayloads(t, in)) {
					t.Error("the fixed file's samples differ from the input's")
				}
				if !bytes.Contains(fixed, sampleEntry(t, in)) {
					t.Error("the sample description was not copied")
				}
			}
			var again bytes.Buffer
			if _, err := Fix(&again, bytes.NewReader(fixed), int64(len(fixed))); err != nil || !bytes.Equal(again.Bytes(), fixed) {
				t.Errorf("fixing the fixed file: %v, same bytes %v", err, bytes.Equal(again.Bytes(), fixed))
			}
		})
	}
}

// sampleEntry returns the bytes of the first stsd box in b.
func sampleEntry(t testing.TB, b []byte) []byte {
	t.Helper()
	i := bytes.Index(b, []byte("stsd"))
	if i < 4 {
		t.Fatal("no stsd")
	}
	n := int(binary.BigEndian.Uint32(b[i-4:]))
	return b[i-4 : i-4+n]
}

// TestFixBroken: a file Probe refuses is refused by Fix, which writes
// nothing.
func TestFixBroken(t *testing.T) {
	in := fixture(t, webkitPath)
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"Truncated", in[:len(in)-100]},
		{"Junk", []byte("<html>not a recording</html>")},
		{"DataPastEnd", patch(t, in, "trun", 12, 1<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Fix(&out, bytes.NewReader(tc.b), int64(len(tc.b)))
			if !errors.Is(err, media.ErrInvalid) || out.Len() != 0 {
				t.Errorf("Fix: %v, %d bytes written; want ErrInvalid and nothing", err, out.Len())
			}
		})
	}
}

// FuzzFix checks that Fix never panics, and that whatever it writes reads
// back as an ordinary MP4 as long as the input.
func FuzzFix(f *testing.F) {
	f.Add(fixture(f, fragPath))
	f.Add(fixture(f, webkitPath))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		info, err := Fix(&out, bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, media.ErrInvalid) && !errors.Is(err, ErrCannotFix) {
				t.Errorf("Fix: %v is neither ErrInvalid nor ErrCannotFix", err)
			}
			if out.Len() != 0 {
				t.Errorf("Fix failed (%v) but wrote %d bytes", err, out.Len())
			}
			return
		}
		got, err := Probe(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil || got.Duration != info.Duration || got.Samples != info.Samples || got.Fragmented {
			t.Errorf("fixed file: %+v, %v; Fix said %+v", got, err, info)
		}
	})
}
