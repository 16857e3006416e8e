package ogg_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/ogg"
)

// opusencPackets are the audio packets opusenc wrote: real libopus output.
func opusencPackets(t testing.TB) [][]byte {
	t.Helper()
	var pkts [][]byte
	err := ogg.Packets(bytes.NewReader(read(t, "tone-440hz-mono.opus")), func(_ int64, p []byte) error {
		pkts = append(pkts, slices.Clone(p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

type readPacket struct {
	granule int64
	data    []byte
}

func readBack(t testing.TB, b []byte) (ogg.Info, []readPacket) {
	t.Helper()
	info, err := ogg.Probe(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the written stream does not read back: %v", err)
	}
	var got []readPacket
	if err := ogg.Packets(bytes.NewReader(b), func(g int64, p []byte) error {
		got = append(got, readPacket{g, slices.Clone(p)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return info, got
}

// A stream of real packets with a gap filled in the middle reads back with
// the packets as given, byte for byte, the gap as lost frames, and the
// length of both.
func TestWriterKeepsPacketsAndTimeline(t *testing.T) {
	pkts := opusencPackets(t)
	var buf bytes.Buffer
	w, err := ogg.NewWriter(&buf, 7, 1, 48000, "test")
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	half := len(pkts) / 2
	for i, p := range pkts {
		if i == half {
			// 1.23 s without packets: 61 lost 20 ms frames, then 10 ms.
			if err := w.Fill(59040); err != nil {
				t.Fatal(err)
			}
			want += 59040
		}
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
		n, _ := ogg.PacketSamples(p)
		want += n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Written() != int64(buf.Len()) {
		t.Errorf("Written says %d bytes, %d were written", w.Written(), buf.Len())
	}
	info, got := readBack(t, buf.Bytes())
	if info.Channels != 1 || info.PreSkip != ogg.PreSkip || info.InputRate != 48000 {
		t.Errorf("OpusHead reads back as %+v", info)
	}
	if info.Granule != want {
		t.Errorf("last granule %d, want %d (the packets' and the gap's samples)", info.Granule, want)
	}
	if d := time.Duration(want-ogg.PreSkip) * time.Second / ogg.Rate; info.Duration != d {
		t.Errorf("duration %v, want %v", info.Duration, d)
	}
	var audio [][]byte
	lost := 0
	for _, p := range got {
		if len(p.data) == 1 {
			lost++
			continue
		}
		audio = append(audio, p.data)
	}
	if lost != 62 {
		t.Errorf("%d lost frames stand for the gap, want 61 of 20 ms and one of 10 ms", lost)
	}
	if !slices.EqualFunc(audio, pkts, bytes.Equal) {
		t.Errorf("the packets read back differ from those written (%d read, %d written)", len(audio), len(pkts))
	}
	// Pages of about a second: a granule position on each, rising.
	if info.Pages < int(want/ogg.PageDuration) {
		t.Errorf("%d pages for %d samples: pages are longer than a second", info.Pages, want)
	}
}

func TestWriterFillCarriesTheRemainder(t *testing.T) {
	var buf bytes.Buffer
	w, err := ogg.NewWriter(&buf, 1, 2, 0, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{1000, 80, 359, 1} { // 960+40, 120, 360 ... owed 0
		if err := w.Fill(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Granule() != 1440 {
		t.Errorf("granule %d after filling 1440 samples", w.Granule())
	}
	_, got := readBack(t, buf.Bytes())
	for _, p := range got {
		if p.data[0]&0x04 == 0 {
			t.Errorf("a lost frame of a stereo stream is marked mono: %08b", p.data[0])
		}
	}
}

// A file cut anywhere, as a killed process leaves it, is sealed into a
// valid stream holding every page before the cut, ended properly.
func TestSealCutFile(t *testing.T) {
	pkts := opusencPackets(t)
	var buf bytes.Buffer
	w, err := ogg.NewWriter(&buf, 3, 1, 48000, "test")
	if err != nil {
		t.Fatal(err)
	}
	headers := w.Written()
	pageEnds := []int64{headers} // where each page ended, for the cuts below
	for range 3 {                // several pages
		for _, p := range pkts {
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
			if w.Written() != lastOf(pageEnds) {
				pageEnds = append(pageEnds, w.Written())
			}
		}
	}
	if err := w.Flush(); err != nil { // the rest, not closed: no EOS
		t.Fatal(err)
	}
	pageEnds = append(pageEnds, w.Written())
	whole := buf.Bytes()
	_, all := readBack(t, whole)

	dir := t.TempDir()
	cuts := []int64{int64(len(whole))}
	for _, e := range pageEnds[1:] {
		cuts = append(cuts, e, e+1, e+30, e-1)
	}
	for i, cut := range cuts {
		path := filepath.Join(dir, "cut.ogg")
		if err := os.WriteFile(path, whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		size, info, err := ogg.Seal(f)
		f.Close()
		if err != nil {
			t.Fatalf("cut %d at %d: %v", i, cut, err)
		}
		sealed, _ := os.ReadFile(path)
		if int64(len(sealed)) != size || size > cut {
			t.Fatalf("cut at %d: sealed to %d bytes, file has %d", cut, size, len(sealed))
		}
		_, got := readBack(t, sealed)
		if len(got) == 0 && cut < pageEnds[1] {
			continue // cut in the first audio page: the headers alone
		}
		if len(got) == 0 || !slices.EqualFunc(got, all[:len(got)], func(a, b readPacket) bool { return bytes.Equal(a.data, b.data) }) {
			t.Fatalf("cut at %d: the sealed stream's %d packets are not the first of the whole stream", cut, len(got))
		}
		if info.Granule != got[len(got)-1].granule {
			t.Errorf("cut at %d: granule %d, last page %d", cut, info.Granule, got[len(got)-1].granule)
		}
		if sealed[lastPage(sealed)+5]&0x04 == 0 {
			t.Errorf("cut at %d: the last page is not marked as the end of the stream", cut)
		}
	}

	// Cut right after the headers: a stream without audio.
	path := filepath.Join(dir, "empty.ogg")
	os.WriteFile(path, whole[:headers+5], 0o644)
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	if size, info, err := ogg.Seal(f); err != nil || size != headers || info.Packets != 0 {
		t.Errorf("a file cut in its first audio page seals to %d bytes, %d packets, %v; want the headers alone", size, info.Packets, err)
	}
	f.Close()

	// Cut inside the headers: no audio, said so.
	path = filepath.Join(dir, "head.ogg")
	os.WriteFile(path, whole[:40], 0o644)
	f, _ = os.OpenFile(path, os.O_RDWR, 0)
	defer f.Close()
	if _, _, err := ogg.Seal(f); !errors.Is(err, ogg.ErrNotOpus) {
		t.Errorf("a file cut in its headers seals with %v, want ErrNotOpus", err)
	}
}

func lastOf(s []int64) int64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// lastPage returns where the last page of b starts.
func lastPage(b []byte) int {
	return bytes.LastIndex(b, []byte("OggS"))
}

func TestPacketSamples(t *testing.T) {
	for _, tc := range []struct {
		pkt  []byte
		want int64
		ok   bool
	}{
		{[]byte{0x08}, 960, true},            // SILK NB 20 ms, one frame
		{[]byte{0x18}, 2880, true},           // SILK NB 60 ms
		{[]byte{0x78}, 960, true},            // hybrid FB 20 ms
		{[]byte{0xf8 | 1, 0, 0}, 1920, true}, // CELT FB 20 ms, two frames
		{[]byte{0xe0 | 3, 3}, 360, true},     // CELT FB 2.5 ms, three frames
		{[]byte{0xf8 | 3, 6}, 5760, true},    // six 20 ms frames: 120 ms
		{[]byte{0xf8 | 3, 7}, 0, false},      // 140 ms: too long
		{[]byte{0xf8 | 3}, 0, false},         // no frame count
		{[]byte{0xf8 | 3, 0x40}, 0, false},   // no frames
		{nil, 0, false},
	} {
		got, err := ogg.PacketSamples(tc.pkt)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("PacketSamples(%x) = %d, %v; want %d (ok %v)", tc.pkt, got, err, tc.want, tc.ok)
		}
	}
}

// CloseWith ends a stream with its last packet on the last page and an
// end trim: the stream reads back that long, with every packet. A trim
// past the last page's start is refused.
func TestWriterCloseWithTrimsTheEnd(t *testing.T) {
	pkts := opusencPackets(t)
	for _, n := range []int{1, 50, 51, len(pkts)} { // 50 packets fill a page
		var buf bytes.Buffer
		w, err := ogg.NewWriter(&buf, 7, 1, 48000, "test")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts[:n-1] {
			if err := w.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		end := w.Granule() + 100 // 100 of the last packet's 960 samples
		if err := w.CloseWith(pkts[n-1], end); err != nil {
			t.Fatalf("%d packets: %v", n, err)
		}
		info, got := readBack(t, buf.Bytes())
		if info.Granule != end || len(got) != n || !bytes.Equal(got[n-1].data, pkts[n-1]) {
			t.Errorf("%d packets: read back %d, last granule %d, want %d", n, len(got), info.Granule, end)
		}
	}
	var buf bytes.Buffer
	w, _ := ogg.NewWriter(&buf, 7, 1, 48000, "test")
	for _, p := range pkts[:50] {
		w.WritePacket(p)
	}
	if err := w.CloseWith(pkts[50], w.Granule()-1); err == nil {
		t.Error("CloseWith trimmed into a page already written")
	}
}
