package webm

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"
)

// el builds an element with a shortest-form size.
func el(id uint32, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	out := appendID(nil, id)
	out = appendVint(out, uint64(len(b)), sizeLen(uint64(len(b))))
	return append(out, b...)
}

// unknownHeader is the header of an unknown-size element, as Chromium
// writes it.
func unknownHeader(id uint32) []byte {
	return appendVint(appendID(nil, id), allOnes(8), 8)
}

// blockHeader is the start of a (Simple)Block's data.
func blockHeader(track uint64, rel int16, flags byte) []byte {
	return []byte{0x80 | byte(track), byte(uint16(rel) >> 8), byte(rel), flags}
}

// parts are the pieces of the fixture synthetic files are made of.
type parts struct {
	head     []byte   // EBML header, unknown-size Segment header, Info, Tracks
	ebml     []byte   // EBML header alone
	tracks   []byte   // Tracks element
	clusters [][]byte // each Cluster's children but its Timecode
	tcs      []uint64 // each Cluster's Timecode
	span     uint64   // ticks from the first block to the end of the last
	packets  []packet
}

func fixtureParts(t testing.TB) parts {
	t.Helper()
	in := fixture(t)
	l := readLayout(t, in)
	w := newWalker(bytes.NewReader(in), int64(len(in)))
	if err := w.walk(); err != nil {
		t.Fatal(err)
	}
	tr := l.tops[idTracks][0]
	p := parts{
		head:    in[:l.clusters[0].off],
		ebml:    in[:w.ebmlEnd],
		tracks:  in[tr.off:tr.end()],
		span:    uint64(w.info.Duration / time.Duration(w.info.TimecodeScale)),
		packets: packets(t, in),
	}
	c := newCursor(bytes.NewReader(in), int64(len(in)))
	for _, cl := range l.clusters {
		var body []byte
		err := c.children(element{dataOff: cl.dataOff, size: cl.end - cl.dataOff}, func(e element) error {
			if e.id != idTimecode {
				body = append(body, in[e.off:e.end()]...)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p.clusters = append(p.clusters, body)
		p.tcs = append(p.tcs, cl.timecode)
	}
	return p
}

// writeSynthetic streams a live (unknown-size) WebM of about size bytes to
// path: the fixture's Clusters repeated, their timecodes shifted so the
// blocks run on without a gap. It returns the number of repetitions.
func writeSynthetic(t testing.TB, p parts, path string, size int64) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	n, _ := bw.Write(p.head)
	written, reps := int64(n), 0
	for ; written < size; reps++ {
		for i, body := range p.clusters {
			h := unknownHeader(idCluster)
			h = appendUintN(h, idTimecode, p.tcs[i]+uint64(reps)*p.span, 8)
			bw.Write(h)
			bw.Write(body)
			written += int64(len(h) + len(body))
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return reps
}

func openFile(t testing.TB, path string) (*os.File, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return f, st.Size()
}

// TestLacedAndGrouped runs a file the fixture cannot cover: a Xiph-laced
// SimpleBlock, a BlockGroup with a BlockDuration, a block on another
// track, and a known-size Cluster after an unknown-size one.
func TestLacedAndGrouped(t *testing.T) {
	p := fixtureParts(t)
	pk := p.packets
	laced := bytes.Join([][]byte{
		blockHeader(1, 0, 0x80|lacingXiph),
		{2}, xiphSize(len(pk[0].data)), xiphSize(len(pk[1].data)),
		pk[0].data, pk[1].data, pk[2].data,
	}, nil)
	group := el(idBlockGroup,
		el(idBlock, blockHeader(1, 180, 0), pk[3].data),
		appendUint(nil, idBlockDuration, 50))
	other := el(idSimpleBlock, blockHeader(2, 500, 0x80), []byte("video"))
	file := bytes.Join([][]byte{
		p.ebml, unknownHeader(idSegment),
		el(idInfo, appendUint(nil, idTimecodeScale, DefaultTimecodeScale), el(idDuration, []byte{0x44, 0x7a, 0, 0})),
		p.tracks,
		el(idVoid, make([]byte, 10)),
		unknownHeader(idCluster), appendUint(nil, idTimecode, 1000), el(idSimpleBlock, laced), group, other,
		el(idCluster, appendUint(nil, idTimecode, 1400), el(idSimpleBlock, blockHeader(1, -100, 0x80), pk[4].data)),
		el(idTags, el(0x7373)),
	}, nil)

	info := probe(t, file)
	if info.Blocks != 3 || info.Clusters != 2 || !info.HasDuration || info.HeaderDuration != time.Second {
		t.Errorf("Probe: %+v", info)
	}
	// First block at 1000 ms, last at 1300 ms lasting 60 ms.
	if info.Duration != 360*time.Millisecond {
		t.Errorf("Duration %v, want 360ms", info.Duration)
	}
	want := []packet{
		{1000 * time.Millisecond, pk[0].data},
		{1060 * time.Millisecond, pk[1].data},
		{1120 * time.Millisecond, pk[2].data},
		{1180 * time.Millisecond, pk[3].data},
		{1300 * time.Millisecond, pk[4].data},
	}
	if got := packets(t, file); !reflect.DeepEqual(got, want) {
		t.Errorf("Packets: got %d packets, want %d", len(got), len(want))
		for i := range got {
			t.Logf("  %v, %d bytes", got[i].ts, len(got[i].data))
		}
	}

	out, fixed := fix(t, file)
	if fixed.HeaderDuration != 1360*time.Millisecond {
		t.Errorf("written Duration %v, want the end of the last block, 1.36s", fixed.HeaderDuration)
	}
	if got := packets(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("Packets after Fix differ")
	}
	l := readLayout(t, out)
	if len(l.tops[idTags]) != 1 || len(l.tops[idVoid]) != 0 || l.unknown != 0 {
		t.Errorf("after Fix: %d Tags, %d Voids, %d unknown-size Clusters", len(l.tops[idTags]), len(l.tops[idVoid]), l.unknown)
	}
	if again, _ := fix(t, out); !bytes.Equal(again, out) {
		t.Error("Fix is not idempotent")
	}
	pcm, ch, err := DecodeOpus(bytes.NewReader(out), int64(len(out)))
	if err != nil || ch != 2 || len(pcm) != 5*3*960*2 {
		t.Errorf("DecodeOpus: %d samples × %d, %v", len(pcm), ch, err)
	}
}

// xiphSize is a Xiph lace size.
func xiphSize(n int) []byte {
	b := bytes.Repeat([]byte{255}, n/255)
	return append(b, byte(n%255))
}

func TestNoAudio(t *testing.T) {
	p := fixtureParts(t)
	video := el(idTracks, el(idTrackEntry, appendUint(nil, idTrackNumber, 1), appendUint(nil, idTrackType, 1), el(idCodecID, []byte("V_VP8"))))
	for name, file := range map[string][]byte{
		"VideoOnly": bytes.Join([][]byte{p.ebml, unknownHeader(idSegment), el(idInfo), video}, nil),
		"NoTracks":  bytes.Join([][]byte{p.ebml, unknownHeader(idSegment), el(idInfo)}, nil),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Probe(bytes.NewReader(file), int64(len(file))); !errors.Is(err, ErrNoAudio) {
				t.Errorf("Probe: %v, want ErrNoAudio", err)
			}
		})
	}
	t.Run("EmptyTake", func(t *testing.T) {
		// Headers but no Cluster: fixed with Duration 0 and no Cues.
		out, info := fix(t, p.head)
		if info.Blocks != 0 || info.HasCues || info.HeaderDuration != 0 || !info.HasDuration {
			t.Errorf("Fix: %+v", info)
		}
		if got := probe(t, out); !reflect.DeepEqual(got, info) {
			t.Errorf("Probe after Fix: %+v, Fix said %+v", got, info)
		}
	})
}

// TestFixLarge fixes a 100 MB live file and checks that memory stays far
// below its size: Fix streams.
func TestFixLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB of temp files")
	}
	const size = 100 << 20
	p := fixtureParts(t)
	dir := t.TempDir()
	inPath, outPath := filepath.Join(dir, "in.webm"), filepath.Join(dir, "out.webm")
	reps := writeSynthetic(t, p, inPath, size)
	in, inSize := openFile(t, inPath)
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	info, err := Fix(out, in, inSize)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Fix of %d MB (%d clusters) in %v: %.1f MB/s, %.2f MiB allocated",
		inSize>>20, info.Clusters, elapsed.Round(time.Millisecond), float64(inSize)/1e6/elapsed.Seconds(), float64(alloc)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("Fix allocated %d MiB for a %d MiB file", alloc>>20, inSize>>20)
	}

	got, gotSize := openFile(t, outPath)
	runtime.ReadMemStats(&before)
	pinfo, err := Probe(got, gotSize)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("Probe allocated %d MiB", alloc>>20)
	}
	wantDur := time.Duration(reps) * time.Duration(p.span) * time.Millisecond
	if pinfo.Blocks != reps*len(p.packets) || pinfo.Clusters != reps*len(p.clusters) ||
		pinfo.Duration != wantDur || pinfo.HeaderDuration != wantDur || !pinfo.HasCues {
		t.Errorf("Probe of the fixed file: %d blocks, %d clusters, %v (header %v); want %d, %d, %v",
			pinfo.Blocks, pinfo.Clusters, pinfo.Duration, pinfo.HeaderDuration, reps*len(p.packets), reps*len(p.clusters), wantDur)
	}
	l := readLayout(t, mustRead(t, outPath))
	if cues := readCues(t, mustRead(t, outPath), l); len(cues) != len(l.clusters) || l.unknown != 0 {
		t.Errorf("%d CuePoints, %d Clusters, %d of unknown size", len(cues), len(l.clusters), l.unknown)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkFix(b *testing.B) {
	p := fixtureParts(b)
	path := filepath.Join(b.TempDir(), "in.webm")
	writeSynthetic(b, p, path, 10<<20)
	f, size := openFile(b, path)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fix(io.Discard, f, size); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProbe(b *testing.B) {
	p := fixtureParts(b)
	path := filepath.Join(b.TempDir(), "in.webm")
	writeSynthetic(b, p, path, 10<<20)
	f, size := openFile(b, path)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Probe(f, size); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzProbe checks that no input makes Probe, Packets or Fix panic, that
// Fix writes nothing when it fails, and that whatever Fix writes probes as
// the Info it returned, with the same blocks, and fixes to itself.
func FuzzProbe(f *testing.F) {
	in := fixture(f)
	fixed, _ := fix(f, in)
	f.Add(in)
	f.Add(fixed)
	f.Add(in[:len(in)/2])
	f.Add(fixed[:300])
	p := fixtureParts(f)
	f.Add(bytes.Join([][]byte{p.ebml, unknownHeader(idSegment), el(idInfo), p.tracks,
		unknownHeader(idCluster), appendUint(nil, idTimecode, 7),
		el(idSimpleBlock, blockHeader(1, 0, lacingEBML), []byte{1, 0x81}, []byte{0xFC, 0, 0xFC}),
		el(idBlockGroup, el(idBlock, blockHeader(1, 20, 0), []byte{0xFC}))}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, size := bytes.NewReader(b), int64(len(b))
		info, err := Probe(r, size)
		_ = Packets(r, size, func(time.Duration, []byte) error { return nil })
		var out bytes.Buffer
		finfo, ferr := Fix(&out, r, size)
		if ferr != nil {
			if out.Len() != 0 {
				t.Fatalf("Fix failed (%v) after writing %d bytes", ferr, out.Len())
			}
			return
		}
		if err != nil {
			t.Fatalf("Fix succeeded where Probe failed: %v", err)
		}
		got, err := Probe(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("Probe of Fix's output: %v", err)
		}
		if !reflect.DeepEqual(got, finfo) || got.Blocks != info.Blocks || got.Duration != info.Duration {
			t.Fatalf("Fix returned %+v; its output probes as %+v; the input as %+v", finfo, got, info)
		}
		var again bytes.Buffer
		if _, err := Fix(&again, bytes.NewReader(out.Bytes()), int64(out.Len())); err != nil || !bytes.Equal(again.Bytes(), out.Bytes()) {
			t.Fatalf("fixing Fix's output: %v, same bytes %v", err, bytes.Equal(again.Bytes(), out.Bytes()))
		}
	})
}
