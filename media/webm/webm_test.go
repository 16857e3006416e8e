package webm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// fixturePath is 2 s of a 440 Hz fake microphone recorded by Chromium's
// MediaRecorder (see testdata/README.md).
const fixturePath = "testdata/chromium-440hz.webm"

// opusPacket is the length of each of Chromium's Opus packets: 3 × 20 ms
// CELT frames (TOC 0xFF).
const opusPacket = 60 * time.Millisecond

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
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

func fix(t testing.TB, b []byte) ([]byte, Info) {
	t.Helper()
	var out bytes.Buffer
	info, err := Fix(&out, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Fix: %v", err)
	}
	return out.Bytes(), info
}

type packet struct {
	ts   time.Duration
	data []byte
}

func packets(t testing.TB, b []byte) []packet {
	t.Helper()
	var out []packet
	err := Packets(bytes.NewReader(b), int64(len(b)), func(ts time.Duration, p []byte) error {
		out = append(out, packet{ts, bytes.Clone(p)})
		return nil
	})
	if err != nil {
		t.Fatalf("Packets: %v", err)
	}
	return out
}

// layout is the structure of a file as the walker sees it.
type layout struct {
	segDataOff int64
	segClaim   int64 // 0 if the Segment size is unknown
	clusters   []cluster
	unknown    int // Clusters with an unknown size
	tops       map[uint32][]element
}

func readLayout(t testing.TB, b []byte) layout {
	t.Helper()
	w := newWalker(bytes.NewReader(b), int64(len(b)))
	l := layout{tops: map[uint32][]element{}}
	w.onTop = func(e element) error {
		l.tops[e.id] = append(l.tops[e.id], e)
		return nil
	}
	w.onCluster = func(cl cluster) error {
		l.clusters = append(l.clusters, cl)
		e, err := w.c.element(cl.off)
		if err != nil {
			return err
		}
		if !e.known() {
			l.unknown++
		}
		return nil
	}
	if err := w.walk(); err != nil {
		t.Fatalf("walk: %v", err)
	}
	l.segDataOff, l.segClaim = w.segDataOff, w.segClaim
	return l
}

func TestProbeChromium(t *testing.T) {
	b := fixture(t)
	info := probe(t, b)
	if info.Codec != CodecOpus || info.SampleRate != 48000 || info.TimecodeScale != DefaultTimecodeScale {
		t.Errorf("codec %q at %d Hz, scale %d; want A_OPUS at 48000 Hz, scale 1e6", info.Codec, info.SampleRate, info.TimecodeScale)
	}
	// Chromium encodes the mono fake microphone as stereo Opus.
	if info.Channels != 2 || len(info.CodecPrivate) != 19 || string(info.CodecPrivate[:8]) != "OpusHead" || info.CodecPrivate[9] != 2 {
		t.Errorf("channels %d, CodecPrivate %q; want 2 and a stereo OpusHead", info.Channels, info.CodecPrivate)
	}
	if info.HasDuration || info.HasCues {
		t.Errorf("HasDuration %v, HasCues %v: a live Chromium file has neither", info.HasDuration, info.HasCues)
	}
	if d := info.Duration; d < 1700*time.Millisecond || d > 2300*time.Millisecond {
		t.Errorf("Duration %v, want 2 s ± 0.3 s", d)
	}
	if want := int(info.Duration / opusPacket); info.Blocks != want || info.Blocks < 30 {
		t.Errorf("%d blocks over %v, want %d blocks of %v", info.Blocks, info.Duration, want, opusPacket)
	}
	// What the fixture must be for the other tests to mean anything.
	l := readLayout(t, b)
	if l.segClaim != 0 || l.unknown != len(l.clusters) || len(l.clusters) < 5 || info.Clusters != len(l.clusters) {
		t.Errorf("segment claim %d, %d of %d clusters unknown-size (Info.Clusters %d); want a live file", l.segClaim, l.unknown, len(l.clusters), info.Clusters)
	}
	pkts := packets(t, b)
	for i, p := range pkts {
		if want := time.Duration(i) * opusPacket; p.ts != want || opusDuration(p.data) != opusPacket {
			t.Fatalf("packet %d at %v lasting %v, want %v lasting %v", i, p.ts, opusDuration(p.data), want, opusPacket)
		}
	}
}

func TestFix(t *testing.T) {
	in := fixture(t)
	before := probe(t, in)
	out, fixed := fix(t, in)

	after := probe(t, out)
	if !reflect.DeepEqual(after, fixed) {
		t.Errorf("Fix returned\n%+v\nProbe of its output\n%+v", fixed, after)
	}
	if !after.HasDuration || !after.HasCues {
		t.Fatalf("HasDuration %v, HasCues %v after Fix", after.HasDuration, after.HasCues)
	}
	if d := after.HeaderDuration - before.Duration; d < -20*time.Millisecond || d > 20*time.Millisecond {
		t.Errorf("written Duration %v, measured %v", after.HeaderDuration, before.Duration)
	}
	if after.Duration != before.Duration || after.Blocks != before.Blocks || after.Clusters != before.Clusters {
		t.Errorf("after Fix %v in %d blocks, %d clusters; before %v in %d blocks, %d clusters",
			after.Duration, after.Blocks, after.Clusters, before.Duration, before.Blocks, before.Clusters)
	}

	t.Run("Sizes", func(t *testing.T) {
		l := readLayout(t, out)
		if l.segClaim != int64(len(out)) {
			t.Errorf("Segment ends at %d, file at %d", l.segClaim, len(out))
		}
		if l.unknown != 0 {
			t.Errorf("%d clusters of unknown size", l.unknown)
		}
		if len(l.tops[idSeekHead]) != 1 || len(l.tops[idCues]) != 1 || len(l.tops[idVoid]) != 0 {
			t.Errorf("%d SeekHeads, %d Cues, %d Voids; want 1, 1, 0", len(l.tops[idSeekHead]), len(l.tops[idCues]), len(l.tops[idVoid]))
		}
	})

	t.Run("Cues", func(t *testing.T) {
		l := readLayout(t, out)
		cues := readCues(t, out, l)
		if len(cues) != len(l.clusters) {
			t.Fatalf("%d CuePoints for %d Clusters", len(cues), len(l.clusters))
		}
		for i, cp := range cues {
			at := l.segDataOff + int64(cp.pos)
			if at+4 > int64(len(out)) || binary.BigEndian.Uint32(out[at:]) != idCluster {
				t.Fatalf("CuePoint %d: position %d does not hold a Cluster ID", i, cp.pos)
			}
			cl := l.clusters[i]
			if cl.off != at || cp.time != cl.timecode || cp.track != 1 {
				t.Errorf("CuePoint %d: time %d track %d at %d; Cluster %d has timecode %d at %d", i, cp.time, cp.track, at, i, cl.timecode, cl.off)
			}
		}
	})

	t.Run("SeekHead", func(t *testing.T) {
		l := readLayout(t, out)
		seeks := readSeeks(t, out, l)
		for _, id := range []uint32{idInfo, idTracks, idCues} {
			pos, ok := seeks[id]
			at := l.segDataOff + pos
			if !ok || at+4 > int64(len(out)) || binary.BigEndian.Uint32(out[at:]) != id {
				t.Errorf("Seek to 0x%X: position %d (listed %v) does not hold that ID", id, pos, ok)
			}
		}
	})

	t.Run("Packets", func(t *testing.T) {
		a, b := packets(t, in), packets(t, out)
		if len(a) != len(b) || len(a) != before.Blocks {
			t.Fatalf("%d packets before, %d after, %d blocks", len(a), len(b), before.Blocks)
		}
		for i := range a {
			if a[i].ts != b[i].ts || !bytes.Equal(a[i].data, b[i].data) {
				t.Fatalf("packet %d differs: %v/%d bytes before, %v/%d bytes after", i, a[i].ts, len(a[i].data), b[i].ts, len(b[i].data))
			}
		}
	})

	t.Run("Decode", func(t *testing.T) {
		pcmIn, chIn, err := DecodeOpus(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			t.Fatal(err)
		}
		pcm, ch, err := DecodeOpus(bytes.NewReader(out), int64(len(out)))
		if err != nil {
			t.Fatal(err)
		}
		if ch != chIn || len(pcm) != len(pcmIn) {
			t.Fatalf("decoded %d samples × %d ch after Fix, %d × %d before", len(pcm), ch, len(pcmIn), chIn)
		}
		if want := int(after.Duration * media.OpusRate / time.Second); len(pcm)/ch != want {
			t.Errorf("%d samples per channel for %v, want %d", len(pcm)/ch, after.Duration, want)
		}
		for c := range ch {
			mono := mediatest.Channel(pcm, ch, c)[media.OpusRate/5:]
			if f := mediatest.DominantFrequency(mono, media.OpusRate); math.Abs(f-440) > 2 {
				t.Errorf("channel %d: dominant frequency %.2f Hz, want 440 ± 2", c, f)
			}
			if rms := mediatest.RMS(mono); rms < 0.2 {
				t.Errorf("channel %d: RMS %.3f, want a 0.5-peak tone (≈0.35)", c, rms)
			}
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		again, info := fix(t, out)
		if !bytes.Equal(again, out) {
			t.Errorf("fixing the fixed file changed it: %d bytes → %d", len(out), len(again))
		}
		if !reflect.DeepEqual(info, fixed) {
			t.Errorf("second Fix returned %+v, first %+v", info, fixed)
		}
	})
}

type cuePoint struct {
	time, track, pos uint64
}

func readCues(t testing.TB, b []byte, l layout) []cuePoint {
	t.Helper()
	c := newCursor(bytes.NewReader(b), int64(len(b)))
	var cues []cuePoint
	for _, e := range l.tops[idCues] {
		err := c.children(e, func(cp element) error {
			if cp.id != idCuePoint {
				return nil
			}
			var p cuePoint
			err := c.children(cp, func(e element) error {
				var err error
				switch e.id {
				case idCueTime:
					p.time, err = c.uint(e)
				case idCueTrackPositions:
					err = c.children(e, func(e element) error {
						var err error
						switch e.id {
						case idCueTrack:
							p.track, err = c.uint(e)
						case idCueClusterPosition:
							p.pos, err = c.uint(e)
						}
						return err
					})
				}
				return err
			})
			cues = append(cues, p)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return cues
}

func readSeeks(t testing.TB, b []byte, l layout) map[uint32]int64 {
	t.Helper()
	c := newCursor(bytes.NewReader(b), int64(len(b)))
	seeks := map[uint32]int64{}
	for _, e := range l.tops[idSeekHead] {
		err := c.children(e, func(s element) error {
			var id uint32
			var pos uint64
			err := c.children(s, func(e element) error {
				var err error
				switch e.id {
				case idSeekID:
					var v uint64
					v, err = c.uint(e)
					id = uint32(v)
				case idSeekPosition:
					pos, err = c.uint(e)
				}
				return err
			})
			seeks[id] = int64(pos)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return seeks
}

func TestBadInput(t *testing.T) {
	in := fixture(t)
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	wav := append(media.WAVHeader(48000, 1, 9600), make([]byte, 9600)...)
	otherDoc := bytes.Clone(in)
	copy(otherDoc[bytes.Index(otherDoc, []byte("webm")):], "mkv3")

	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"Empty", nil},
		{"Short", []byte{0x1A, 0x45}},
		{"Random", random},
		{"RandomAfterMagic", append([]byte{0x1A, 0x45, 0xDF, 0xA3}, random...)},
		{"WAV", wav},
		{"Text", []byte("<html>not a recording</html>")},
		{"OtherDocType", otherDoc},
		{"NoSegment", in[:bytes.Index(in, []byte{0x18, 0x53, 0x80, 0x67})]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Probe(bytes.NewReader(tc.b), int64(len(tc.b)))
			if !errors.Is(err, ErrNotWebM) && !errors.Is(err, ErrTruncated) {
				t.Errorf("Probe: %v, want ErrNotWebM or ErrTruncated", err)
			}
			if tc.name != "NoSegment" && !errors.Is(err, ErrNotWebM) {
				t.Errorf("Probe: %v, want ErrNotWebM", err)
			}
			if !errors.Is(err, media.ErrInvalid) {
				t.Errorf("Probe: %v does not unwrap to media.ErrInvalid", err)
			}
			var out bytes.Buffer
			if _, err := Fix(&out, bytes.NewReader(tc.b), int64(len(tc.b))); !errors.Is(err, ErrNotWebM) && !errors.Is(err, ErrTruncated) {
				t.Errorf("Fix: %v, want ErrNotWebM or ErrTruncated", err)
			}
			if out.Len() != 0 {
				t.Errorf("Fix wrote %d bytes for bad input", out.Len())
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	in := fixture(t)
	full := probe(t, in)
	fixed, _ := fix(t, in)

	// cutInBlock returns the offset 100 bytes into the first block of the
	// middle cluster.
	cutInBlock := func(b []byte) int {
		l := readLayout(t, b)
		cl := l.clusters[len(l.clusters)/2]
		c := newCursor(bytes.NewReader(b), int64(len(b)))
		var cut int64
		err := c.children(element{dataOff: cl.dataOff, size: cl.end - cl.dataOff}, func(e element) error {
			if e.id == idSimpleBlock && cut == 0 {
				cut = e.dataOff + 100
			}
			return nil
		})
		if err != nil || cut == 0 {
			t.Fatalf("no block in cluster at %d: %v", cl.off, err)
		}
		return int(cut)
	}
	lf := readLayout(t, fixed)

	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"LiveInBlock", in[:cutInBlock(in)]},
		{"LiveInHeader", in[:cutInBlock(in)-100-2]},
		{"FixedInBlock", fixed[:cutInBlock(fixed)]},
		// Cut between two Clusters: only the Segment size shows it.
		{"FixedAtCluster", fixed[:lf.clusters[len(lf.clusters)/2].off]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := Probe(bytes.NewReader(tc.b), int64(len(tc.b)))
			if !errors.Is(err, ErrTruncated) {
				t.Errorf("Probe: %v, want ErrTruncated", err)
			}
			if info.Codec != CodecOpus || info.Blocks == 0 || info.Blocks >= full.Blocks || info.Duration >= full.Duration {
				t.Errorf("Probe read %+v before the cut; want some of the %d blocks", info, full.Blocks)
			}
			var out bytes.Buffer
			if _, err := Fix(&out, bytes.NewReader(tc.b), int64(len(tc.b))); !errors.Is(err, ErrTruncated) {
				t.Errorf("Fix: %v, want ErrTruncated", err)
			}
			if out.Len() != 0 {
				t.Errorf("Fix wrote %d bytes for a truncated file", out.Len())
			}
		})
	}

	// A live file cut exactly between two Clusters is indistinguishable
	// from a shorter recording: it is fixed as one.
	l := readLayout(t, in)
	short := in[:l.clusters[3].off]
	out, info := fix(t, short)
	if info.Clusters != 3 || info.Duration != 900*time.Millisecond || probe(t, out).HeaderDuration != 900*time.Millisecond {
		t.Errorf("fixing the first 3 clusters: %+v", info)
	}
}

func TestOpusSamples(t *testing.T) {
	for _, tc := range []struct {
		packet []byte
		want   int
	}{
		{nil, 0},
		{[]byte{0xFF, 0x03}, 3 * 960},        // CELT FB 20 ms, code 3 × 3: Chromium
		{[]byte{0xFC}, 960},                  // CELT FB 20 ms, one frame
		{[]byte{0xE0}, 120},                  // CELT FB 2.5 ms
		{[]byte{0x80 | 1<<3}, 240},           // CELT NB 5 ms
		{[]byte{0x11}, 2 * 1920},             // SILK NB 40 ms, two frames
		{[]byte{0x18 | 0x02}, 2 * 2880},      // SILK NB 60 ms, code 2
		{[]byte{0x60}, 480},                  // Hybrid SWB 10 ms
		{[]byte{0x68 | 0x03, 0x82}, 2 * 960}, // Hybrid SWB 20 ms, code 3 × 2 (VBR bit set)
		{[]byte{0x7B, 0x06}, 6 * 960},        // Hybrid FB 20 ms, code 3 × 6
		{[]byte{0xFF}, 0},                    // code 3 without its count byte
	} {
		if got := opusSamples(tc.packet); got != tc.want {
			t.Errorf("opusSamples(% X) = %d, want %d", tc.packet, got, tc.want)
		}
	}
}

func TestSplitLaces(t *testing.T) {
	a, b, c := bytes.Repeat([]byte{1}, 300), bytes.Repeat([]byte{2}, 20), bytes.Repeat([]byte{3}, 7)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name    string
		flags   byte
		payload []byte
		want    [][]byte // nil: an error
	}{
		{"None", 0x80, a, [][]byte{a}},
		{"Xiph", lacingXiph, cat([]byte{2, 255, 45, 20}, a, b, c), [][]byte{a, b, c}},
		// 300 as a 2-byte VINT, then 20−300 as a signed 2-byte VINT.
		{"EBML", lacingEBML, cat([]byte{2, 0x41, 0x2C, 0x5E, 0xE7}, a, b, c), [][]byte{a, b, c}},
		{"EBMLOne", lacingEBML, cat([]byte{0}, c), [][]byte{c}},
		{"Fixed", lacingFixed, cat([]byte{2}, b, b, b), [][]byte{b, b, b}},
		{"XiphTooLong", lacingXiph, cat([]byte{1, 255, 255}, c), nil},
		{"XiphNoSizes", lacingXiph, []byte{3}, nil},
		{"EBMLTooLong", lacingEBML, cat([]byte{1, 0x41, 0x2C}, c), nil},
		{"EBMLNegative", lacingEBML, cat([]byte{2, 0x81, 0x80}, c), nil},
		{"FixedUneven", lacingFixed, cat([]byte{1}, c), nil},
		{"NoCount", lacingFixed, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitLaces(nil, tc.payload, tc.flags)
			if tc.want == nil {
				if !errors.Is(err, ErrNotWebM) {
					t.Errorf("got %d frames, error %v; want ErrNotWebM", len(got), err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %d frames, error %v; want %d frames", len(got), err, len(tc.want))
			}
		})
	}
}
